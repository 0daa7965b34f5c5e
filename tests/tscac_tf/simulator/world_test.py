"""The world: expectations agree with sampling, persistence, and the trade-off it poses."""

import json

import numpy as np
import pytest

from tscac_tf.simulator import random_streams as rs
from tscac_tf.simulator.world import World
from tscac_tf.specs import responses


def _lane_state(world, n_users=4):
    state = world.initial_state(world.population.users.ids[:n_users])
    base = rs.hash_keys(0, np.arange(n_users))
    candidates = world.candidates(state, np.arange(n_users), base)
    return state, world.video_ids(candidates)


def test_expected_responses_are_rewards_in_registry_order(small_world):
    state, ids = _lane_state(small_world)
    expected = small_world.expected_responses(state, ids)
    assert tuple(expected) == responses.RESPONSE_NAMES
    assert all(v.shape == ids.shape for v in expected.values())
    assert np.all(expected["hate"] <= 0) and np.all(expected["watch_time"] > 0)
    assert np.all((expected["click"] > 0) & (expected["click"] < 1))


def test_expectations_match_sampled_steps(small_world):
    state, ids = _lane_state(small_world)
    state.satisfaction[:] = 0.7
    state = state.select(np.array([0]))
    expected = small_world.expected_responses(state, ids[:1, :3])
    leave = small_world.expected_leave(state, ids[:1, :3])
    n = 100_000
    for k in range(3):
        copies = state.select(np.zeros(n, np.int64))
        video = np.full(n, small_world.population.videos.index_of(ids[:1, k])[0])
        exposure = small_world.step(copies, np.arange(n), video, rs.hash_keys(k, np.arange(n)))
        rewards = exposure.rewards()
        assert rewards["watch_time"].mean() == pytest.approx(expected["watch_time"][0, k], rel=0.03)
        for name in ("click", "like", "hate"):
            assert rewards[name].mean() == pytest.approx(expected[name][0, k], abs=0.01)
        assert exposure.leave.mean() == pytest.approx(leave[0, k], abs=0.01)


def test_what_is_shown_changes_the_user(small_world):
    state, ids = _lane_state(small_world, 1)
    videos = small_world.population.videos
    index = videos.index_of(ids[0])
    tags = videos.tag_index[index, 0]
    same_tag = ids[0][tags == tags[0]]
    before = small_world.expected_responses(state, same_tag[None, :])["watch_time"]
    for _ in range(3):  # show the first video's tag three times
        small_world.step(state, np.array([0]), index[:1], rs.hash_keys(5, np.arange(1)))
    after = small_world.expected_responses(state, same_tag[None, :])["watch_time"]
    assert np.all(after < before)  # saturation


def test_hate_raises_the_chance_of_leaving(small_world):
    state, ids = _lane_state(small_world, 2)
    calm = small_world.expected_leave(state, ids)
    state.annoyance[:] = 1.0
    assert np.all(small_world.expected_leave(state, ids) > calm)


def test_unknown_ids_are_errors(small_world):
    with pytest.raises(ValueError, match=r"user ids \[-7\] are not in this world"):
        small_world.initial_state([-7])
    state, ids = _lane_state(small_world, 1)
    with pytest.raises(ValueError, match=r"video ids \[-3\] are not in this world"):
        small_world.expected_responses(state, np.array([[-3]]))
    with pytest.raises(ValueError, match=r"shape \[B, K\] with B = 1 lanes in the state, got"):
        small_world.expected_leave(state, ids.ravel())


def _first_candidate(observation):
    return np.zeros(len(observation["user_id"]), np.int64)


def test_json_round_trip_rebuilds_the_identical_world(small_world, tmp_path):
    path = str(tmp_path / "world.json")
    small_world.to_json(path)
    rebuilt = World.from_json(path)
    assert rebuilt.config == small_world.config
    users = small_world.population.users.ids[:20]
    a = small_world.rollout(_first_candidate, users, seed=4, num_sessions=2)
    b = rebuilt.rollout(_first_candidate, users, seed=4, num_sessions=2)
    np.testing.assert_array_equal(a.returns["watch_time"], b.returns["watch_time"])


