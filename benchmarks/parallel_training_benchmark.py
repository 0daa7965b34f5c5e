"""Training throughput of one process using every core vs N single-threaded processes.

    .venv/bin/python benchmarks/parallel_training_benchmark.py                 # stage one
    .venv/bin/python benchmarks/parallel_training_benchmark.py --stage stage_two

Why `tscac baselines --workers` exists (agents/baselines/workers.py): on a CPU, one train
step of these networks is a chain of small ops that one process cannot spread over its
cores. On fake transitions over the real KuaiRand-Pure tables (the default preset's H, K,
B, as in train_benchmark.py) it times `--steps` train steps of one stage after a warm-up
call, first in one process with TensorFlow's default threads, then in `--processes`
processes at once with one intra- and inter-op thread each; the figure is the summed
steps/s. Writes benchmarks/results/parallel_training.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys

import results_file  # benchmarks/results_file.py (this script's directory is on sys.path)

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS = os.path.join(REPO, "benchmarks", "results", "parallel_training.json")


def _worker(stage: str, steps: int, threads: int) -> None:
    """Times one stage in this process; prints `RESULT {"steps_per_s": ...}`."""
    import tscac_tf  # noqa: F401  (TF_USE_LEGACY_KERAS before TensorFlow)

    # isort: split
    import tensorflow as tf

    if threads:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import train_benchmark

    from tscac_tf.agents.tscac import config as tscac_config
    from tscac_tf.agents.tscac.tscac_training import build_agents

    config = tscac_config.preset("default")
    tables, dataset = train_benchmark._fake_data(config, 1500, config.batch_size)
    agent = getattr(build_agents(tables, config), stage)
    per_s = train_benchmark.time_agent(agent, dataset, steps, 20, config.batch_size)
    print("RESULT " + json.dumps({"steps_per_s": per_s / config.batch_size}), flush=True)


def _run(stage: str, steps: int, processes: int, threads: int) -> list[float]:
    env = dict(os.environ, TF_USE_LEGACY_KERAS="1", CUDA_VISIBLE_DEVICES="")
    argv = [sys.executable, os.path.abspath(__file__), "--worker", "--stage", stage,
            "--steps", str(steps), "--threads", str(threads)]  # fmt: skip
    children = [
        subprocess.Popen(
            argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
        for _ in range(processes)
    ]
    rates = []
    for child in children:
        out, _ = child.communicate()
        lines = [line for line in out.splitlines() if line.startswith("RESULT ")]
        if child.returncode or not lines:
            raise RuntimeError(f"worker exited with status {child.returncode}: {out[-2000:]}")
        rates.append(json.loads(lines[-1][len("RESULT ") :])["steps_per_s"])
    return rates


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--stage", default="stage_one", choices=("behavior", "stage_one", "stage_two")
    )
    parser.add_argument("--steps", type=int, default=100, help="Timed steps (a multiple of 20).")
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--threads", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--output", default=RESULTS)
    args = parser.parse_args(argv)
    if args.worker:
        _worker(args.stage, args.steps, args.threads)
        return {}

    (one,) = _run(args.stage, args.steps, 1, 0)
    print(f"1 process, default threads:       {one:6.2f} steps/s", flush=True)
    many = _run(args.stage, args.steps, args.processes, 1)
    total = sum(many)
    print(f"{args.processes} processes, 1 thread each: {total:6.2f} steps/s in all "
          f"({', '.join(f'{r:.2f}' for r in many)}): {total / one:.2f}x", flush=True)  # fmt: skip
    report = {
        "benchmark": "parallel_training",
        "args": vars(args),
        "one_process_steps_per_s": round(one, 2),
        "single_thread_processes_steps_per_s": [round(r, 2) for r in many],
        "speedup": round(total / one, 2),
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count()},
    }
    results_file.write(args.output, report)
    return report


if __name__ == "__main__":
    main()
