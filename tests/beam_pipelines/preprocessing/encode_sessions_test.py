"""EncodeSessions / WriteSessions: SessionBatches -> SequenceExamples on disk, by split."""

import apache_beam as beam
import numpy as np
import pytest
import tensorflow as tf
from apache_beam.testing import test_pipeline

from beam_pipelines.preprocessing import encode_sessions as es
from beam_pipelines.preprocessing import event_batch as eb
from beam_pipelines.preprocessing.config import PreprocessConfig
from beam_pipelines.preprocessing.sessionize_events import build_sessions
from tscac_tf.data import session_io
from tscac_tf.features import feature_tables as ft
from tscac_tf.specs import session_schema as ss

T0 = 1649383200000


def _batch(events, tables):
    rows = events(
        user_id=[4, 4, 3120],
        video_id=[0, 7, 8],
        time_ms=[T0, T0 + 60_000, T0 + 14 * 86_400_000],
        date=[20220408, 20220408, 20220422],
        play_time_ms=[12000, 30000, 0],
        duration_ms=[87433, 20000, 0],
        is_hate=[0, 0, 1],
        behavior_propensity=[0.5, 0.25, ss.NO_PROPENSITY],
    )
    rows[eb.USER_ROW] = tables.user_rows(rows["user_id"])
    rows[eb.VIDEO_ROW] = tables.video_rows(rows["video_id"])
    config = PreprocessConfig(data_dir="d", out_dir="o")
    return build_sessions(rows, config)[0]


def test_watch_ratio_is_zero_without_duration():
    np.testing.assert_allclose(es.watch_ratio([10, 5, 3], [20, 0, 3]), [0.5, 0.0, 1.0])


def test_encode_batch_round_trips_through_parse_session(events, fixture_tables):
    encoded = list(es.encode_batch(_batch(events, fixture_tables), fixture_tables))
    assert [split for split, _ in encoded] == ["train", "eval"]
    session = session_io.parse_session(tf.constant(encoded[0][1]))
    assert session["session_id"].numpy() == b"4-20220408-0"
    np.testing.assert_array_equal(session["video_id"], [0, 7])
    np.testing.assert_array_equal(session["play_time_ms"], [12000, 30000])
    np.testing.assert_allclose(session["behavior_propensity"], [0.5, 0.25])
    evaluation = session_io.parse_session(tf.constant(encoded[1][1]))
    np.testing.assert_array_equal(evaluation["is_hate"], [1])
    np.testing.assert_allclose(evaluation["behavior_propensity"], [ss.NO_PROPENSITY])


def test_joined_features_are_written_beside_the_contract(events, fixture_tables):
    _, serialized = next(es.encode_batch(_batch(events, fixture_tables), fixture_tables))
    example = tf.train.SequenceExample.FromString(serialized)
    user_codes = example.context.feature[es.USER_CATEGORICAL].int64_list.value
    assert list(user_codes) == fixture_tables.user_categorical[1].tolist()  # user 4 is row 1
    assert len(example.context.feature[es.USER_NUMERIC].float_list.value) == len(ft.USER_NUMERIC)
    steps = example.feature_lists.feature_list
    video_7 = fixture_tables.video_categorical[2].tolist()
    assert list(steps[es.VIDEO_CATEGORICAL].feature[1].int64_list.value) == video_7
    assert len(steps[es.VIDEO_NUMERIC].feature[0].float_list.value) == len(ft.VIDEO_NUMERIC)
    ratios = [f.float_list.value[0] for f in steps[es.WATCH_RATIO].feature]
    assert ratios == pytest.approx([12000 / 87433, 1.5])


def test_encode_and_write_sessions_by_split(events, fixture_tables, tmp_path):
    with test_pipeline.TestPipeline(runner="FnApiRunner") as pipeline:
        tables = pipeline | "Tables" >> beam.Create([fixture_tables])
        encoded = (
            pipeline
            | "Batches" >> beam.Create([_batch(events, fixture_tables)])
            | "EncodeSessions" >> es.EncodeSessions(tables)
        )
        _ = encoded | "WriteSessions" >> es.WriteSessions(str(tmp_path), num_shards=1)
    train = session_io.read_sessions_numpy(session_io.session_files(str(tmp_path), "train"))
    evaluation = session_io.read_sessions_numpy(session_io.session_files(str(tmp_path), "eval"))
    assert [s["session_id"] for s in train] == ["4-20220408-0"]
    assert [s["session_id"] for s in evaluation] == ["3120-20220422-0"]
    assert session_io.session_files(str(tmp_path), "train")[0].endswith(
        "train/sessions-00000-of-00001.tfrecord.gz"
    )
