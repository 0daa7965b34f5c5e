"""Rewrites a synthetic `tscac generate` directory in the exact real KuaiRand file format.

Real KuaiRand logs carry no `behavior_propensity` column, and their files are named
`log_standard_4_08_to_4_21_27k_part1.csv`, `user_features_27k.csv`, ... (see
kuairand_schema). Tests use this to run the pipeline on input that is byte-for-byte in
the real layout, with enough rows to train on, without shipping real logs.
"""

from __future__ import annotations

import csv
import os
import re
import shutil

from tscac_tf.specs import kuairand_schema as ks


def write_real_format(
    synthetic_dir: str, out_dir: str, version: str = "27k", parts: int = 2
) -> list[str]:
    """Writes the real-format copy; returns the file names written.

    Args:
      synthetic_dir: a `tscac generate` output directory.
      out_dir: created if missing.
      version: "pure", "1k" or "27k" (the real name suffix).
      parts: split each log into this many `_partN` files (27K style); 1 for none.
    """
    if version not in ("pure", "1k", "27k"):
        raise ValueError(f"version must be pure, 1k or 27k, got {version!r}")
    os.makedirs(out_dir, exist_ok=True)
    written = []
    for name in sorted(os.listdir(synthetic_dir)):
        match = ks.LOG_FILE_PATTERN.match(name)
        if match:
            with open(os.path.join(synthetic_dir, name), newline="") as f:
                rows = list(csv.DictReader(f))
            stem = re.sub(r"_synthetic\.csv$", f"_{version}", name)
            chunks = [rows[i::parts] for i in range(parts)] if parts > 1 else [rows]
            for i, chunk in enumerate(chunks, start=1):
                target = f"{stem}_part{i}.csv" if parts > 1 else f"{stem}.csv"
                with open(os.path.join(out_dir, target), "w", newline="") as f:
                    writer = csv.DictWriter(
                        f, fieldnames=ks.LOG_COLUMN_NAMES, extrasaction="ignore"
                    )
                    writer.writeheader()
                    writer.writerows(chunk)
                written.append(target)
        elif name in ("user_features.csv", "video_features_basic.csv"):
            target = name.replace(".csv", f"_{version}.csv")
            shutil.copyfile(os.path.join(synthetic_dir, name), os.path.join(out_dir, target))
            written.append(target)
    return written
