"""Time per component of the main job (`tscac run`), from a clean workdir.

    .venv/bin/python benchmarks/main_job_benchmark.py                    # default preset
    .venv/bin/python benchmarks/main_job_benchmark.py --preset small --no-baselines
    .venv/bin/python benchmarks/main_job_benchmark.py --workdir /tmp/w   # read a finished run

Runs `tscac run` in a child process into a fresh workdir (or reads the component
metadata of an existing one with --workdir and --no-run), prints each component's
seconds and the elapsed time of the whole job (components run side by side with
--parallel > 1, so their seconds add up to more than it), and writes
benchmarks/results/main_job_<preset>.json with the machine's CPU count and load average
(the machine may be shared). Target (issue 7): the default preset in under 20 minutes on
a 2-core machine, judged on the elapsed time (the wall clock of `tscac run` when this
script ran it).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import tscac_tf  # noqa: F401  (Keras 2 before anything imports TensorFlow)
from tscac_tf.pipeline import runner

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET_S = {"default": 20 * 60}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="default")
    parser.add_argument("--workdir", help="Use this workdir (default: a fresh temporary one).")
    parser.add_argument("--no-run", action="store_true", help="Only read the workdir's metadata.")
    parser.add_argument("--no-baselines", action="store_true")
    parser.add_argument("--parallel", type=int, help="`tscac run --parallel N` (default: its own).")
    args = parser.parse_args(argv)
    workdir = args.workdir or tempfile.mkdtemp(prefix="tscac_main_job_")
    wall = None
    if not args.no_run:
        cmd = [
            sys.executable,
            "-m",
            "tscac_tf.cli",
            "run",
            "--preset",
            args.preset,
            "--workdir",
            workdir,
        ]
        cmd += ["--no-baselines"] if args.no_baselines else []
        cmd += ["--parallel", str(args.parallel)] if args.parallel else []
        start = time.perf_counter()
        subprocess.run(cmd, check=True, env=dict(os.environ, TF_USE_LEGACY_KERAS="1"))
        wall = time.perf_counter() - start
    metadata = sorted(runner.lineage(workdir), key=lambda m: m["finished_at"])
    components = {m["component"]: round(m["seconds"], 1) for m in metadata}
    total = sum(components.values())
    # From the first component's start to the last one's end (finished_at has 1 s steps).
    ends = [time.mktime(time.strptime(m["finished_at"], "%Y-%m-%dT%H:%M:%S%z")) for m in metadata]
    span = max(ends) - min(e - m["seconds"] for e, m in zip(ends, metadata, strict=True))
    elapsed = wall if wall else span
    for name, seconds in components.items():
        print(f"{name:<12} {seconds:8.1f} s")
    print(f"{'sum':<12} {total:8.1f} s")
    print(f"{'elapsed':<12} {elapsed:8.1f} s" + ("   (wall clock of tscac run)" if wall else ""))
    target = TARGET_S.get(args.preset)
    result = {
        "preset": args.preset,
        "baselines": not args.no_baselines,
        "parallel": args.parallel,
        "components_s": components,
        "sum_of_components_s": round(total, 1),
        "span_of_components_s": round(span, 1),
        "wall_s": round(wall, 1) if wall else None,
        "elapsed_s": round(elapsed, 1),
        "target_s": target,
        "target_met": (elapsed <= target) if target else None,
        "cpu_count": os.cpu_count(),
        "load_average_1m": os.getloadavg()[0],
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    os.makedirs(os.path.join(REPO, "benchmarks", "results"), exist_ok=True)
    with open(
        os.path.join(REPO, "benchmarks", "results", f"main_job_{args.preset}.json"), "w"
    ) as f:
        json.dump(result, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
