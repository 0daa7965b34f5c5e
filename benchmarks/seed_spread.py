"""How much the policies' ground-truth results move with the training seed alone.

    .venv/bin/python benchmarks/seed_spread.py --workdir workdir --seeds 1,2

One main job (`tscac run`) trains every policy once, with seed 0; a single run then says
little about the order of the policies (RESULTS.md measured 3-11% of watch time between
two runs that differed only in the order of the training batches). This script takes a
finished main job's workdir and, for each extra seed, retrains on the *same* candidates
what the main job trains, as the main job does it:

  tscac train --behavior-only --seed S                       (π_β)
  tscac train --seed S   beside   tscac baselines --seed S   (π_β copied in; the main job's threads)
  tscac evaluate --world ... --policy ...                    (the same 2,400 rollouts)

then puts the main job's own report (seed 0) beside them: per policy, each seed's watch
time, % vs BC of that seed, constraint verdicts and blessing, and over the seeds the mean,
the standard deviation and how many seeds beat BC. The evaluation's rollouts use common
random numbers fixed by the preset, so the seeds differ by training alone.

Outputs go to WORKDIR/seed_spread/seed_<S>/; figures are printed and written to
benchmarks/results/seed_spread.json. About 12 minutes a seed on the default preset with
2 cores. A seed whose evaluation report already exists is read, not retrained.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

import tscac_tf  # noqa: F401  (Keras 2 before anything imports TensorFlow)

# isort: split
import results_file  # benchmarks/results_file.py (this script's directory is on sys.path)

from tscac_tf.pipeline import runner, tscac_pipeline

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS = os.path.join(REPO, "benchmarks", "results", "seed_spread.json")
ENV = dict(os.environ, TF_USE_LEGACY_KERAS="1")


def _tscac(argv: list[str], log: str) -> subprocess.Popen:
    """Starts `tscac ARGV` with its output in LOG."""
    os.makedirs(os.path.dirname(log), exist_ok=True)
    with open(log, "w") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "tscac_tf.cli", *argv],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=ENV,
        )


def _wait(*processes: subprocess.Popen, logs: list[str]) -> None:
    """Waits for every process (none is left running), then names the ones that failed."""
    statuses = [process.wait() for process in processes]
    failed = [
        f"`tscac {' '.join(process.args[3:])}` exited with {status}; see {log}"
        for process, status, log in zip(processes, statuses, logs, strict=True)
        if status != 0
    ]
    if failed:
        raise RuntimeError("; ".join(failed))


def main_job_inputs(workdir: str) -> dict[str, str]:
    """The newest evaluate component's inputs: {candidates, world, train, baselines, report}."""
    runs = [m for m in runner.lineage(workdir) if m["component"] == "evaluate"]
    if not runs:
        raise FileNotFoundError(f"{workdir} has no finished evaluate component: run `tscac run`")
    inputs = {name: ref["uri"] for name, ref in runs[0]["inputs"].items()}
    for name in ("candidates", "world", "train", "baselines"):
        if name not in inputs:
            raise ValueError(f"the evaluate run in {workdir} has no {name} input (synthetic "
                             "data with baselines is needed)")  # fmt: skip
    evaluate_dir = os.path.join(workdir, "evaluate", runs[0]["run_id"])
    inputs["report"] = os.path.join(evaluate_dir, "report.json")
    return inputs


def train_seed(inputs: dict, seed: int, out: str, preset: str) -> str:
    """Retrains everything with SEED into OUT and evaluates it; returns its report.json."""
    report = os.path.join(out, "evaluate", "report.json")
    if os.path.exists(report):
        return report
    data = ["--data", inputs["candidates"], "--preset", preset, "--seed", str(seed)]
    behavior, train, baselines = (os.path.join(out, d) for d in ("behavior", "train", "baselines"))
    logs = [os.path.join(out, "logs", f"{d}.log") for d in ("behavior", "train", "baselines")]
    _wait(_tscac(["train", *data, "--out", behavior, "--behavior-only"], logs[0]), logs=logs[:1])
    shutil.copytree(os.path.join(behavior, "behavior"), os.path.join(train, "behavior"),
                    dirs_exist_ok=True)  # fmt: skip
    # The main job's own split of the cores between train and the baseline workers.
    plan = tscac_pipeline._thread_plan(tscac_pipeline.RunConfig(preset=preset))
    parallel = ["--workers", str(plan["baseline_workers"])]
    parallel += ["--threads", str(plan["baseline_threads"])]
    train_threads = ["--threads", str(plan["train_threads"])] if plan["train_threads"] else []
    _wait(
        _tscac(["train", *data, "--out", train, *train_threads], logs[1]),
        _tscac(
            ["baselines", *data, "--out", baselines, "--tscac-dir", behavior, *parallel], logs[2]
        ),
        logs=logs[1:],
    )
    argv = ["evaluate", "--world", inputs["world"], "--data", inputs["candidates"],
            "--out", os.path.join(out, "evaluate"), "--preset", preset]  # fmt: skip
    for name, path in tscac_pipeline.policy_exports(train, baselines).items():
        argv += ["--policy", f"{name}={path}"]
    log = os.path.join(out, "logs", "evaluate.log")
    _wait(_tscac(argv, log), logs=[log])
    return report


