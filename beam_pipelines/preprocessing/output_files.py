"""The small files ExampleGen writes beside the sessions, on any Beam filesystem.

OUT/statistics.json            numeric moments and every response's rate, per split
OUT/vocabularies.json          videos, users, tags, authors, categorical features
OUT/run_summary.json           rows read, rows rejected by reason, sessions and steps
OUT/feature_tables.npz,
OUT/feature_vocabularies.json  the encoded FeatureTables (FeatureTables.load(OUT))
"""

from __future__ import annotations

import json
import os
import tempfile

from apache_beam.io.filesystems import FileSystems

from tscac_tf.features.feature_tables import FeatureTables

STATISTICS_FILE = "statistics.json"
VOCABULARIES_FILE = "vocabularies.json"
RUN_SUMMARY_FILE = "run_summary.json"


def output_path(out_dir: str, name: str) -> str:
    return f"{out_dir.rstrip('/')}/{name}"


def write_json(path: str, value) -> None:
    """Writes `value` as indented JSON (sorted keys), creating parent directories."""
    if "://" not in path:
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with FileSystems.create(path) as f:
        f.write(json.dumps(value, indent=1, sort_keys=True).encode())


def read_json(path: str):
    with FileSystems.open(path) as f:
        return json.loads(f.read().decode())


def save_feature_tables(tables: FeatureTables, out_dir: str) -> None:
    """FeatureTables.save into `out_dir`; through a local temp dir for remote filesystems."""
    if "://" not in out_dir:
        tables.save(out_dir)
        return
    with tempfile.TemporaryDirectory() as local:
        tables.save(local)
        for name in sorted(os.listdir(local)):
            with open(os.path.join(local, name), "rb") as src:
                with FileSystems.create(output_path(out_dir, name)) as dst:
                    dst.write(src.read())
