"""Batched rollouts: common random numbers, batch independence, policy output checks."""

import numpy as np
import pytest

from tscac_tf.simulator.rollout import RolloutResult


def _by_candidate_id(observation):
    # A deterministic policy that depends on the observation: the largest hashed id.
    return np.argmax((observation["candidate_video_ids"] * 2654435761) % 1_000_003, axis=1)


def test_same_users_and_seed_give_identical_outcomes(small_world):
    users = small_world.population.users.ids[:30]
    a = small_world.rollout(_by_candidate_id, users, seed=3, num_sessions=2)
    b = small_world.rollout(_by_candidate_id, users, seed=3, num_sessions=2)
    c = small_world.rollout(_by_candidate_id, users, seed=4, num_sessions=2)
    np.testing.assert_array_equal(a.depth, b.depth)
    np.testing.assert_array_equal(a.returns["watch_time"], b.returns["watch_time"])
    assert not np.array_equal(a.returns["watch_time"], c.returns["watch_time"])


def test_a_users_outcome_does_not_depend_on_the_rest_of_the_batch(small_world):
    users = small_world.population.users.ids[:30]
    batch = small_world.rollout(_by_candidate_id, users, seed=3, num_sessions=2)
    alone = small_world.rollout(_by_candidate_id, users[7:8], seed=3, num_sessions=2)
    np.testing.assert_array_equal(alone.depth, batch.depth[14:16])
    for name, values in alone.returns.items():
        np.testing.assert_array_equal(values, batch.returns[name][14:16])


def test_result_layout(small_world):
    users = small_world.population.users.ids[:5]
    result = small_world.rollout(_by_candidate_id, users, seed=0, num_sessions=3)
    assert isinstance(result, RolloutResult)
    np.testing.assert_array_equal(result.user_ids, np.repeat(users, 3))
    np.testing.assert_array_equal(result.session_index, np.tile([0, 1, 2], 5))
    assert np.all(result.depth >= 1)
    assert np.all(result.returns["hate"] <= 0) and np.all(result.returns["watch_time"] >= 0)
    means = result.mean_per_session()
    assert means["depth"] == pytest.approx(result.depth.mean())
    assert result.mean_per_step()["click"] == pytest.approx(
        result.returns["click"].sum() / result.depth.sum()
    )


def test_observations_are_the_serving_inputs(small_world):
    seen = []

    def policy(observation):
        seen.append(observation)
        return np.zeros(len(observation["user_id"]), np.int64)

    small_world.rollout(policy, small_world.population.users.ids[:3], seed=0)
    first = seen[0]
    assert sorted(first) == sorted(
        ("user_id", "history_video_ids", "history_play_time_ms", "candidate_video_ids")
    )
    assert first["history_video_ids"].shape == (3, 20) and np.all(first["history_video_ids"] == -1)
    assert first["candidate_video_ids"].shape == (3, 50)
    assert all(v.dtype == np.int64 for v in first.values())
    later = [o for o in seen[1:] if o["history_video_ids"][0, 0] >= 0]
    if later:  # the history holds real video ids of this session, most recent first
        assert np.isin(later[0]["history_video_ids"][0, 0], small_world.population.videos.ids)


@pytest.mark.parametrize(
    "bad, message",
    [
        (lambda o: np.zeros(1, np.int64), r"shape \(4,\)"),
        (lambda o: np.full(4, 50), r"outside \[0, 50\)"),
        (lambda o: np.zeros(4), "integer candidate indices"),
    ],
)
def test_bad_policy_outputs_are_named(small_world, bad, message):
    with pytest.raises(ValueError, match=message):
        small_world.rollout(bad, small_world.population.users.ids[:4], seed=0)