def policy_rows(report: dict) -> dict[str, dict]:
    """{policy: watch time, % vs BC, paired Δ, failed constraints, blessed} of one report."""
    rows = {}
    for name, entry in report["policies"].items():
        if entry.get("group") != "policy":
            continue
        truth = entry["ground_truth"]["watch_time"]
        paired = entry.get("vs_bc_paired", {}).get("watch_time", {})
        rows[name] = {
            "watch_time": truth["mean"],
            "pct_vs_bc": truth.get("pct_vs_bc", 0.0),
            "paired_difference": paired.get("difference", 0.0),
            "paired_ci95": paired.get("ci95", 0.0),
            "failed_constraints": sorted(
                k for k, ok in entry.get("constraints", {}).items() if not ok
            ),
            "blessed": bool(entry.get("blessed", False)),
        }
    return rows


def spread(watch: list[float], pct: list[float]) -> dict:
    """Over the seeds: mean and sd of watch time and of % vs BC, and the seeds above BC."""
    return {
        "watch_time_mean": statistics.fmean(watch),
        "watch_time_sd": statistics.stdev(watch) if len(watch) > 1 else 0.0,
        "pct_vs_bc_mean": statistics.fmean(pct),
        "pct_vs_bc_sd": statistics.stdev(pct) if len(pct) > 1 else 0.0,
        "seeds_above_bc": sum(p > 0 for p in pct),
    }


def summarise(per_seed: dict[int, dict[str, dict]]) -> dict[str, dict]:
    """Per policy, over the seeds: mean and sd of watch time and of % vs BC, and counts."""
    out = {}
    for name in sorted(set.intersection(*(set(rows) for rows in per_seed.values()))):
        watch = [rows[name]["watch_time"] for rows in per_seed.values()]
        pct = [rows[name]["pct_vs_bc"] for rows in per_seed.values()]
        out[name] = {
            "seeds": len(watch),
            **spread(watch, pct),
            "seeds_all_constraints_hold": sum(
                not rows[name]["failed_constraints"] for rows in per_seed.values()
            ),
            "seeds_blessed": sum(rows[name]["blessed"] for rows in per_seed.values()),
        }
    return out


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", required=True, help="A finished `tscac run` workdir.")
    parser.add_argument("--seeds", default="1,2", help="Extra training seeds (seed 0: the run).")
    parser.add_argument("--preset", default="default")
    parser.add_argument("--output", default=RESULTS)
    args = parser.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    if 0 in seeds:
        parser.error("seed 0 is the main job's own run; list the extra seeds")
    inputs = main_job_inputs(args.workdir)
    start = time.perf_counter()
    reports = {0: inputs["report"]}
    seconds = {}
    for seed in seeds:
        began = time.perf_counter()
        out = os.path.join(args.workdir, "seed_spread", f"seed_{seed}")
        reports[seed] = train_seed(inputs, seed, out, args.preset)
        seconds[seed] = round(time.perf_counter() - began, 1)
        print(f"seed {seed}: {seconds[seed]} s", flush=True)
    per_seed = {}
    for seed, path in reports.items():
        with open(path) as f:
            per_seed[seed] = policy_rows(json.load(f))
    result = {
        "benchmark": "seed_spread",
        "preset": args.preset,
        "workdir": os.path.abspath(args.workdir),
        "candidates": inputs["candidates"],
        "seeds": sorted(per_seed),
        "per_seed": {str(s): rows for s, rows in sorted(per_seed.items())},
        "summary": summarise(per_seed),
        "seconds_per_seed": {str(s): v for s, v in seconds.items()},
        "seconds": round(time.perf_counter() - start, 1),
    }
    return results_file.finish(args.output, result)


if __name__ == "__main__":
    main()
