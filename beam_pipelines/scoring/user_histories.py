"""Each user's serving history: the end of their most recent session, as `recommend` takes it.

A session's steps are the videos shown, in order; the history a request sends after the
session is the last H of them, most recent first, with their play times, −1 / 0 padded
(ARCHITECTURE §4; the same rule as the retrieval queries of tscac_tf/retrieval, taken at
t = T). Among a user's sessions the most recent is the one with the largest
(date, session_index). Users listed without any session get an all-padding history.
Every video of the user's sessions is kept too (`seen`), so that the scorer can leave out
what the user was already shown.

Input row (one gzip TFRecord of session SequenceExamples, tscac_tf/data/session_io.py):
  context {user_id: 5, date: 20220421, session_index: 2, ...}
  feature_lists {video_id: [11, 42, 7], play_time_ms: [1200, 35000, 800], ...}
Output: (user_id, UserHistory).
"""

from __future__ import annotations

import csv
import dataclasses
import io

import apache_beam as beam
import numpy as np
import tensorflow as tf

from tscac_tf.data import session_io
from tscac_tf.specs import session_schema as ss

DEAD_LETTERS = "dead_letters"
_NO_SESSION = (-1, -1)  # sorts before every real (date, session_index)


@dataclasses.dataclass(frozen=True)
class UserHistory:
    """A user's history: recency key, video ids int64 [H], play times int64 [H], and the
    sorted distinct videos of all the user's sessions read, int64 [S] (`seen`)."""

    recency: tuple[int, int]
    video_ids: np.ndarray
    play_time_ms: np.ndarray
    seen: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros([0], np.int64))

    def __eq__(self, other):
        return (
            isinstance(other, UserHistory)
            and self.recency == other.recency
            and np.array_equal(self.video_ids, other.video_ids)
            and np.array_equal(self.play_time_ms, other.play_time_ms)
            and np.array_equal(self.seen, other.seen)
        )


def session_end_history(
    video_ids: np.ndarray, play_time_ms: np.ndarray, history_length: int
) -> tuple[np.ndarray, np.ndarray]:
    """history[j] = step T-1-j of the session (most recent first), padded past its start.

    Args:
      video_ids, play_time_ms: int64 [T], in session order.
      history_length: H.

    Returns:
      (int64 [H] video ids with -1 padding, int64 [H] play times with 0 padding).
    """
    recent_ids = np.asarray(video_ids, np.int64)[::-1][:history_length]
    recent_play = np.asarray(play_time_ms, np.int64)[::-1][:history_length]
    pad = history_length - len(recent_ids)
    return (
        np.concatenate([recent_ids, np.full(pad, ss.PADDING_ID, np.int64)]),
        np.concatenate([recent_play, np.zeros(pad, np.int64)]),
    )


def empty_history(history_length: int) -> UserHistory:
    return UserHistory(
        _NO_SESSION,
        np.full(history_length, ss.PADDING_ID, np.int64),
        np.zeros(history_length, np.int64),
    )


class SessionToHistoryFn(beam.DoFn):
    """serialised session -> (user_id, UserHistory); unparsable records to DEAD_LETTERS."""

    def __init__(self, history_length: int):
        self._history_length = history_length
        self._bad = beam.metrics.Metrics.counter("scoring", "bad_session_records")

    def process(self, record: bytes):
        try:
            session = session_io.parse_session(tf.constant(record))
        except (tf.errors.InvalidArgumentError, ValueError) as e:
            self._bad.inc()
            yield beam.pvalue.TaggedOutput(DEAD_LETTERS, f"session record: {e}".replace("\n", " "))
            return
        ids, play = session_end_history(
            session["video_id"].numpy(), session["play_time_ms"].numpy(), self._history_length
        )
        recency = (int(session["date"]), int(session["session_index"]))
        seen = np.unique(session["video_id"].numpy()).astype(np.int64)
        yield int(session["user_id"]), UserHistory(recency, ids, play, seen)


class CsvUserIdFn(beam.DoFn):
    """One CSV line -> user_id (column `column`); malformed lines to DEAD_LETTERS."""

    def __init__(self, column: int, path: str):
        self._column, self._path = column, path
        self._bad = beam.metrics.Metrics.counter("scoring", "bad_user_rows")

    def process(self, line: str):
        try:
            yield int(next(csv.reader(io.StringIO(line)))[self._column])
        except (ValueError, IndexError, StopIteration) as e:
            self._bad.inc()
            yield beam.pvalue.TaggedOutput(
                DEAD_LETTERS, f"{self._path}: row {line!r} has no integer user_id ({e})"
            )


def user_id_column(path: str) -> int:
    """The index of the `user_id` column in a CSV header; ValueError names the file."""
    with tf.io.gfile.GFile(path) as f:
        header = next(csv.reader([f.readline()]), [])
    if "user_id" not in header:
        raise ValueError(f"{path} has no user_id column; its header is {header}")
    return header.index("user_id")


def merge_histories(histories) -> UserHistory:
    """The most recent history, with the videos of all of them (CombinePerKey: associative)."""
    histories = list(histories)
    latest = max(histories, key=lambda h: h.recency)
    seen = np.unique(np.concatenate([h.seen for h in histories])).astype(np.int64)
    return UserHistory(latest.recency, latest.video_ids, latest.play_time_ms, seen)


class LatestUserHistories(beam.PTransform):
    """(session files, optional users CSV) -> (user_id, UserHistory) per user, plus dead letters.

    The history is the end of the user's most recent session; `seen` holds the videos of
    all the user's sessions in the files.

    Returns a dict {"histories": PCollection, DEAD_LETTERS: PCollection[str]}.
    """

    def __init__(self, session_pattern: str, history_length: int, users_csv: str | None = None):
        super().__init__()
        self._pattern, self._history_length, self._users_csv = (
            session_pattern,
            history_length,
            users_csv,
        )

    def expand(self, pipeline):
        sessions = (
            pipeline
            | "ReadSessions" >> beam.io.ReadFromTFRecord(self._pattern, compression_type="gzip")
            | "SessionHistories"
            >> beam.ParDo(SessionToHistoryFn(self._history_length)).with_outputs(
                DEAD_LETTERS, main="histories"
            )
        )
        keyed, dead = [sessions.histories], [sessions[DEAD_LETTERS]]
        if self._users_csv:
            column = user_id_column(self._users_csv)
            users = (
                pipeline
                | "ReadUsers" >> beam.io.ReadFromText(self._users_csv, skip_header_lines=1)
                | "ParseUsers"
                >> beam.ParDo(CsvUserIdFn(column, self._users_csv)).with_outputs(
                    DEAD_LETTERS, main="ids"
                )
            )
            empty = empty_history(self._history_length)
            keyed.append(users.ids | "EmptyHistories" >> beam.Map(lambda user: (user, empty)))
            dead.append(users[DEAD_LETTERS])
        histories = (
            keyed
            | "AllUsers" >> beam.Flatten()
            | "MostRecentSession" >> beam.CombinePerKey(merge_histories)
        )
        return {"histories": histories, DEAD_LETTERS: dead | "AllDeadLetters" >> beam.Flatten()}
