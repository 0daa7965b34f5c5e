"""The logging policy: a softmax ranker plus uniform exposures, with exact propensities."""

import numpy as np
import pytest

from tscac_tf.simulator import random_streams as rs
from tscac_tf.simulator import user_state as us
from tscac_tf.simulator.behavior_policy import BehaviorPolicy, sample_slots
from tscac_tf.simulator.world_config import BehaviorConfig


def _request(world, n, seed=0):
    state = us.UserState.initial(world.population, np.arange(n) % 200, 20)
    rows = np.arange(n)
    base = rs.hash_keys(seed, rows)
    candidates = world.candidates(state, rows, base)
    expected = world.expected_raw(state, rows, candidates)
    return state, rows, base, candidates, expected


def test_rank_probabilities_prefer_higher_predictions(small_world):
    _, rows, base, candidates, expected = _request(small_world, 400)
    user_ids = small_world.population.users.ids[rows % 200]
    probs = small_world.behavior.rank_probabilities(
        expected, user_ids, small_world.video_ids(candidates), base
    )
    np.testing.assert_allclose(probs.sum(axis=1), 1.0)
    top = np.argmax(probs, axis=1)
    ranked_watch = expected["watch_time"][rows, top] / expected["watch_time"].mean(axis=1)
    assert np.median(ranked_watch) > 1.2  # the ranker favours long expected watch


def test_propensity_is_the_probability_under_the_full_mixture(small_world):
    config = BehaviorConfig(random_exposure_rate=0.3)
    policy = BehaviorPolicy(config, seed=0, num_videos=1000)
    probs = np.tile(np.array([[0.5, 0.3, 0.2]]), (20_000, 1))
    candidates = np.tile(np.array([[7, 8, 9]]), (20_000, 1))
    video, is_rand, propensity = policy.choose(
        probs, candidates, rs.hash_keys(1, np.arange(20_000))
    )
    assert is_rand.mean() == pytest.approx(0.3, abs=0.01)
    shown = video == 7
    assert propensity[shown & (is_rand == 0)][0] == pytest.approx(0.7 * 0.5 + 0.3 / 1000)
    outside = ~np.isin(video, [7, 8, 9])
    np.testing.assert_allclose(propensity[outside], 0.3 / 1000)
    # the logged frequency of video 7 is its propensity
    assert shown.mean() == pytest.approx(0.7 * 0.5 + 0.3 / 1000, abs=0.01)
    assert np.all(is_rand[outside] == 1)


def test_random_exposures_are_uniform_over_the_pool():
    policy = BehaviorPolicy(BehaviorConfig(random_exposure_rate=1.0), seed=0, num_videos=10)
    probs = np.full((50_000, 2), 0.5)
    video, is_rand, _ = policy.choose(
        probs, np.zeros((50_000, 2), np.int64), rs.hash_keys(2, np.arange(50_000))
    )
    assert np.all(is_rand == 1)
    np.testing.assert_allclose(np.bincount(video, minlength=10) / 50_000, 0.1, atol=0.006)


def test_sample_slots_inverse_cdf():
    probs = np.array([[0.2, 0.5, 0.3]] * 4)
    np.testing.assert_array_equal(
        sample_slots(probs, np.array([0.1, 0.2001, 0.69, 0.71])), [0, 1, 1, 2]
    )
