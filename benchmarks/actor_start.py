"""Where TSCAC's actors start training: copied from π_β, or freshly initialised networks.

    .venv/bin/python benchmarks/actor_start.py --workdir workdir --seeds 0,1,2,3

Three variants (`StageOneConfig.init_from_behavior`, `StageTwoConfig.init_from_behavior`):
"fresh" (both stages from fresh networks), "stage_two" (π_θ from π_β, the stage-one
actors fresh) and "both" (every actor from π_β).

For each training seed S it takes that seed's finished run: the main job's train component
for S = 0, `benchmarks/seed_spread.py`'s WORKDIR/seed_spread/seed_S/train for S >= 1 (run
that first). It copies the run's π_β, and its stage one too where the run trained stage one
with the variant's start (its train_summary.json says how), retrains the rest with seed S,
and plays the result and the seed's own π_β (BC) with the main job's ground-truth
evaluation (the preset's rollouts; common random numbers, so BC's figures equal the seed's
report). The seeds therefore differ by training alone, and the variants of one seed share
π_β.

Prints per seed and variant the watch time and interactions against that seed's BC, and
per variant the mean and standard deviation over the seeds; writes
benchmarks/results/actor_start.json. Retrains run in --workers processes of one thread
each (on the default preset about 4 minutes for stage two alone, 10 with stage one); a
variant whose row is already in WORKDIR/actor_start/ is read, not retrained.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import subprocess
import sys
import time

import tscac_tf  # noqa: F401  (Keras 2 before anything imports TensorFlow)

# isort: split
import results_file  # benchmarks/results_file.py (this script's directory is on sys.path)
import seed_spread  # benchmarks/seed_spread.py: the main job's inputs
import tensorflow as tf

from tscac_tf.agents.tscac import config as tscac_config
from tscac_tf.agents.tscac.tscac_training import BEHAVIOR_EXPORT_SUBDIR, SUMMARY_FILE
from tscac_tf.evaluation import ablations, evaluate, ground_truth
from tscac_tf.evaluation.saved_model_policy import SavedModelPolicy
from tscac_tf.simulator.world import World

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS = os.path.join(REPO, "benchmarks", "results", "actor_start.json")
# variant: (stage one from π_β, stage two from π_β)
STARTS = {"fresh": (False, False), "stage_two": (False, True), "both": (True, True)}
METRICS = ("watch_time", "click", "like", "follow", "comment", "forward", "hate", "depth")


def seed_train_dir(workdir: str, inputs: dict, seed: int) -> str:
    """The finished training run of SEED (its π_β and stage-one checkpoints)."""
    if seed == 0:
        return inputs["train"]
    path = os.path.join(workdir, "seed_spread", f"seed_{seed}", "train")
    if not os.path.isdir(os.path.join(path, "stage_one")):
        raise FileNotFoundError(
            f"{path}: no stage-one run of seed {seed}; run benchmarks/seed_spread.py "
            f"--workdir {workdir} --seeds {seed} first"
        )
    return path


def run_one(workdir: str, seed: int, start: str, preset: str, out: str) -> dict:
    """Retrains SEED's stages with the START variant; evaluates it beside that seed's π_β."""
    tf.config.threading.set_inter_op_parallelism_threads(1)
    tf.config.threading.set_intra_op_parallelism_threads(1)
    inputs = seed_spread.main_job_inputs(workdir)
    train_dir = seed_train_dir(workdir, inputs, seed)
    one, two = STARTS[start]
    config = tscac_config.preset(preset, seed=seed)
    config = dataclasses.replace(
        config,
        stage_one=dataclasses.replace(config.stage_one, init_from_behavior=one),
        stage_two=dataclasses.replace(config.stage_two, init_from_behavior=two),
    )
    with open(os.path.join(train_dir, SUMMARY_FILE)) as f:
        # runs before StageOneConfig.init_from_behavior existed started from fresh actors
        trained = json.load(f)["config"]["stage_one"].get("init_from_behavior", False)
    reuse = ["behavior", "stage_one"] if trained == one else ["behavior"]
    began = time.perf_counter()
    export = ablations.retrain(inputs["candidates"], train_dir, out, config, reuse=reuse)
    train_seconds = time.perf_counter() - began
    world = World.from_json(os.path.join(inputs["world"], "world.json"))
    policies = {
        "bc": SavedModelPolicy(os.path.join(train_dir, BEHAVIOR_EXPORT_SUBDIR)),
        "tscac": SavedModelPolicy(export),
    }
    truth = ground_truth.evaluate_policies(world, policies, evaluate.preset(preset).ground_truth)
    means = {p: {m: float(truth[p][m].mean()) for m in METRICS} for p in policies}
    return {
        "seed": seed,
        "start": start,
        "reused": reuse,
        "bc": means["bc"],
        "tscac": means["tscac"],
        "pct_vs_bc": {
            m: 100.0 * (means["tscac"][m] / means["bc"][m] - 1.0) if means["bc"][m] else None
            for m in METRICS
        },
        "sessions": int(len(truth["bc"]["watch_time"])),
        "train_seconds": round(train_seconds, 1),
    }


def summarise(rows: list[dict]) -> dict[str, dict]:
    """Per variant, over the seeds: mean and sd of TSCAC's watch time and of its % vs BC."""
    out = {}
    for start in sorted({r["start"] for r in rows}):
        mine = [r for r in rows if r["start"] == start]
        pct = [r["pct_vs_bc"]["watch_time"] for r in mine]
        watch = [r["tscac"]["watch_time"] for r in mine]
        out[start] = {"seeds": [r["seed"] for r in mine], **seed_spread.spread(watch, pct)}
    return out


