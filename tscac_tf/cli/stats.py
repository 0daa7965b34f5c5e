"""`tscac stats DIR`: response rates and distributions of a KuaiRand-format directory.

  tscac stats data/synthetic --json stats.json

works on real KuaiRand directories (log_standard_4_08_to_4_21_pure.csv, ..._27k_part1.csv)
and synthetic ones alike, and prints every figure beside the published KuaiRand-Pure one
(tscac_tf/simulator/stats.py).
"""

from __future__ import annotations

import argparse
import json
import sys

from tscac_tf.simulator import stats

COMMAND = "stats"
HELP = "print response rates and distributions of a KuaiRand-format directory vs KuaiRand-Pure"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("directory", metavar="DIR", help="directory with KuaiRand log files")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON")


def run(args: argparse.Namespace) -> int:
    try:
        figures = stats.compute_stats(args.directory)
    except (FileNotFoundError, ValueError) as err:
        print(f"tscac stats: {err}", file=sys.stderr)
        return 2
    print(stats.format_report(figures))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(figures, f, indent=1, sort_keys=True)
            f.write("\n")
    return 0
