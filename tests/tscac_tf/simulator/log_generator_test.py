"""The logged behaviour policy on the default preset reproduces KuaiRand-Pure's figures.

The default preset is generated once for this module (~300K rows; about 20-40 s).
"""

import datetime

import numpy as np
import pandas as pd
import pytest

from tscac_tf.simulator import kuairand_reference as ref
from tscac_tf.simulator import log_generator, stats
from tscac_tf.simulator.world import World
from tscac_tf.specs import kuairand_schema as ks

_SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))


@pytest.fixture(scope="module")
def default_world():
    return World.preset("default")


@pytest.fixture(scope="module")
def log(default_world):
    return log_generator.generate_log(default_world)


def test_size(log):
    assert 250_000 < log["user_id"].size < 400_000
    assert np.unique(log["user_id"]).size == 3000


@pytest.mark.parametrize("name", ["like", "comment", "follow", "forward", "hate"])
def test_sparse_rates_within_25_percent_of_the_real_ones(log, name):
    rate = log[stats.RATE_COLUMNS[name]].mean()
    assert rate == pytest.approx(ref.RATES[name], rel=0.25)


@pytest.mark.parametrize("name", ["click", "long_view"])
def test_click_and_long_view_within_5_points(log, name):
    assert log[stats.RATE_COLUMNS[name]].mean() == pytest.approx(ref.RATES[name], abs=0.05)


def test_co_occurrence_is_shaped_like_the_real_table(log):
    like, hate, follow = log["is_like"] == 1, log["is_hate"] == 1, log["is_follow"] == 1

    def real(a, b):
        return ref.CO_OCCURRENCE[(a, b)] / ref.POSITIVES[b]

    assert log["is_click"][like].mean() == pytest.approx(real("click", "like"), abs=0.08)
    assert log["long_view"][like].mean() == pytest.approx(real("long_view", "like"), abs=0.08)
    assert log["is_like"][follow].mean() == pytest.approx(real("like", "follow"), abs=0.15)
    # hate is mostly on short plays: fewer than two thirds of hates are clicks
    assert log["is_click"][hate].mean() < 0.65


def test_return_gaps_follow_the_real_distribution(log):
    shares = stats.return_gap_shares(log["user_id"], log["date"])
    for label, real in zip(ref.RETURN_GAP_DAYS, ref.RETURN_GAP_SHARES, strict=True):
        assert shares[label] == pytest.approx(real, abs=0.03)


def test_uniform_exposures_and_propensities(log, default_world):
    assert log["is_rand"].mean() == pytest.approx(ref.IS_RAND_SHARE, abs=0.001)
    propensity = log[ks.PROPENSITY_COLUMN.name]
    assert np.all((propensity > 0) & (propensity <= 1))
    floor = default_world.config.behavior.random_exposure_rate / 7583
    assert propensity.min() == pytest.approx(floor, rel=1e-6)  # a uniform pick outside C
    ranked = log["is_rand"] == 0
    assert np.median(propensity[ranked]) > 0.05  # the ranker is concentrated, not uniform


def test_time_columns_are_consistent_in_shanghai_time(log):
    sample = np.random.default_rng(0).choice(log["user_id"].size, 2000, replace=False)
    for i in sample:
        moment = datetime.datetime.fromtimestamp(log["time_ms"][i] / 1000, _SHANGHAI)
        assert log["date"][i] == moment.year * 10000 + moment.month * 100 + moment.day
        assert log["hourmin"][i] == moment.hour * 100
    order = np.lexsort((log["time_ms"], log["user_id"]))
    np.testing.assert_array_equal(order, np.arange(order.size))  # sorted by user, time


def test_sessions_are_separated_by_more_than_30_minutes(log):
    depths = stats.session_depths(log["user_id"], log["time_ms"])
    assert 3.0 < depths.mean() < 10.0 and depths.max() <= 200
    same_user = log["user_id"][1:] == log["user_id"][:-1]
    gaps = np.diff(log["time_ms"])[same_user]
    # within a session: play time plus a pause; between sessions: more than 30 minutes
    assert np.all((gaps <= 30 * 60_000) | (gaps > 30 * 60_000 + 60_000))


def test_features_predict_behaviour(log, default_world):
    frame = pd.DataFrame({c: log[c] for c in ("video_id", "play_time_ms", "duration_ms")})
    complete = frame["play_time_ms"] >= frame["duration_ms"]
    short = frame["duration_ms"] < 15_000
    assert complete[short].mean() > 2 * complete[frame["duration_ms"] > 60_000].mean()
    users = default_world.population.users
    rows = np.bincount(users.index_of(log["user_id"]), minlength=users.ids.size)
    assert rows[users.activity > 0.5].mean() > rows[users.activity < 0.1].mean()
    assert np.all(ks.is_click(log["play_time_ms"], log["duration_ms"]) == log["is_click"])
    assert np.all(ks.is_long_view(log["play_time_ms"], log["duration_ms"]) == log["long_view"])


def test_tabs_follow_the_real_shares(log):
    total = sum(ref.TAB_COUNTS.values())
    assert np.mean(log["tab"] == 1) == pytest.approx(ref.TAB_COUNTS[1] / total, abs=0.03)
    assert np.mean(log["tab"] == 0) == pytest.approx(ref.TAB_COUNTS[0] / total, abs=0.03)


def test_exposure_is_about_as_concentrated_as_the_real_logs(log):
    # The real logs' most-shown video has 0.73% of the rows (10,424 of 1,436,609); without
    # the candidate generator's already-seen filter this world's had 2.2%.
    figures = stats.concentration(log["user_id"], log["video_id"])
    real = ref.ROWS_PER_VIDEO_RANGE[1] / ref.NUM_ROWS
    assert 0.5 * real < figures["top_video_share"] < 1.5 * real
    assert figures["repeated_pair_share"] < 0.01  # only uniform random exposures repeat
