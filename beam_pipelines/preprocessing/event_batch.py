"""EventBatch: a block of log rows as columns, the element that flows between transforms.

Beam elements here are batches, not rows: `{column: [n] array}` dicts, so that per-row
Python work never happens on the DirectRunner (ParseLogs emits one batch per few MiB of
CSV; SessionizeEvents one per user bucket).

Keys: every `kuairand_schema.LOG_COLUMN_NAMES` column (int64), `behavior_propensity`
(float64, `session_schema.NO_PROPENSITY` where the log has none), `file_index` (int64,
index into the run's log files) and `line` (int64, 1-based file line); JoinFeatures adds
`user_row` and `video_row` (int64 rows of the FeatureTables).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from tscac_tf.specs import kuairand_schema as ks

EventBatch = dict[str, np.ndarray]

PROPENSITY = ks.PROPENSITY_COLUMN.name
FILE_INDEX = "file_index"
LINE = "line"
USER_ROW = "user_row"
VIDEO_ROW = "video_row"


def size(batch: Mapping[str, np.ndarray]) -> int:
    """Number of rows of a batch."""
    return len(batch[LINE])


def take(batch: Mapping[str, np.ndarray], index: np.ndarray) -> EventBatch:
    """The rows `index` (a bool mask or int indices) of every column."""
    return {k: v[index] for k, v in batch.items()}


def concat(batches: Sequence[Mapping[str, np.ndarray]]) -> EventBatch:
    """One batch holding the rows of all `batches` (they share their keys)."""
    keys = list(batches[0])
    return {k: np.concatenate([b[k] for b in batches]) for k in keys}


def row_text(batch: Mapping[str, np.ndarray], row: int) -> str:
    """A parsed row as CSV text in schema order, with the propensity (for dead letters)."""
    values = [str(int(batch[c][row])) for c in ks.LOG_COLUMN_NAMES]
    return ",".join([*values, repr(float(batch[PROPENSITY][row]))])
