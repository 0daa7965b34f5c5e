"""ComputeStatistics: exact moment merging, response rates kept per response, per split."""

import json

import apache_beam as beam
import numpy as np
import pytest
from apache_beam.testing import test_pipeline
from apache_beam.testing.util import assert_that, equal_to

from beam_pipelines.preprocessing import statistics as st
from beam_pipelines.preprocessing.config import PreprocessConfig
from beam_pipelines.preprocessing.sessionize_events import build_sessions

T0 = 1649383200000
HOUR = 3_600_000


def test_merged_moments_equal_the_moments_of_the_union():
    rng = np.random.default_rng(0)
    x = rng.normal(5.0, 3.0, 101)
    merged = (0, 0.0, 0.0)
    for part in np.split(x, [7, 40, 41]):  # uneven parts, one of size 1
        merged = st.merge_moments(merged, st.moments_of(part))
    n, mean, m2 = merged
    assert n == 101 and mean == pytest.approx(x.mean()) and m2 == pytest.approx(x.var() * 101)
    assert st.merge_moments((0, 0.0, 0.0), (0, 0.0, 0.0)) == (0, 0.0, 0.0)


def _sessions(events):
    # Train: user 4, two sessions (1 + 2 steps); eval: user 128, one step.
    rows = events(
        user_id=[4, 4, 4, 128],
        video_id=[1, 2, 3, 4],
        time_ms=[T0, T0 + 2 * HOUR, T0 + 2 * HOUR + 1000, T0 + 400 * HOUR],
        date=[20220408, 20220408, 20220408, 20220424],
        play_time_ms=[1000, 3000, 8000, 4000],
        duration_ms=[2000, 3000, 4000, 0],
        is_click=[1, 0, 1, 0],
        is_hate=[0, 1, 0, 0],
        behavior_propensity=[0.5, -1.0, 0.25, 0.75],
    )
    return build_sessions(rows, PreprocessConfig(data_dir="d", out_dir="o"))[0]


def test_statistics_by_hand(events):
    doc = st.statistics_json(st.batch_moments(_sessions(events)))
    train, evaluation = doc["train"], doc["eval"]
    assert (train["steps"], train["sessions"], train["users"]) == (3, 2, 1)
    assert (evaluation["steps"], evaluation["sessions"], evaluation["users"]) == (1, 1, 1)
    assert train["session_length"]["mean"] == pytest.approx(1.5)
    assert train["responses"]["click"]["mean_raw"] == pytest.approx(2 / 3)
    # watch time: mean play 4000 ms -> 4 s reward; hate: rate 1/3, reward -1/3
    assert train["responses"]["watch_time"]["mean_reward"] == pytest.approx(4.0)
    assert train["responses"]["watch_time"]["std_reward"] == pytest.approx(np.std([1, 3, 8]))
    assert train["responses"]["hate"]["mean_raw"] == pytest.approx(1 / 3)
    assert train["responses"]["hate"]["mean_reward"] == pytest.approx(-1 / 3)
    assert train["numeric"]["watch_ratio"]["mean"] == pytest.approx((0.5 + 1.0 + 2.0) / 3)
    # the missing propensity (-1) is left out of its mean
    assert train["numeric"]["behavior_propensity"]["count"] == 2
    assert train["numeric"]["behavior_propensity"]["mean"] == pytest.approx(0.375)


def test_compute_statistics_writes_json_and_tallies(events, tmp_path):
    batch = _sessions(events)
    pipeline = test_pipeline.TestPipeline(runner="FnApiRunner")
    tallies = pipeline | beam.Create([batch]) | st.ComputeStatistics(str(tmp_path))
    expected = [
        (("sessions", "train"), 2),
        (("steps", "train"), 3),
        (("sessions", "eval"), 1),
        (("steps", "eval"), 1),
    ]
    assert_that(tallies, equal_to(expected))
    pipeline.run().wait_until_finish()
    written = json.load(open(tmp_path / "statistics.json"))
    assert written["eval"]["responses"]["watch_time"]["mean_raw"] == pytest.approx(4000)
