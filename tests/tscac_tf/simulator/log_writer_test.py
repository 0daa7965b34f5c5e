"""The written directory has exactly the KuaiRand file layout (small preset)."""

import os

import numpy as np
import pandas as pd
import pytest

from tscac_tf.simulator import log_generator, log_writer
from tscac_tf.simulator import population as pop
from tscac_tf.simulator.world import World
from tscac_tf.specs import kuairand_schema as ks


@pytest.fixture(scope="module")
def written(small_world, tmp_path_factory):
    out = tmp_path_factory.mktemp("synthetic")
    counts = log_writer.write_directory(
        small_world, log_generator.generate_log(small_world), str(out)
    )
    return str(out), counts


def _lines(path):
    with open(path, "rb") as f:
        return f.read().splitlines()


def test_file_names(written):
    out, counts = written
    expected = {
        "log_standard_4_08_to_4_21_synthetic.csv",
        "log_standard_4_22_to_5_08_synthetic.csv",
        "user_features.csv",
        "video_features_basic.csv",
        "world.json",
        "NOTICE",
        "LICENSE",
    }
    assert set(os.listdir(out)) == expected == set(counts)
    for name in expected:
        match = ks.LOG_FILE_PATTERN.match(name)
        assert bool(match) == name.startswith("log_")
        if match:
            assert match.group("version") == "synthetic" and match.group("policy") == "standard"
    assert ks.USER_FILE_PATTERN.match("user_features.csv")
    assert ks.VIDEO_FILE_PATTERN.match("video_features_basic.csv")


@pytest.mark.parametrize(
    "name, period",
    [(log_writer.TRAIN_LOG, ks.TRAIN_PERIOD), (log_writer.EVAL_LOG, ks.EVAL_PERIOD)],
)
def test_log_columns_dtypes_and_ranges(written, name, period):
    out, counts = written
    frame = pd.read_csv(os.path.join(out, name))
    assert tuple(frame.columns) == ks.LOG_COLUMN_NAMES + (ks.PROPENSITY_COLUMN.name,)
    assert len(frame) == counts[name] > 1000
    for column in ks.LOG_COLUMNS:
        values = frame[column.name]
        assert values.dtype == np.int64, column.name
        if column.low is not None:
            assert values.min() >= column.low, column.name
        if column.high is not None:
            assert values.max() <= column.high, column.name
    assert frame[ks.PROPENSITY_COLUMN.name].dtype == np.float64
    assert frame["date"].between(*period).all()
    assert set(frame["hourmin"] % 100) == {0}


def test_feature_tables_are_real_rows_in_the_real_layout(written, small_world):
    out, _ = written
    for name, source, count in (
        ("user_features.csv", pop.USER_TABLE, 200),
        ("video_features_basic.csv", pop.VIDEO_TABLE, 1000),
    ):
        lines, real = _lines(os.path.join(out, name)), _lines(pop.table_path(source))
        assert lines[0] == real[0] and len(lines) == count + 1
        assert set(lines[1:]) <= set(real[1:])
        frame = pd.read_csv(os.path.join(out, name))
        assert tuple(frame.columns) == (
            ks.USER_COLUMN_NAMES if name.startswith("user") else ks.VIDEO_COLUMN_NAMES
        )
    users = pd.read_csv(os.path.join(out, "user_features.csv"))
    np.testing.assert_array_equal(users["user_id"], small_world.population.users.ids)


def test_logs_refer_to_the_written_users_and_videos(written):
    out, _ = written
    logs = pd.concat(
        pd.read_csv(os.path.join(out, n)) for n in (log_writer.TRAIN_LOG, log_writer.EVAL_LOG)
    )
    videos = pd.read_csv(os.path.join(out, "video_features_basic.csv"))
    users = pd.read_csv(os.path.join(out, "user_features.csv"))
    assert set(logs["video_id"]) <= set(videos["video_id"])
    assert set(logs["user_id"]) <= set(users["user_id"])
    duration = logs.merge(videos, on="video_id")[["duration_ms", "video_duration"]].dropna()
    np.testing.assert_array_equal(duration["duration_ms"], duration["video_duration"].round())


def test_world_json_rebuilds_the_world(written, small_world):
    out, _ = written
    rebuilt = World.from_json(os.path.join(out, "world.json"))
    assert rebuilt.config == small_world.config
    assert rebuilt.population.fingerprint() == small_world.population.fingerprint()


def test_attribution_travels_with_the_data(written):
    out, _ = written
    with open(os.path.join(out, "NOTICE")) as f:
        assert "CC BY-SA 4.0" in f.read()
    with open(os.path.join(out, "LICENSE")) as f:
        assert "Attribution-ShareAlike 4.0" in f.read()