def test_from_json_errors(small_world, tmp_path):
    path = tmp_path / "world.json"
    small_world.to_json(str(path))
    doc = json.loads(path.read_text())
    doc["population_fingerprint"] = "0" * 64
    path.write_text(json.dumps(doc))
    with pytest.raises(ValueError, match="rebuilt population differs"):
        World.from_json(str(path))
    path.write_text(json.dumps({"format": "other", "version": 1}))
    with pytest.raises(ValueError, match="expected format 'tscac-synthetic-world'"):
        World.from_json(str(path))
    with pytest.raises(FileNotFoundError, match="does not exist"):
        World.from_json(str(tmp_path / "missing.json"))


# --- the trade-off ---------------------------------------------------------------------

_REAL_RATES = {"like": 0.01848, "follow": 0.00107, "comment": 0.00255, "forward": 0.00096}
# Value of keeping the user for another exposure, in seconds of watch time: about the
# watch time a good policy still collects in a session.
_CONTINUATION_S = 300.0


def _policies(world):
    def watch_time_greedy(observation, state):
        expected = world.expected_responses(state, observation["candidate_video_ids"])
        return np.argmax(expected["watch_time"], axis=1)

    def interaction_greedy(observation, state):
        expected = world.expected_responses(state, observation["candidate_video_ids"])
        return np.argmax(sum(expected[n] / r for n, r in _REAL_RATES.items()), axis=1)

    def planner(observation, state):
        # One-step lookahead: immediate watch time plus the value of the user staying.
        ids = observation["candidate_video_ids"]
        expected = world.expected_responses(state, ids)["watch_time"]
        return np.argmax(expected + _CONTINUATION_S * (1.0 - world.expected_leave(state, ids)), 1)

    return {
        "behavior": world.behavior_policy_fn(seed=2),
        "watch_time_greedy": watch_time_greedy,
        "interaction_greedy": interaction_greedy,
        "planner": planner,
    }


def _recorded(world, policy, log):
    """The policy, logging the true expected rewards of each action it takes (low variance)."""

    def wrapped(observation, state):
        actions = policy(observation, state)
        chosen = np.take_along_axis(observation["candidate_video_ids"], actions[:, None], axis=1)
        log.append(world.expected_responses(state, chosen))
        return actions

    return wrapped


@pytest.fixture(scope="module")
def outcomes(small_world):
    users = small_world.population.users.ids
    out = {}
    for name, policy in _policies(small_world).items():
        log = []
        result = small_world.rollout(
            _recorded(small_world, policy, log), users, seed=1, num_sessions=3, with_state=True
        )
        expected = {n: np.concatenate([step[n][:, 0] for step in log]) for n in log[0]}
        out[name] = {
            "session_watch": result.mean_per_session()["watch_time"],
            "step_watch": expected["watch_time"].mean(),
            "interactions": np.mean([expected[n].mean() / r for n, r in _REAL_RATES.items()]),
        }
    return out


def test_watch_time_greedy_loses_interactions(outcomes):
    greedy, behavior = outcomes["watch_time_greedy"], outcomes["behavior"]
    assert greedy["step_watch"] > 1.3 * behavior["step_watch"]
    assert greedy["interactions"] < 0.7 * behavior["interactions"]


def test_interaction_greedy_loses_watch_time(outcomes):
    greedy, behavior = outcomes["interaction_greedy"], outcomes["behavior"]
    assert greedy["interactions"] > 1.3 * behavior["interactions"]
    assert greedy["step_watch"] < 0.7 * behavior["step_watch"]
    assert greedy["session_watch"] < behavior["session_watch"]


def test_a_myopic_policy_loses_to_one_that_plans(outcomes):
    myopic, planner = outcomes["watch_time_greedy"], outcomes["planner"]
    assert planner["session_watch"] > 1.1 * myopic["session_watch"]