def _child(argv: list[str], log: str) -> subprocess.Popen:
    with open(log, "w") as out:
        return subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), *argv],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=dict(os.environ, TF_USE_LEGACY_KERAS="1"),
        )


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", required=True, help="A finished `tscac run` workdir.")
    parser.add_argument("--seeds", default="0,1,2,3", help="Training seeds (0: the main job).")
    parser.add_argument("--starts", default="fresh,stage_two,both", help=f"Of {list(STARTS)}.")
    parser.add_argument("--preset", default="default")
    parser.add_argument("--workers", type=int, default=2, help="Retrains at a time.")
    parser.add_argument("--output", default=RESULTS)
    parser.add_argument("--one", help=argparse.SUPPRESS)  # SEED:START, in a worker process
    args = parser.parse_args(argv)
    root = os.path.join(args.workdir, "actor_start")
    if args.one:
        seed, start = args.one.split(":")
        out = os.path.join(root, f"seed_{seed}_{start}")
        row = run_one(args.workdir, int(seed), start, args.preset, out)
        results_file.write(os.path.join(out, "row.json"), row)
        return row
    starts = [s for s in args.starts.split(",") if s]
    unknown = sorted(set(starts) - set(STARTS))
    if unknown or args.workers < 1:
        parser.error(f"unknown starts {unknown} (of {sorted(STARTS)}) or --workers < 1")
    seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    inputs = seed_spread.main_job_inputs(args.workdir)
    for seed in seeds:  # fail before any retrain when a seed's run is missing
        seed_train_dir(args.workdir, inputs, seed)
    began = time.perf_counter()
    # a variant whose row is already written (an earlier, interrupted invocation) is read
    jobs = [
        (seed, start)
        for seed in seeds
        for start in starts
        if not os.path.exists(os.path.join(root, f"seed_{seed}_{start}", "row.json"))
    ]
    os.makedirs(root, exist_ok=True)
    running: list[tuple[subprocess.Popen, str]] = []
    failed = []
    while jobs or running:
        while jobs and len(running) < args.workers:
            seed, start = jobs.pop(0)
            log = os.path.join(root, f"seed_{seed}_{start}.log")
            running.append((_child(["--workdir", args.workdir, "--preset", args.preset,
                                    "--one", f"{seed}:{start}"], log), log))  # fmt: skip
        time.sleep(2)
        for process, log in list(running):
            if process.poll() is not None:
                running.remove((process, log))
                if process.returncode != 0:
                    failed.append(f"{' '.join(process.args[2:])} exited with "
                                  f"{process.returncode}; see {log}")  # fmt: skip
    if failed:
        raise RuntimeError("; ".join(failed))
    rows = []
    for seed in seeds:
        for start in starts:
            with open(os.path.join(root, f"seed_{seed}_{start}", "row.json")) as f:
                rows.append(json.load(f))
            r = rows[-1]
            print(f"seed {seed} {start:9s} TSCAC {r['tscac']['watch_time']:6.1f} s "
                  f"({r['pct_vs_bc']['watch_time']:+.1f}% vs BC {r['bc']['watch_time']:.1f}), "
                  f"like {r['tscac']['like']:.4f} vs {r['bc']['like']:.4f}, "
                  f"depth {r['tscac']['depth']:.2f} vs {r['bc']['depth']:.2f}")  # fmt: skip
    result = {
        "benchmark": "actor_start",
        "preset": args.preset,
        "workdir": os.path.abspath(args.workdir),
        "candidates": inputs["candidates"],
        "rows": rows,
        "summary": summarise(rows),
        "seconds": round(time.perf_counter() - began, 1),
    }
    return results_file.finish(args.output, result)


if __name__ == "__main__":
    main()
