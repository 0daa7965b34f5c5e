"""What the report's NCIS watch-time estimates rest on, policy by policy.

    python benchmarks/ncis_diagnostics.py --workdir workdir [--policies bc,wide_deep,tscac]

`tscac evaluate` estimates each policy's per-step value with NCIS (ARCHITECTURE §3.2) on
every logged eval step of the candidates output, with a greedy target and π_b the BC
model's softmax. On synthetic data the report also has the ground truth, and the two
disagree: Wide&Deep and DeepFM come out about twice their ground truth (RESULTS.md,
Off-policy NCIS). This script takes the newest evaluate run of a finished main job and,
per policy, reports what the estimate is made of:

- the match rate (steps whose logged video the policy ranks first) on all eval steps, on
  the steps whose logged video retrieval found itself (`retrieved`) and on those where the
  candidates step inserted it (`inserted`);
- the share of the matched steps' weights that sit at the cap (at 100% NCIS is the plain
  mean of the matched steps' responses) and the effective sample size;
- the NCIS watch time per step with π_b = the BC model (the report's) and with the log's
  own propensity (the world's logging ranker: the true π_b, but over the world's
  candidates), on all, retrieved and inserted steps, and the plain mean at the matches;
- the ground truth per step from the same report, and each estimate's relative error.

Figures go to benchmarks/results/ncis_diagnostics.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import tscac_tf  # noqa: F401  (Keras 2 before anything imports TensorFlow)

# isort: split
import numpy as np
import results_file  # benchmarks/results_file.py (this script's directory is on sys.path)
import seed_spread  # benchmarks/seed_spread.py: the main job's inputs

from tscac_tf.data import reader, session_io
from tscac_tf.evaluation import ncis, offline
from tscac_tf.evaluation.saved_model_policy import SavedModelPolicy
from tscac_tf.pipeline import tscac_pipeline
from tscac_tf.specs import session_schema as ss

RESULTS = os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "results", "ncis_diagnostics.json"
)


def inserted_flags(candidates_dir: str, num_candidates: int) -> np.ndarray:
    """bool [N]: the eval steps whose logged video the candidates step inserted, in the
    order `offline.logged_eval_steps` reads them (the reader's fixed session order)."""
    sessions = reader.sessions_in_fixed_order(
        session_io.session_files(candidates_dir, ss.EVAL_SPLIT)
    )
    flags = [
        session_io.parse_session(serialized, True, num_candidates)[ss.STEP_CANDIDATE_INSERTED]
        for serialized in sessions
    ]
    return np.concatenate([f.numpy() for f in flags]).astype(bool)


def diagnose(chosen, steps, inserted, behavior_lp, logged_lp, cap, truth_per_step) -> dict:
    """The figures of one policy (module docstring) from its first choices [N]."""
    match = chosen == steps["action"]
    target = np.where(match, 0.0, -np.inf)
    watch = steps["raw"]["watch_time"]
    row = {
        "matched_steps": int(match.sum()),
        "match_rate": float(match.mean()),
        "match_rate_retrieved": float(match[~inserted].mean()),
        "match_rate_inserted": float(match[inserted].mean()),
        "matches_inserted_share": float(inserted[match].mean()) if match.any() else None,
        "plain_mean_at_matches": float(watch[match].mean()) if match.any() else None,
        "ground_truth_per_step": truth_per_step,
    }
    subsets = {"all": np.ones_like(match), "retrieved": ~inserted, "inserted": inserted}
    for propensity, lp in (("model", behavior_lp), ("logged", logged_lp)):
        # the health figures are ncis_estimate's own, on all steps
        row[f"capped_share_{propensity}"] = row[f"effective_sample_size_{propensity}"] = None
        for subset, keep in subsets.items():
            if not match[keep].any():
                row[f"watch_time_{subset}_{propensity}"] = None
                continue
            estimate = ncis.ncis_estimate({"w": watch[keep]}, target[keep], lp[keep], cap)
            row[f"watch_time_{subset}_{propensity}"] = estimate["w"]
            if truth_per_step:
                row[f"error_{subset}_{propensity}"] = estimate["w"] / truth_per_step - 1
            if subset == "all":
                row[f"capped_share_{propensity}"] = estimate["capped_share"]
                row[f"effective_sample_size_{propensity}"] = estimate["effective_sample_size"]
    return row


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", default="workdir", help="A finished `tscac run` workdir.")
    parser.add_argument("--policies", default="", help="Comma-separated (default: all exports).")
    parser.add_argument("--cap", type=float, default=ncis.DEFAULT_CAP)
    parser.add_argument("--history-length", type=int, default=ss.DEFAULT_HISTORY_LENGTH)
    parser.add_argument("--num-candidates", type=int, default=ss.DEFAULT_NUM_CANDIDATES)
    parser.add_argument("--out", default=RESULTS)
    args = parser.parse_args(argv)

    start = time.time()
    inputs = seed_spread.main_job_inputs(args.workdir)
    with open(inputs["report"]) as f:
        report = json.load(f)
    exports = tscac_pipeline.policy_exports(inputs["train"], inputs.get("baselines"))
    names = [n for n in args.policies.split(",") if n] or sorted(exports)
    unknown = sorted(set(names) - set(exports))
    if unknown:
        raise SystemExit(f"no rank export for {unknown}; the main job has {sorted(exports)}")

    steps = offline.logged_eval_steps(
        inputs["candidates"], args.history_length, args.num_candidates
    )
    inserted = inserted_flags(inputs["candidates"], args.num_candidates)
    if len(inserted) != len(steps["action"]):
        raise RuntimeError(f"{len(inserted)} inserted flags for {len(steps['action'])} steps")
    behavior_lp = offline.behavior_log_prob(steps, SavedModelPolicy(exports["bc"]), "model")
    logged_lp = offline.behavior_log_prob(steps, None, "logged")
    watch = steps["raw"]["watch_time"]
    policies = {}
    for name in names:
        truth = report["policies"].get(name, {}).get("ground_truth", {}).get("watch_time", {})
        chosen = SavedModelPolicy(exports[name])(steps["observation"])
        row = diagnose(
            chosen, steps, inserted, behavior_lp, logged_lp, args.cap, truth.get("per_step")
        )
        policies[name] = row
        if not row["matched_steps"]:
            print(f"{name:15s} never ranks the logged video first: no NCIS estimate", flush=True)
            continue
        print(
            f"{name:15s} match {row['match_rate']:.4f} (retrieved {row['match_rate_retrieved']:.4f}, "
            f"inserted {row['match_rate_inserted']:.4f}); at cap {row['capped_share_model']:.3f}; "
            f"NCIS watch/step model {row['watch_time_all_model']:.2f}, logged "
            f"{row['watch_time_all_logged']:.2f}, retrieved-only {row['watch_time_retrieved_model']:.2f}; "
            f"plain mean at matches {row['plain_mean_at_matches']:.2f}; truth {row['ground_truth_per_step']}",
            flush=True,
        )
    result = {
        "workdir": os.path.abspath(args.workdir),
        "candidates": inputs["candidates"],
        "cap": args.cap,
        "eval_steps": int(len(watch)),
        "inserted_share": float(inserted.mean()),
        "logged_watch_time_per_step": {
            "all": float(watch.mean()),
            "retrieved": float(watch[~inserted].mean()),
            "inserted": float(watch[inserted].mean()),
        },
        "policies": policies,
        "seconds": time.time() - start,
    }
    return results_file.finish(args.out, result)


if __name__ == "__main__":
    main(sys.argv[1:])
