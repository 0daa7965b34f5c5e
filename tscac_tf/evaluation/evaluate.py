"""The judge: ground truth, NCIS and the oracle frontier for a set of exported policies.

    report = evaluate(world_json, data_dir, {"bc": dir, "tscac": dir, ...}, out_dir, config)

writes OUT/report.json, report.md, report.html and plots/ (tscac_tf/evaluation/report.py)
and returns the report dict. "bc" is required: it is the reference of every % change and
of every constraint (ARCHITECTURE §3).

The ground truth lets every policy rank the world's own candidates (its generator, the
platform retrieval that logged the data). With `retrieval_index_dir` the policies are
also played on the *served path*: the candidates of our exported retrieval index (its best
K videos the user was not shown before, as the candidates step trained the policies on
and as `recommend_excluding` serves), with the same users, sessions and seeds. That table
(`report["served_path"]`) is information beside the ground truth; the constraints and the
blessing stay those of ARCHITECTURE §3, judged on the world's candidates.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping, Sequence

import numpy as np

from tscac_tf import machine
from tscac_tf.evaluation import ground_truth, offline, oracle
from tscac_tf.evaluation import report as report_lib
from tscac_tf.evaluation.saved_model_policy import SavedModelPolicy
from tscac_tf.specs import responses


@dataclasses.dataclass(frozen=True)
class EvaluationConfig:
    """What the judge runs.

    Attributes:
      ground_truth: users, sessions and seeds of the rollouts.
      oracle_weights: the myopic frontier's interaction weights a (empty: no oracle).
      propensity: π_b for NCIS: "model" (the BC export) or "logged".
      ncis_cap: the NCIS weight cap (10 in the paper).
      max_ncis_steps: evaluate NCIS on at most this many logged steps (None: all).
      history_length, num_candidates: H and K of the logged evaluation transitions.
    """

    ground_truth: ground_truth.GroundTruthConfig = ground_truth.GroundTruthConfig()
    oracle_weights: tuple[float, ...] = (0.0, 0.25, 0.5, 1.0, 2.0, 4.0)
    propensity: str = "model"
    ncis_cap: float = 10.0
    max_ncis_steps: int | None = None
    history_length: int = 20
    num_candidates: int = 50

    def __post_init__(self):
        if self.propensity not in ("model", "logged"):
            raise ValueError(f"propensity must be 'model' or 'logged', got {self.propensity!r}")
        if any(a < 0 for a in self.oracle_weights):
            raise ValueError(f"oracle weights must be >= 0, got {self.oracle_weights}")


PRESETS = {
    "small": EvaluationConfig(
        ground_truth.GroundTruthConfig(num_users=60, num_sessions=1), max_ncis_steps=20_000
    ),
    "default": EvaluationConfig(ground_truth.GroundTruthConfig(num_users=400, num_sessions=2)),
    "pure": EvaluationConfig(ground_truth.GroundTruthConfig(num_users=2000, num_sessions=2)),
}


def preset(name: str, **overrides) -> EvaluationConfig:
    if name not in PRESETS:
        raise KeyError(f"unknown evaluation preset {name!r}; presets: {sorted(PRESETS)}")
    return dataclasses.replace(PRESETS[name], **overrides)


def evaluate(
    world,
    data_dir: str,
    exports: Mapping[str, str],
    out_dir: str,
    config: EvaluationConfig,
    sweep: Sequence[Mapping[str, float]] | None = None,
    curves: Mapping | None = None,
    metadata: Mapping | None = None,
    retrieval_index_dir: str | None = None,
) -> dict:
    """Judges every export; writes the report into out_dir; returns the report dict.

    Args:
      world: the simulator World (World.from_json of the data's world.json), or None for
        real logs (then only NCIS is reported and there is no blessing by ground truth).
      data_dir: the candidates-step output (its eval split feeds NCIS).
      exports: {policy name: SavedModel dir or serving base path}; must contain "bc".
        Policies named "tscac_lambda=<λ>" (two or more) also make the λ-sweep plot.
      sweep: the λ-sweep points to plot (default: from the tscac_lambda=<λ> policies).
      retrieval_index_dir: an exported RetrievalIndex; with a world, the policies are also
        played on its candidates (report["served_path"]).
    """
    if report_lib.REFERENCE not in exports:
        raise ValueError(f"exports must include {report_lib.REFERENCE!r}; got {sorted(exports)}")
    start = time.monotonic()
    policies = {name: SavedModelPolicy(path) for name, path in exports.items()}
    steps = offline.logged_eval_steps(
        data_dir, config.history_length, config.num_candidates, config.max_ncis_steps
    )
    behavior_lp = offline.behavior_log_prob(
        steps, policies[report_lib.REFERENCE], config.propensity
    )
    ncis_values = offline.ncis_per_policy(policies, steps, behavior_lp, config.ncis_cap)
    ncis_meta = f"{len(steps['action'])} logged eval steps, cap {config.ncis_cap}, π_b = {config.propensity}"
    if world is None:
        meta = {
            "ground_truth": "none (real logs): judged by NCIS",
            "ncis": ncis_meta,
            "machine": machine.describe(),
        }
        report = report_lib.build_ncis_report(ncis_values, {**meta, **dict(metadata or {})})
        report["ncis_health"] = _ncis_health(ncis_values)
        report["seconds"] = time.monotonic() - start
        report_lib.write_report(report, out_dir, sweep=sweep, curves=curves)
        return report

    gt = ground_truth.evaluate_policies(world, policies, config.ground_truth)
    logged_rates = {
        r.name: float(np.mean(steps["raw"][r.name])) * r.sign for r in responses.RESPONSES
    }
    oracles = {
        f"oracle_a={a:g}": oracle.myopic_oracle(world, a, _nonzero(logged_rates))
        for a in config.oracle_weights
    }
    gt.update(
        ground_truth.evaluate_policies(
            world, oracles, config.ground_truth, with_state=list(oracles)
        )
    )

    evaluations = [
        report_lib.PolicyEvaluation(
            name,
            values,
            ncis=ncis_values.get(name),
            group="oracle" if name in oracles else "policy",
        )
        for name, values in gt.items()
    ]
    meta = {
        "ground_truth": f"{config.ground_truth.num_users} users x {config.ground_truth.num_sessions} sessions x "
        f"seeds {list(config.ground_truth.seeds)} (common random numbers)",
        "ncis": ncis_meta,
        # results move with the CPU's floating-point kernels (tscac_tf/machine.py)
        "machine": machine.describe(),
        **dict(metadata or {}),
    }
    report = report_lib.build_report(evaluations, meta)
    report["frontier"] = {
        "best_oracle_with_constraints": oracle.frontier_best(report["policies"]),
        "fraction_of_frontier_gain": oracle.fraction_of_frontier(report["policies"]),
    }
    report["ncis_health"] = _ncis_health(ncis_values)
    if retrieval_index_dir is not None:
        report["served_path"] = served_path(
            world, policies, retrieval_index_dir, config.ground_truth
        )
    report["seconds"] = time.monotonic() - start
    if sweep is None:  # policies named tscac_lambda=<λ> make the λ-sweep plot
        swept = report_lib.sweep_policies(report["policies"])
        sweep = report_lib.sweep_points(report, swept) if len(swept) >= 2 else None
    report_lib.write_report(report, out_dir, sweep=sweep, curves=curves)
    return report


def served_path(world, policies, retrieval_index_dir: str, config) -> dict:
    """The policies played on the retrieval index's candidates: a report dict (build_report).

    Args:
      world: the simulator World.
      policies: {name: policy_fn}; must contain "bc".
      retrieval_index_dir: an exported RetrievalIndex.
      config: the GroundTruthConfig (the same users, sessions and seeds as the ground truth).
    """
    from tscac_tf.evaluation import candidate_sources
    from tscac_tf.retrieval import retrieval_index

    index = retrieval_index.load(retrieval_index_dir)
    source = candidate_sources.CandidateSources(world, index).retrieval
    played = ground_truth.evaluate_policies(world, policies, config, candidates=source)
    meta = {
        "candidates": f"the best K videos of {retrieval_index_dir} that the user was not "
        "shown before (what `recommend_excluding` serves)",
    }
    evaluations = [report_lib.PolicyEvaluation(name, values) for name, values in played.items()]
    return report_lib.build_report(evaluations, meta)


def _ncis_health(ncis_values: Mapping[str, Mapping[str, float]]) -> dict:
    return {
        n: {
            "match_rate": v.get("match_rate"),
            "effective_sample_size": v.get("effective_sample_size"),
            "capped_share": v.get("capped_share"),
            "entropy": v.get("entropy"),
            "uniform_entropy": v.get("uniform_entropy"),
            "top_share": v.get("top_share"),
        }
        for n, v in ncis_values.items()
    }


def _nonzero(rates: Mapping[str, float], floor: float = 1e-6) -> dict[str, float]:
    return {k: (v if abs(v) > floor else floor) for k, v in rates.items()}
