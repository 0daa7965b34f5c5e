"""`tscac generate`: write a synthetic KuaiRand-format dataset from the short-video world.

  tscac generate --out data/synthetic --preset small --seed 0

writes log_standard_4_08_to_4_21_synthetic.csv, log_standard_4_22_to_5_08_synthetic.csv,
user_features.csv, video_features_basic.csv, world.json, NOTICE and LICENSE
(tscac_tf/simulator/log_writer.py). The same preset and seed give byte-identical files.
"""

from __future__ import annotations

import argparse
import time

from tscac_tf.simulator import log_generator, log_writer
from tscac_tf.simulator.world import World
from tscac_tf.simulator.world_config import PRESETS, WorldConfig

COMMAND = "generate"
HELP = "write a synthetic KuaiRand-format dataset (logs, feature tables, world.json)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", required=True, metavar="DIR", help="output directory")
    parser.add_argument(
        "--preset",
        choices=sorted(PRESETS),
        default="default",
        help="world size: small (~200 users, tests), default (~3,000 users), "
        "pure (every KuaiRand-Pure user, ~1.4M rows)",
    )
    parser.add_argument("--seed", type=int, default=None, help="world seed (default: 0)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    start = time.perf_counter()
    world = World(WorldConfig.preset(args.preset, args.seed))
    log = log_generator.generate_log(world, progress=not args.no_progress)
    written = log_writer.write_directory(world, log, args.out)
    seconds = time.perf_counter() - start
    print(f"tscac generate: preset {args.preset}, seed {world.config.seed} -> {args.out}")
    for name, rows in written.items():
        print(f"  {name}" + (f": {rows:,} rows" if rows else ""))
    print(f"  {len(log['user_id']):,} exposures in {seconds:.1f} s")
    return 0
