"""Off-policy (NCIS) evaluation of exported policies on the held-out log split.

ARCHITECTURE §3.2 and paper §5.2: per-step values of every response on the evaluation
split's logged transitions, weighted by min(π_e(a|s) / π_b(a|s), 10) and self-normalised.

π_e is the served (greedy) policy: π_e(a|s) = 1 when the logged video is the one the
export ranks first among the step's candidates, else 0 (the paper smooths its scalar
actor with Gaussians of σ = 25 instead; a deterministic target is the σ → 0 limit and
is what serving shows). π_b is the behaviour model's softmax over the same candidates
(the BC export's `rank` scores), or the logged propensity where the log has one and
`propensity="logged"` is asked for. This is the protocol that works on real KuaiRand
logs, where no simulator exists.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from tscac_tf.data import reader
from tscac_tf.evaluation import ncis
from tscac_tf.evaluation.saved_model_policy import SavedModelPolicy, log_softmax
from tscac_tf.specs import responses
from tscac_tf.specs import session_schema as ss


def logged_eval_steps(
    data_dir: str, history_length: int, num_candidates: int, max_steps: int | None = None
):
    """The evaluation split as numpy: observation, action, propensity, raw rewards."""
    dataset = reader.transitions_dataset(
        data_dir, ss.EVAL_SPLIT, 2048, history_length, num_candidates, shuffle=False, repeat=False
    )
    parts = []
    seen = 0
    for batch in dataset.as_numpy_iterator():
        parts.append(batch)
        seen += len(batch["action"])
        if max_steps is not None and seen >= max_steps:
            break
    if not parts:
        raise ValueError(f"{data_dir}: the {ss.EVAL_SPLIT} split has no steps")

    def cat(*xs):
        return np.concatenate(xs)[:max_steps] if max_steps else np.concatenate(xs)

    observation = {k: cat(*[p["observation"][k] for p in parts]) for k in ss.OBSERVATION_KEYS}
    raw = {r.name: cat(*[p["reward"][r.name] for p in parts]) * r.sign for r in responses.RESPONSES}
    return {
        "observation": observation,
        "action": cat(*[p["action"] for p in parts]),
        "behavior_propensity": cat(*[p["behavior_propensity"] for p in parts]),
        "raw": raw,
    }


def behavior_log_prob(
    steps: Mapping, behavior: SavedModelPolicy | None, propensity: str
) -> np.ndarray:
    """log π_b(a_t|s_t) of the logged actions: from the BC export, or logged."""
    if propensity == "logged":
        p = np.asarray(steps["behavior_propensity"], np.float64)
        if (p <= 0).any():
            raise ValueError(
                "propensity='logged' but some steps have no logged propensity (real logs)"
            )
        return np.log(p)
    if propensity != "model" or behavior is None:
        raise ValueError(
            f"propensity must be 'logged' or 'model' with a behaviour export, got {propensity!r}"
        )
    log_probs = behavior.log_probs(steps["observation"])
    return log_probs[np.arange(len(steps["action"])), steps["action"]]


def greedy_log_prob(scores: np.ndarray, actions: np.ndarray) -> np.ndarray:
    """log π_e(a_t|s_t) of a greedy policy from its `rank` scores [B, K]: 0 where its top
    candidate is the logged video, −inf elsewhere (np.argmax takes the first of tied
    scores, as SavedModelPolicy.__call__, what is served)."""
    return np.where(np.argmax(scores, axis=1) == actions, 0.0, -np.inf)


# H = −Σ_a p(a) log p(a),  p = softmax(scores) over the valid candidates;  top = max_a p(a)
def choice_sharpness(scores: np.ndarray, candidate_video_ids: np.ndarray) -> dict[str, float]:
    """How sharp a policy's distribution over the candidates is, where it is served greedily.

    The policies are trained as softmax distributions over C_t, and served by their top
    candidate. On the default preset every policy is near uniform (RESULTS.md, All
    policies, "Session 22"): the served choice then rests on small score differences,
    and what the trained distribution's rates say holds only weakly for it.

    Args:
      scores: float [B, K] `rank` scores.
      candidate_video_ids: int [B, K], the steps' candidates (−1 = padding, left out).

    Returns:
      {"entropy": mean H over the steps (nats), "uniform_entropy": mean log of the number
      of valid candidates (a uniform choice's H), "top_share": median top probability}.
    """
    valid = np.asarray(candidate_video_ids) != ss.PADDING_ID
    if not valid.any(axis=1).all():
        raise ValueError("choice_sharpness: a step without any valid candidate")
    # log p straight from the scores: a valid candidate whose p underflows to 0 adds
    # 0 · (finite) to H, not 0 · log 0 = nan.
    log_p = log_softmax(np.where(valid, scores, -np.inf))
    p = np.exp(log_p)
    return {
        "entropy": float(np.mean(-(p * np.where(valid, log_p, 0.0)).sum(axis=1))),
        "uniform_entropy": float(np.mean(np.log(valid.sum(axis=1)))),
        "top_share": float(np.median(p.max(axis=1))),
    }


def ncis_per_policy(
    policies: Mapping[str, SavedModelPolicy],
    steps: Mapping,
    behavior_lp: np.ndarray,
    cap: float = ncis.DEFAULT_CAP,
) -> dict[str, dict[str, float]]:
    """{policy: {response: per-step NCIS value (raw units), "match_rate", the health
    figures of `ncis.ncis_estimate` and those of `choice_sharpness`}}."""
    out = {}
    candidates = steps["observation"]["candidate_video_ids"]
    for name, policy in policies.items():
        scores = policy.scores(steps["observation"])
        target = greedy_log_prob(scores, steps["action"])
        if not np.isfinite(target).any():
            out[name] = {"match_rate": 0.0, **choice_sharpness(scores, candidates)}
            continue
        estimate = ncis.ncis_estimate(steps["raw"], target, behavior_lp, cap)
        estimate["match_rate"] = float(np.isfinite(target).mean())
        estimate.update(choice_sharpness(scores, candidates))
        out[name] = estimate
    return out
