"""The synthetic world as a TF-Agents PyEnvironment: one episode is one user session.

Observation: exactly the serving `rank` inputs (session_schema.observation_spec(H, K)):
user_id int64 [], history_video_ids int64 [H] (this session's videos, most recent first,
-1 padded), history_play_time_ms int64 [H], candidate_video_ids int64 [K] from the world's
candidate generator. Action: int64 index into the candidates. Reward: float32 [m], one
entry per response in registry order (responses.RESPONSES, reward_from_raw: watch time in
seconds, hate as -is_hate). The episode ends when the user leaves.

Episodes cycle through the given users: episode e is session e // n of user e % n, and a
user's lasting state (interest drift, follows) carries over between their sessions. Draws
are keyed by (seed, user, session, position), exactly as in `World.rollout`, so with the
same users and seed every policy meets the same sessions and per-step draws (common random
numbers), and the environment reproduces a rollout step for step.
"""

from __future__ import annotations

import numpy as np
from tf_agents.environments import py_environment
from tf_agents.specs import array_spec, tensor_spec
from tf_agents.trajectories import time_step as ts

from tscac_tf.simulator import user_state as us
from tscac_tf.simulator.rollout import evaluation_request_hash
from tscac_tf.simulator.world import World
from tscac_tf.specs import responses, session_schema


class ShortVideoEnvironment(py_environment.PyEnvironment):
    """Sessions of held-out users in a World, one at a time."""

    def __init__(self, world: World, user_ids, seed: int):
        """Args:
        world: the World (World.from_json(world.json) for a generated dataset).
        user_ids: real user ids of the world's population, played in turn.
        seed: evaluation seed (common random numbers).
        """
        super().__init__()
        self._world = world
        self._user_ids = np.asarray(user_ids, np.int64)
        if self._user_ids.ndim != 1 or self._user_ids.size == 0:
            raise ValueError(
                f"ShortVideoEnvironment: expected a non-empty list of user ids, got {user_ids!r}"
            )
        self._state = world.initial_state(self._user_ids)
        self._seed = seed
        self._episode = -1
        self._lane = np.zeros(1, np.int64)
        self._candidates = None
        self._observation_spec = tensor_spec.to_nest_array_spec(
            session_schema.observation_spec(world.history_length, world.num_candidates)
        )
        self._action_spec = array_spec.BoundedArraySpec(
            (), np.int64, 0, world.num_candidates - 1, name="action"
        )
        self._reward_spec = array_spec.ArraySpec(
            (len(responses.RESPONSES),), np.float32, name="reward"
        )

    def observation_spec(self):
        return self._observation_spec

    def action_spec(self):
        return self._action_spec

    def reward_spec(self):
        return self._reward_spec

    @property
    def episode_user_id(self) -> int:
        """Real id of the user in the current episode."""
        return int(self._user_ids[self._lane[0]])

    @property
    def episode_session_index(self) -> int:
        """0-based session number of that user in the current episode."""
        return self._episode // self._user_ids.size

    def _request(self) -> np.ndarray:
        position = self._state.position[self._lane]
        user = self._user_ids[self._lane]
        return evaluation_request_hash(self._seed, user, [self.episode_session_index], position)

    def _observe(self) -> dict:
        self._base = self._request()
        self._candidates = self._world.candidates(self._state, self._lane, self._base)
        batch = self._world.observation(self._state, self._lane, self._candidates)
        return {key: np.asarray(value[0], np.int64) for key, value in batch.items()}

    def _reset(self):
        self._episode += 1
        self._lane[0] = self._episode % self._user_ids.size
        us.start_sessions(self._state, self._lane, self._world.config.dynamics)
        return ts.restart(self._observe(), reward_spec=self._reward_spec)

    def _step(self, action):
        index = int(np.asarray(action))
        if not 0 <= index < self._world.num_candidates:
            raise ValueError(
                f"ShortVideoEnvironment: action must be a candidate index in "
                f"[0, {self._world.num_candidates}), got {index}"
            )
        video = self._candidates[:, index]
        exposure = self._world.step(self._state, self._lane, video, self._base)
        rewards = exposure.rewards()
        reward = np.array([rewards[r.name][0] for r in responses.RESPONSES], np.float32)
        observation = self._observe()
        if exposure.leave[0]:
            return ts.termination(observation, reward, outer_dims=())
        return ts.transition(observation, reward, discount=1.0, outer_dims=())
