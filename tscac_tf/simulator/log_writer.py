"""Writes a generated world as a KuaiRand-format directory.

Files (names and split as in the real release, kuairand_schema):
- log_standard_4_08_to_4_21_synthetic.csv  dates 20220408..20220421 (training period)
- log_standard_4_22_to_5_08_synthetic.csv  dates 20220422..20220508 (evaluation period)
  exact KuaiRand log columns in order (kuairand_schema.LOG_COLUMN_NAMES) plus one last
  column `behavior_propensity`, the logging policy's probability of the exposure, which
  real KuaiRand logs do not have;
- user_features.csv, video_features_basic.csv: the world's rows of the real KuaiRand-Pure
  tables, byte for byte (header and lines as shipped);
- world.json: seed and every parameter (World.from_json rebuilds the identical world);
- NOTICE and LICENSE, copied from tscac_tf/datasets/kuairand_pure/: the feature rows come
  from KuaiRand (CC BY-SA 4.0) and the logs derive from them, so the attribution and the
  licence travel with them.
"""

from __future__ import annotations

import os
import shutil

import numpy as np
import pandas as pd

from tscac_tf.simulator import population as pop
from tscac_tf.simulator.log_generator import LOG_COLUMNS
from tscac_tf.simulator.world import World
from tscac_tf.specs import kuairand_schema as ks

VERSION = "synthetic"
TRAIN_LOG = ks.TRAIN_LOG_NAME.format(version=VERSION)
EVAL_LOG = ks.EVAL_LOG_NAME.format(version=VERSION)
USER_FILE = "user_features.csv"
VIDEO_FILE = "video_features_basic.csv"
WORLD_FILE = "world.json"
PROPENSITY_FORMAT = "%.9g"
ATTRIBUTION_FILES = ("NOTICE", "LICENSE")


def _table_lines(name: str, rows: np.ndarray) -> bytes:
    """The header and the given data rows of a shipped real table, as stored."""
    with open(pop.table_path(name), "rb") as f:
        lines = f.read().splitlines(keepends=True)
    return b"".join([lines[0], *(lines[1 + r] for r in rows)])


def _write_log(path: str, log: dict[str, np.ndarray], mask: np.ndarray) -> int:
    frame = pd.DataFrame({c: log[c][mask] for c in LOG_COLUMNS})
    frame.to_csv(path, index=False, float_format=PROPENSITY_FORMAT, lineterminator="\n")
    return int(mask.sum())


def write_directory(world: World, log: dict[str, np.ndarray], out_dir: str) -> dict[str, int]:
    """Writes every file of a synthetic KuaiRand-format directory.

    Args:
      world: the world the log was generated in.
      log: {column: [N]} from log_generator.generate_log.
      out_dir: created if missing; files of the same names are replaced.

    Returns:
      {file name: data rows written} (world.json, NOTICE, LICENSE: 0).
    """
    os.makedirs(out_dir, exist_ok=True)
    written = {}
    for name, (low, high) in ((TRAIN_LOG, ks.TRAIN_PERIOD), (EVAL_LOG, ks.EVAL_PERIOD)):
        mask = (log["date"] >= low) & (log["date"] <= high)
        written[name] = _write_log(os.path.join(out_dir, name), log, mask)
    tables = (
        (USER_FILE, pop.USER_TABLE, world.population.users.table_rows),
        (VIDEO_FILE, pop.VIDEO_TABLE, world.population.videos.table_rows),
    )
    for name, source, rows in tables:
        with open(os.path.join(out_dir, name), "wb") as f:
            f.write(_table_lines(source, rows))
        written[name] = int(rows.size)
    world.to_json(os.path.join(out_dir, WORLD_FILE))
    for name in ATTRIBUTION_FILES:
        shutil.copyfile(pop.table_path(name), os.path.join(out_dir, name))
    written.update(dict.fromkeys((WORLD_FILE, *ATTRIBUTION_FILES), 0))
    return written
