"""`tscac baselines --workers N`: the baselines trained in N child processes at once.

On a CPU one training process does not keep its cores busy: a train step is a long chain
of small ops, most of them too small to split between threads. Two single-threaded
processes on two cores each train at about three quarters of the speed of one process
with both cores (stage one sized networks: 5.9 vs 7.7 steps/s), so together they do 1.5x
the work (RESULTS.md, "Main job"). The baselines are independent of each other once π_β
exists, so they parallelise without changing what each one computes.

The parent first restores (or trains) π_β itself, so that no two workers train it at
once; each worker then restores it and trains its share, writing OUT/<name>/ and a
summary file of its own; the parent merges those into OUT/baselines_summary.json.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence

logger = logging.getLogger(__name__)

# Training time of each baseline relative to watch_time_ac on the default preset (train
# steps, tracing and export; `tscac baselines` on two cores, RESULTS.md). Only the
# split between workers uses them: a wrong figure costs balance, not correctness.
RELATIVE_COST = {
    "watch_time_ac": 1.0,
    "interaction_ac": 1.2,
    "rcpo": 1.1,
    "rcpo_mc": 3.0,
    "pareto": 2.4,
    "wide_deep": 1.2,
    "deepfm": 1.3,
}


def worker_summary_file(index: int) -> str:
    return f"_baselines_summary_worker{index}.json"


def plan(names: Sequence[str], workers: int) -> list[tuple[str, ...]]:
    """Splits `names` into at most `workers` groups of about equal total cost.

    Longest first, each to the group with the least cost so far (LPT scheduling); every
    group keeps the canonical order of `names`. No group is empty.
    """
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    groups: list[list[str]] = [[] for _ in range(min(workers, len(names)))]
    loads = [0.0] * len(groups)
    for name in sorted(names, key=lambda n: -RELATIVE_COST.get(n, 1.0)):
        least = loads.index(min(loads))
        groups[least].append(name)
        loads[least] += RELATIVE_COST.get(name, 1.0)
    order = {n: i for i, n in enumerate(names)}
    return [tuple(sorted(g, key=order.__getitem__)) for g in groups]


def run_workers(
    base_argv: Sequence[str],
    groups: Sequence[Sequence[str]],
    out_dir: str,
    threads: int | None,
) -> list[dict]:
    """Runs `tscac baselines BASE_ARGV --only GROUP` for every group at once.

    Args:
      base_argv: the flags every worker shares (data, out, tscac dir, preset, overrides).
      groups: the baselines of each worker.
      out_dir: OUT, where each worker writes its summary file.
      threads: TensorFlow intra- and inter-op threads per worker (None: its default).

    Returns:
      Each worker's summary, in the order of `groups`.

    Raises:
      RuntimeError: a worker failed; names its baselines and exit status (its log lines
        went to this process's stderr). The others are left to finish first, so a rerun
        resumes each baseline from its own checkpoints.
    """
    env = dict(os.environ, TF_USE_LEGACY_KERAS="1")
    processes = []
    for i, group in enumerate(groups):
        argv = [*base_argv, "--only", ",".join(group), "--summary-file", worker_summary_file(i)]
        if threads is not None:
            argv += ["--threads", str(threads)]
        command = [sys.executable, "-m", "tscac_tf.cli", "baselines", *argv]
        processes.append(subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL))
        logger.info("worker %d (pid %d): %s", i, processes[-1].pid, ", ".join(group))
    statuses: list[int | None] = [None] * len(processes)
    while None in statuses:
        for i, process in enumerate(processes):
            if statuses[i] is None and process.poll() is not None:
                statuses[i] = process.returncode
                _log_exit(i, process.returncode, os.path.join(out_dir, worker_summary_file(i)))
        time.sleep(0.5)
    failed = [
        f"{','.join(group)} (exit status {status})"
        for group, status in zip(groups, statuses, strict=True)
        if status
    ]
    if failed:
        raise RuntimeError(f"baseline workers failed: {'; '.join(failed)}")
    summaries = []
    for i in range(len(groups)):
        path = os.path.join(out_dir, worker_summary_file(i))
        with open(path) as f:
            summaries.append(json.load(f))
        os.remove(path)
    return summaries


def _log_exit(index: int, status: int, summary_path: str) -> None:
    """Logs a worker's exit, and how long after its summary (once seen to take 80 s)."""
    if os.path.exists(summary_path):
        lag = time.time() - os.path.getmtime(summary_path)
        logger.info(
            "worker %d: exit status %d, %.1f s after writing its summary", index, status, lag
        )
    else:
        logger.info("worker %d: exit status %d, no summary written", index, status)


def merge_summaries(summaries: Sequence[Mapping], names: Sequence[str]) -> dict:
    """One summary with every baseline in `names` (canonical order) from the parts."""
    baselines = {}
    for summary in summaries:
        baselines.update(summary["baselines"])
    missing = [n for n in names if n not in baselines]
    if missing:
        raise RuntimeError(f"no worker reported baselines {missing}")
    return {"baselines": {n: baselines[n] for n in names}, "config": summaries[0]["config"]}
