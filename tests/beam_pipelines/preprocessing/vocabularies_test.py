"""BuildVocabularies: ids by train frequency, tags from the video table, feature vocabularies."""

import collections
import json

import apache_beam as beam
import pandas as pd
from apache_beam.testing import test_pipeline

from beam_pipelines.preprocessing import vocabularies as vb
from beam_pipelines.preprocessing.config import PreprocessConfig
from beam_pipelines.preprocessing.sessionize_events import build_sessions

T0 = 1649383200000


def test_by_frequency_then_value():
    assert vb.by_frequency(collections.Counter({7: 2, 3: 2, 10: 5, 1: 1})) == ["10", "3", "7", "1"]


def test_tag_vocabulary_counts_every_tag_of_every_video():
    tags = pd.Series(["20,67", "39", None, "67", "", "67,20"])
    assert vb.tag_vocabulary(tags) == ["67", "20", "39"]  # 67 on three videos, 20 on two


def test_build_vocabularies_writes_train_ids_tags_and_features(events, fixture_tables, tmp_path):
    rows = events(
        user_id=[4, 4, 128, 3120],
        video_id=[7, 7, 0, 8],
        time_ms=[T0, T0 + 1000, T0, T0 + 14 * 86_400_000],
        date=[20220408, 20220408, 20220408, 20220422],
    )
    batch = build_sessions(rows, PreprocessConfig(data_dir="d", out_dir="o"))[0]
    videos = pd.DataFrame({"tag": ["39", "20,67", None]})
    with test_pipeline.TestPipeline(runner="FnApiRunner") as pipeline:
        videos_pc = pipeline | "Videos" >> beam.Create([videos])
        tables_pc = pipeline | "Tables" >> beam.Create([fixture_tables])
        _ = (
            pipeline
            | "Sessions" >> beam.Create([batch])
            | vb.BuildVocabularies(str(tmp_path), videos_pc, tables_pc)
        )
    doc = json.load(open(tmp_path / "vocabularies.json"))
    assert doc["video_id"] == ["7", "0"]  # video 8 is only in eval
    assert doc["user_id"] == ["4", "128"]
    assert doc["tag"] == ["20", "39", "67"]
    assert doc["author_id"] == fixture_tables.vocabularies["author_id"]
    assert doc["register_days_range"] == fixture_tables.vocabularies["register_days_range"]
