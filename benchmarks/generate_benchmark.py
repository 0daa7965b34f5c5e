"""Generation speed of the synthetic world (`tscac generate`), rows per second per preset.

    .venv/bin/python benchmarks/generate_benchmark.py                    # small and default
    .venv/bin/python benchmarks/generate_benchmark.py --presets pure

For each preset, in one process: build the world (read the real tables, derive latents),
generate the log (the vectorised lane loop of log_generator.py), write the directory
(log_writer.py) to a temporary folder. Prints the seconds of each phase and rows/s, and
writes benchmarks/results/generate.json (with the machine's CPU count and load average,
since the machine may be shared). Target: the default preset in under 2 minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time

import numpy as np

from tscac_tf.simulator import log_generator, log_writer
from tscac_tf.simulator.world import World

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS = os.path.join(REPO, "benchmarks", "results", "generate.json")
TARGET_DEFAULT_S = 120.0


def _timed(fn):
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - wall, time.process_time() - cpu


def run_preset(name: str) -> dict:
    """Builds, generates and writes one preset; returns its timings."""
    world, build_s, _ = _timed(lambda: World.preset(name))
    log, generate_s, generate_cpu_s = _timed(lambda: log_generator.generate_log(world))
    with tempfile.TemporaryDirectory() as out:
        _, write_s, _ = _timed(lambda: log_writer.write_directory(world, log, out))
    rows = int(log["user_id"].size)
    total_s = build_s + generate_s + write_s
    return {
        "users": int(world.population.users.ids.size),
        "videos": int(world.population.videos.ids.size),
        "rows": rows,
        "build_s": round(build_s, 2),
        "generate_s": round(generate_s, 2),
        "generate_cpu_s": round(generate_cpu_s, 2),
        "write_s": round(write_s, 2),
        "total_s": round(total_s, 2),
        "rows_per_s": round(rows / total_s),
        "generate_rows_per_s": round(rows / generate_s),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presets", nargs="+", default=["small", "default"])
    parser.add_argument("--out", default=RESULTS, help="results JSON path")
    args = parser.parse_args(argv)
    load_before = os.getloadavg()
    presets = {}
    for name in args.presets:
        presets[name] = result = run_preset(name)
        print(
            f"{name:8s} {result['rows']:>9,} rows  build {result['build_s']:6.1f} s  "
            f"generate {result['generate_s']:6.1f} s  write {result['write_s']:5.1f} s  "
            f"total {result['total_s']:6.1f} s  {result['rows_per_s']:>8,} rows/s"
        )
    report = {
        "benchmark": "generate",
        "command": "python benchmarks/generate_benchmark.py --presets " + " ".join(args.presets),
        "machine": {
            "cpus": os.cpu_count(),
            "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
            "python": platform.python_version(),
            "numpy": np.__version__,
        },
        "presets": presets,
    }
    if "default" in presets:
        met = presets["default"]["total_s"] < TARGET_DEFAULT_S
        report["target"] = {"default_total_s_below": TARGET_DEFAULT_S, "met": met}
        print(
            f"target: default preset under {TARGET_DEFAULT_S:.0f} s: {'met' if met else 'MISSED'}"
        )
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(report, f, indent=1)
        f.write("\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
