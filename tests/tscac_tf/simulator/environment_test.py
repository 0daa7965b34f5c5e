"""The TF-Agents PyEnvironment: specs, validation, and common random numbers with rollouts."""

import numpy as np
import pytest
from tf_agents.environments import utils
from tf_agents.specs import tensor_spec

from tscac_tf.simulator.environment import ShortVideoEnvironment
from tscac_tf.specs import responses, session_schema


def test_validate_py_environment(small_world):
    env = ShortVideoEnvironment(small_world, small_world.population.users.ids[:6], seed=0)
    utils.validate_py_environment(env, episodes=6)


def test_specs_are_the_serving_observation_and_the_registry_reward(small_world):
    env = ShortVideoEnvironment(small_world, small_world.population.users.ids[:2], seed=0)
    expected = tensor_spec.to_nest_array_spec(session_schema.observation_spec(20, 50))
    assert env.observation_spec() == expected
    assert env.reward_spec().shape == (len(responses.RESPONSES),)
    assert env.action_spec().minimum == 0 and env.action_spec().maximum == 49


def _policy(observation):
    return np.argmax((observation["candidate_video_ids"] * 2654435761) % 1_000_003, axis=-1)


def _play(env, episodes):
    out = []
    for _ in range(episodes):
        step, total, depth = env.reset(), np.zeros(len(responses.RESPONSES)), 0
        while not step.is_last():
            step = env.step(np.int64(_policy(step.observation)))
            total += step.reward
            depth += 1
        out.append((env.episode_user_id, env.episode_session_index, depth, total))
    return out


def test_environment_reproduces_the_batched_rollout(small_world):
    users = small_world.population.users.ids[:4]
    env = _play(ShortVideoEnvironment(small_world, users, seed=9), episodes=8)
    rollout = small_world.rollout(
        lambda o: _policy(o), users, seed=9, num_sessions=2
    )  # user-major; the environment goes session-major
    for user, session, depth, total in env:
        i = int(np.nonzero(users == user)[0][0]) * 2 + session
        assert depth == rollout.depth[i]
        for j, name in enumerate(responses.RESPONSE_NAMES):
            assert total[j] == pytest.approx(rollout.returns[name][i], rel=1e-5, abs=1e-5)


def test_terminal_step_and_reward_signs(small_world):
    env = ShortVideoEnvironment(small_world, small_world.population.users.ids[:3], seed=1)
    step = env.reset()
    assert step.is_first() and np.all(step.reward == 0)
    while not step.is_last():
        step = env.step(np.int64(0))
        assert step.reward[0] >= 0 and step.reward[-1] <= 0  # watch seconds, -is_hate
    assert step.discount == 0.0


def test_bad_inputs(small_world):
    with pytest.raises(ValueError, match="non-empty list of user ids"):
        ShortVideoEnvironment(small_world, [], seed=0)
    env = ShortVideoEnvironment(small_world, small_world.population.users.ids[:1], seed=0)
    env.reset()
    with pytest.raises(ValueError, match=r"candidate index in \[0, 50\), got 50"):
        env.step(np.int64(50))
