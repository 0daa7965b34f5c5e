"""Ground-truth evaluation: every policy plays the same users' sessions in the world.

ARCHITECTURE §3.1. The synthetic world is rebuilt from `world.json`; each policy (a
numpy `policy_fn(observation) -> candidate indices`, usually a `SavedModelPolicy`) plays
`num_sessions` sessions of each held-out user for each seed. Seeds fix every random draw
(common random numbers: the same users, session starts and per-step draws for every
policy), so differences between policies are not sampling noise of the world.

Candidates come from the world's own candidate generator, identical for every policy
under the same seed, and the policy ranks them through its `rank` signature.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from tscac_tf.specs import responses

PolicyFn = Callable[..., np.ndarray]


@dataclasses.dataclass(frozen=True)
class GroundTruthConfig:
    """How many users, sessions and seeds the evaluation plays.

    Attributes:
      num_users: held-out users, drawn without replacement by `user_seed` from the world.
      num_sessions: sessions per user per seed.
      seeds: evaluation seeds (at least 3: the issue's protocol).
      user_seed: picks the users (the same users for every policy).
    """

    num_users: int = 300
    num_sessions: int = 2
    seeds: tuple[int, ...] = (101, 202, 303)
    user_seed: int = 7

    def __post_init__(self):
        if self.num_users < 1 or self.num_sessions < 1:
            raise ValueError(
                f"num_users and num_sessions must be >= 1, got {self.num_users}, {self.num_sessions}"
            )
        if len(self.seeds) < 3 or len(set(self.seeds)) != len(self.seeds):
            raise ValueError(f"ground truth needs at least 3 distinct seeds, got {self.seeds}")


def held_out_users(world, config: GroundTruthConfig) -> np.ndarray:
    """The evaluation users: a seeded sample of the world's users, sorted."""
    all_users = np.asarray(world.population.users.ids, np.int64)
    n = min(config.num_users, len(all_users))
    return np.sort(np.random.default_rng(config.user_seed).choice(all_users, size=n, replace=False))


def raw_session_metrics(result) -> dict[str, np.ndarray]:
    """{metric: [S]} raw per-session totals from a RolloutResult (hate as a count)."""
    out = {
        r.name: np.asarray(result.returns[r.name], np.float64) * r.sign for r in responses.RESPONSES
    }
    out["depth"] = np.asarray(result.depth, np.float64)
    return out


def evaluate_policies(
    world,
    policies: Mapping[str, PolicyFn],
    config: GroundTruthConfig,
    with_state: Sequence[str] = (),
    candidates: Callable | None = None,
) -> dict[str, dict[str, np.ndarray]]:
    """Plays every policy; returns {policy: {metric: [sessions] pooled over seeds}}.

    Args:
      world: a simulator World.
      policies: {name: policy_fn}; those named in `with_state` receive the lanes' user
        state as a second argument (oracle references).
      config: users, sessions and seeds.
      candidates: another candidate source than the world's generator (rollout.rollout).
    """
    users = held_out_users(world, config)
    results = {}
    for name, policy_fn in policies.items():
        per_seed = [
            raw_session_metrics(
                world.rollout(
                    policy_fn,
                    users,
                    seed,
                    num_sessions=config.num_sessions,
                    with_state=name in with_state,
                    candidates=candidates,
                )
            )
            for seed in config.seeds
        ]
        results[name] = {m: np.concatenate([s[m] for s in per_seed]) for m in per_seed[0]}
    return results
