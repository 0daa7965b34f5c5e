"""Oracle references that know the world's true response model (ARCHITECTURE §3, issue 8.5).

The myopic frontier: rank the candidates by expected immediate watch time plus `a` times
the expected auxiliary responses, each normalised by the reference (BC) per-step rate so
that every constraint weighs the same in relative terms:

  score(v) = E[watch_time | s, v] / wt_ref + a · Σ_i E[r_i | s, v] / |rate_i|

(r_i = −hate for hate, so hate lowers the score). Sweeping `a` traces what a policy that
knows the true immediate responses, but does not plan, can reach; the best watch time
among the sweep points whose constraints all hold is "what the world allows" at BC's
constraint levels, and each learned policy's gain is read as a fraction of it.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from tscac_tf.specs import responses


def myopic_oracle(world, a: float, reference_rates: Mapping[str, float]):
    """policy_fn(observation, state) -> argmax of the oracle score (a with_state policy)."""
    for spec in responses.RESPONSES:
        if abs(reference_rates.get(spec.name, 0.0)) <= 0:
            raise ValueError(
                f"reference rate of {spec.name!r} must be non-zero, got {reference_rates.get(spec.name)}"
            )

    def policy_fn(observation, state):
        candidates = np.asarray(observation["candidate_video_ids"], np.int64)
        expected = world.expected_responses(state, candidates)
        main = responses.MAIN_RESPONSE.name
        score = expected[main] / abs(reference_rates[main])
        for spec in responses.AUXILIARY_RESPONSES:
            score = score + a * expected[spec.name] / abs(reference_rates[spec.name])
        score = np.where(candidates < 0, -np.inf, score)
        return np.argmax(score, axis=1).astype(np.int64)

    return policy_fn


def frontier_best(report_policies: Mapping[str, Mapping], prefix: str = "oracle_") -> str | None:
    """Name of the oracle row with the highest watch time among those whose constraints hold."""
    best, best_wt = None, -np.inf
    for name, p in report_policies.items():
        if name.startswith(prefix) and p["all_constraints_hold"]:
            wt = p["ground_truth"]["watch_time"]["mean"]
            if wt > best_wt:
                best, best_wt = name, wt
    return best


def fraction_of_frontier(
    report_policies: Mapping[str, Mapping], reference: str = "bc"
) -> dict[str, float]:
    """{policy: (WT − WT_bc) / (WT_frontier − WT_bc)} for the learned policies."""
    best = frontier_best(report_policies)
    if best is None:
        return {}
    wt = {n: p["ground_truth"]["watch_time"]["mean"] for n, p in report_policies.items()}
    gap = wt[best] - wt[reference]
    if gap <= 0:
        return {}
    return {
        n: (wt[n] - wt[reference]) / gap
        for n, p in report_policies.items()
        if p["group"] == "policy"
    }
