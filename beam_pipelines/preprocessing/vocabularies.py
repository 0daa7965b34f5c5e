"""BuildVocabularies: value lists of every id and categorical feature -> vocabularies.json.

Every vocabulary is a list of strings by descending frequency, ties by value (the order
of `feature_tables.build_vocabulary`, so code i >= 1 is vocabulary[i - 1] everywhere):

  video_id, user_id   exposures in the train split (ids never logged in train are absent)
  tag                 every category id of the video table's `tag` lists, counted by video
  <column>            every categorical column of the FeatureTables (author_id,
                      user_active_degree, the range strings, onehot_feat*, first_tag, ...)
"""

from __future__ import annotations

import collections

import apache_beam as beam
import numpy as np
import pandas as pd

from beam_pipelines.preprocessing import output_files
from beam_pipelines.preprocessing.sessionize import SPLIT_CODES
from beam_pipelines.preprocessing.sessionize_events import SessionBatch
from tscac_tf.features.feature_tables import FeatureTables, build_vocabulary

_TRAIN = next(code for code, name in SPLIT_CODES.items() if name == "train")


def train_counts(batch: SessionBatch) -> dict[str, collections.Counter]:
    """{"video_id": Counter, "user_id": Counter} of the batch's train-split exposures."""
    rows = np.repeat(batch.split, batch.lengths) == _TRAIN
    out = {}
    for column in ("video_id", "user_id"):
        ids, counts = np.unique(batch.events[column][rows], return_counts=True)
        out[column] = collections.Counter(dict(zip(ids.tolist(), counts.tolist(), strict=True)))
    return out


class SumCountsFn(beam.CombineFn):
    """Adds {name: Counter} dicts."""

    def create_accumulator(self):
        return {}

    def add_input(self, accumulator, element):
        return self.merge_accumulators([accumulator, element])

    def merge_accumulators(self, accumulators):
        merged = collections.defaultdict(collections.Counter)
        for acc in accumulators:
            for name, counter in acc.items():
                merged[name].update(counter)
        return dict(merged)

    def extract_output(self, accumulator):
        return accumulator


def by_frequency(counts: collections.Counter) -> list[str]:
    """Keys as strings, by descending count, ties by value (numeric ids numerically)."""
    return [str(k) for k, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def tag_vocabulary(tags: pd.Series) -> list[str]:
    """Every category id in comma-separated `tag` values, by number of videos."""
    exploded = tags.dropna().astype(str).str.split(",").explode().str.strip()
    return build_vocabulary(exploded[exploded != ""])


def vocabularies_json(counts: dict, videos: pd.DataFrame, tables: FeatureTables) -> dict:
    """The vocabularies.json document."""
    document = dict(tables.vocabularies)
    document["video_id"] = by_frequency(counts.get("video_id", collections.Counter()))
    document["user_id"] = by_frequency(counts.get("user_id", collections.Counter()))
    document["tag"] = tag_vocabulary(videos["tag"])
    return document


def _write(counts, videos, tables, out_dir: str) -> str:
    path = output_files.output_path(out_dir, output_files.VOCABULARIES_FILE)
    output_files.write_json(path, vocabularies_json(counts, videos, tables))
    return path


class BuildVocabularies(beam.PTransform):
    """SessionBatch -> OUT/vocabularies.json; outputs the written path.

    Args:
      out_dir: the output directory.
      videos: PCollection of one DataFrame, the valid video table (ReadFeatureTables).
      tables: PCollection of one FeatureTables.
    """

    def __init__(self, out_dir: str, videos, tables):
        super().__init__()
        self._out_dir = out_dir
        self._videos = videos
        self._tables = tables

    def expand(self, sessions):
        return (
            sessions
            | "CountTrainIds" >> beam.Map(train_counts)
            | "SumCounts" >> beam.CombineGlobally(SumCountsFn())
            | "WriteVocabularies"
            >> beam.Map(
                _write,
                beam.pvalue.AsSingleton(self._videos),
                beam.pvalue.AsSingleton(self._tables),
                self._out_dir,
            )
        )
