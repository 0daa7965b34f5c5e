"""SessionizeEvents: joined EventBatches -> SessionBatches (each user's exposures cut into sessions).

Users are hashed into `num_user_buckets` groups; each group's rows are shuffled to one
worker as a handful of column batches (never row by row), sorted by (user, time_ms),
de-duplicated (a repeated (user_id, video_id, time_ms) goes to the dead letters as
`duplicate`), and cut into sessions by sessionize.py.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import apache_beam as beam
import numpy as np

from beam_pipelines.preprocessing import dead_letters as dl
from beam_pipelines.preprocessing import event_batch as eb
from beam_pipelines.preprocessing import sessionize
from beam_pipelines.preprocessing.config import PreprocessConfig

DEAD_LETTERS = "dead_letters"
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing: spreads clustered user ids


@dataclasses.dataclass
class SessionBatch:
    """The sessions of one user bucket.

    Attributes:
      events: EventBatch of the bucket's rows, sorted by (user_id, time_ms, file, line),
        duplicates removed; session s is rows starts[s] : starts[s] + lengths[s].
      starts, lengths: int64 [S].
      index: int64 [S], the session_index (rank among the user's sessions of that date).
      split: int64 [S], 0 train / 1 eval (sessionize.SPLIT_CODES), by the first step's date.
    """

    events: eb.EventBatch
    starts: np.ndarray
    lengths: np.ndarray
    index: np.ndarray
    split: np.ndarray

    @property
    def num_sessions(self) -> int:
        return len(self.starts)


def user_buckets(user_id: np.ndarray, num_buckets: int) -> np.ndarray:
    """The bucket of each user id, in [0, num_buckets)."""
    hashed = (np.asarray(user_id).astype(np.uint64) * _GOLDEN) >> np.uint64(32)
    return (hashed % np.uint64(num_buckets)).astype(np.int64)


def build_sessions(events: eb.EventBatch, config: PreprocessConfig):
    """Sorts, de-duplicates and cuts one bucket's rows.

    Returns:
      (SessionBatch, [(row in the sorted batch, row it repeats)] for each duplicate, sorted
      EventBatch including duplicates).
    """
    order = sessionize.event_order(
        events["user_id"], events["time_ms"], events[eb.FILE_INDEX], events[eb.LINE]
    )
    rows = eb.take(events, order)
    duplicate, first = sessionize.duplicate_rows(rows["user_id"], rows["video_id"], rows["time_ms"])
    repeats = [(int(i), int(first[i])) for i in np.flatnonzero(duplicate)]
    kept = eb.take(rows, ~duplicate)
    start = sessionize.session_starts(
        kept["user_id"],
        kept["time_ms"],
        kept["date"],
        config.session_gap_ms,
        config.split_on_new_day,
    )
    starts = np.flatnonzero(start).astype(np.int64)
    lengths = np.diff(np.append(starts, eb.size(kept))).astype(np.int64)
    first_dates = kept["date"][starts]
    index = sessionize.session_index(kept["user_id"][starts], first_dates)
    split = sessionize.split_codes(first_dates, config.train_period, config.eval_period)
    return SessionBatch(kept, starts, lengths, index, split.astype(np.int64)), repeats, rows


class _BuildSessions(beam.DoFn):
    def __init__(self, config: PreprocessConfig, log_files: Sequence[str]):
        self._config = config
        self._log_files = tuple(log_files)

    def process(self, keyed):
        _, batches = keyed
        sessions, repeats, rows = build_sessions(eb.concat(list(batches)), self._config)
        for i, j in repeats:
            detail = (
                f"user_id={rows['user_id'][i]}, video_id={rows['video_id'][i]}, "
                f"time_ms={rows['time_ms'][i]}: expected one exposure per key, already on "
                f"line {rows[eb.LINE][j]} of {self._log_files[rows[eb.FILE_INDEX][j]]}"
            )
            source = self._log_files[rows[eb.FILE_INDEX][i]]
            yield beam.pvalue.TaggedOutput(
                DEAD_LETTERS,
                dl.record(
                    dl.LOGS, source, rows[eb.LINE][i], dl.DUPLICATE, detail, eb.row_text(rows, i)
                ),
            )
        if sessions.num_sessions:
            yield sessions


def _split_by_bucket(batch: eb.EventBatch, num_buckets: int):
    buckets = user_buckets(batch["user_id"], num_buckets)
    for bucket in np.unique(buckets):
        yield int(bucket), eb.take(batch, buckets == bucket)


class SessionizeEvents(beam.PTransform):
    """EventBatch (joined) -> SessionBatch per user bucket; duplicates to the dead letters.

    Outputs a dict: `sessions` (SessionBatch) and `dead_letters`.
    """

    def __init__(self, config: PreprocessConfig, log_files: Sequence[str]):
        super().__init__()
        self._config = config
        self._log_files = tuple(log_files)

    def expand(self, events):
        sessions = (
            events
            | "AssignUserBuckets" >> beam.FlatMap(_split_by_bucket, self._config.num_user_buckets)
            | "GroupByUserBucket" >> beam.GroupByKey()
            | "CutSessions"
            >> beam.ParDo(_BuildSessions(self._config, self._log_files)).with_outputs(
                DEAD_LETTERS, main="sessions"
            )
        )
        return {"sessions": sessions.sessions, DEAD_LETTERS: sessions[DEAD_LETTERS]}
