"""Batched policy rollouts in the world: many users' sessions at once, numpy in and out.

The ground-truth evaluator (ARCHITECTURE §3) calls an exported SavedModel on batches;
calling it once per step of one user would be slow, so every user is a lane, and each
iteration asks the policy for all lanes in session at once. A lane plays its user's
sessions one after the other, so lasting effects (interest drift, follows) carry over.

Common random numbers: the draws of a request are keyed by (seed, user, session index,
position), never by lane or batch, so every policy evaluated with the same users and seed
meets the same session starts and per-step draws, and `ShortVideoEnvironment` with the same
seed reproduces a rollout step for step.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np

from tscac_tf.simulator import random_streams as rs
from tscac_tf.simulator import user_state as us
from tscac_tf.specs import responses

# Rollout sessions are keyed apart from logged sessions (day * 16 + slot) of the same seed.
ROLLOUT_SESSION_KEY = 1 << 32

PolicyFn = Callable[..., np.ndarray]


@dataclasses.dataclass(frozen=True)
class RolloutResult:
    """Per-session outcomes, user-major (user i's sessions are consecutive).

    Attributes:
      user_ids: int64 [S]; session_index: int64 [S] (0-based per user).
      depth: int64 [S] exposures in the session.
      returns: {response: float64 [S]} undiscounted sum of rewards (reward_from_raw:
        watch time in seconds, hate negative), registry order.
    """

    user_ids: np.ndarray
    session_index: np.ndarray
    depth: np.ndarray
    returns: dict[str, np.ndarray]

    def mean_per_session(self) -> dict[str, float]:
        """{response: mean return per session} plus "depth"."""
        out = {name: float(v.mean()) for name, v in self.returns.items()}
        out["depth"] = float(self.depth.mean())
        return out

    def mean_per_step(self) -> dict[str, float]:
        """{response: total reward / total exposures}."""
        steps = max(int(self.depth.sum()), 1)
        return {name: float(v.sum()) / steps for name, v in self.returns.items()}


def _actions(policy_fn, observation, state, rows, with_state, k) -> np.ndarray:
    if with_state:
        actions = policy_fn(observation, state.select(rows))
    else:
        actions = policy_fn(observation)
    actions = np.asarray(actions)
    n = len(rows)
    if actions.shape != (n,) or actions.dtype.kind not in "iu":
        raise ValueError(
            f"policy_fn must return integer candidate indices of shape ({n},), got "
            f"{actions.dtype} {actions.shape}"
        )
    if np.any((actions < 0) | (actions >= k)):
        bad = actions[(actions < 0) | (actions >= k)][:5].tolist()
        raise ValueError(f"policy_fn returned candidate indices {bad} outside [0, {k})")
    return actions.astype(np.int64)


def rollout(
    world,
    policy_fn: PolicyFn,
    user_ids,
    seed: int,
    num_sessions: int = 1,
    with_state: bool = False,
    candidates: Callable | None = None,
) -> RolloutResult:
    """Plays `num_sessions` sessions of every user with `policy_fn`.

    Args:
      world: the World.
      policy_fn: observation -> int [n] candidate indices, where the observation is
        {key: np.ndarray [n, ...]} with session_schema.OBSERVATION_KEYS (real ids); with
        `with_state`, policy_fn(observation, state) also gets the lanes' UserState (for
        oracle policies that call world.expected_responses / expected_leave).
      user_ids: real user ids (each must be in the world).
      seed: the evaluation seed (common random numbers across policies).
      num_sessions: sessions per user.
      with_state: see policy_fn.
      candidates: the candidate source, (state, rows, request hash) -> int64 [n, K] world
        video indices; None: the world's own generator (World.candidates).

    Returns:
      RolloutResult with len(user_ids) * num_sessions sessions.
    """
    user_ids = np.asarray(user_ids, np.int64)
    state = world.initial_state(user_ids)
    lanes = len(user_ids)
    names = responses.RESPONSE_NAMES
    totals = np.zeros((len(names), lanes, num_sessions))
    depth = np.zeros((lanes, num_sessions), np.int64)
    session = np.zeros(lanes, np.int64)
    in_session = np.zeros(lanes, bool)
    k = world.num_candidates
    generate = candidates or world.candidates
    while True:
        starting = np.nonzero(~in_session & (session < num_sessions))[0]
        us.start_sessions(state, starting, world.config.dynamics)
        in_session[starting] = True
        rows = np.nonzero(in_session)[0]
        if rows.size == 0:
            break
        base = evaluation_request_hash(seed, user_ids[rows], session[rows], state.position[rows])
        offered = generate(state, rows, base)
        observation = world.observation(state, rows, offered)
        actions = _actions(policy_fn, observation, state, rows, with_state, k)
        exposure = world.step(state, rows, offered[np.arange(rows.size), actions], base)
        rewards = exposure.rewards()
        for i, name in enumerate(names):
            totals[i, rows, session[rows]] += rewards[name]
        depth[rows, session[rows]] += 1
        ended = rows[exposure.leave]
        in_session[ended] = False
        session[ended] += 1
    return RolloutResult(
        user_ids=np.repeat(user_ids, num_sessions),
        session_index=np.tile(np.arange(num_sessions, dtype=np.int64), lanes),
        depth=depth.ravel(),
        returns={name: totals[i].ravel() for i, name in enumerate(names)},
    )


def evaluation_request_hash(seed: int, user_ids, session_index, position) -> np.ndarray:
    """Request hash of evaluation session `session_index` (shared with the environment)."""
    keys = ROLLOUT_SESSION_KEY + np.asarray(session_index, np.int64)
    return rs.request_hash(seed, user_ids, keys, position)
