"""Dead letters: every rejected row, with the reason, counted by one Beam counter per reason.

A bad row never stops the job and is never dropped silently: each transform that rejects
rows emits one dead-letter record per row on its `dead_letters` output; `WriteDeadLetters`
counts them (`Metrics.counter(NAMESPACE, reason)`) and writes them as JSON lines to
`OUT/dead_letters/dead_letters-*.jsonl`.

Record (a dict, one JSON object per line):
  {"kind": "logs", "source": ".../log_standard_4_08_to_4_21_pure.csv", "line": 17,
   "reason": "out_of_range", "detail": "play_time_ms=-5: expected >= 0",
   "row": "0,7,20220408,1000,..."}
`line` is the 1-based line of the file (the header is line 1). `row` is the raw text where
the row was rejected while parsing, and the parsed values in schema order after that.
"""

from __future__ import annotations

import json
import posixpath

import apache_beam as beam
from apache_beam.metrics import Metrics

NAMESPACE = "tscac.preprocess"

# What a row is (which file kind it came from).
LOGS = "logs"
USER_TABLE = "user_table"
VIDEO_TABLE = "video_table"
KINDS = (LOGS, USER_TABLE, VIDEO_TABLE)

# Why a row was rejected, in the order the checks run.
WRONG_COLUMN_COUNT = "wrong_column_count"  # not as many fields as the header
MALFORMED_CSV = "malformed_csv"  # unbalanced quotes
MISSING_VALUE = "missing_value"  # a required field is empty
NOT_A_NUMBER = "not_a_number"
NOT_AN_INTEGER = "not_an_integer"
OUT_OF_RANGE = "out_of_range"  # outside the schema's [low, high], e.g. negative play time
BAD_DATE = "bad_date"  # not a calendar date yyyymmdd
BAD_HOURMIN = "bad_hourmin"  # not hhmm
BAD_CATEGORY = "bad_category"  # not in the schema's fixed value set
OUTSIDE_SPLIT_PERIODS = "outside_split_periods"  # dated in neither the train nor eval period
UNKNOWN_USER = "unknown_user"  # user_id absent from the user table
UNKNOWN_VIDEO = "unknown_video"  # video_id absent from the video table
DUPLICATE = "duplicate"  # same key as an earlier row (kept: the first by file, line)

REASONS = (
    WRONG_COLUMN_COUNT,
    MALFORMED_CSV,
    MISSING_VALUE,
    NOT_A_NUMBER,
    NOT_AN_INTEGER,
    OUT_OF_RANGE,
    BAD_DATE,
    BAD_HOURMIN,
    BAD_CATEGORY,
    OUTSIDE_SPLIT_PERIODS,
    UNKNOWN_USER,
    UNKNOWN_VIDEO,
    DUPLICATE,
)

DEAD_LETTER_DIR = "dead_letters"


def record(kind: str, source: str, line: int, reason: str, detail: str, row: str) -> dict:
    """One dead-letter record; ValueError on an unknown kind or reason."""
    if kind not in KINDS:
        raise ValueError(f"dead letter kind must be one of {KINDS}, got {kind!r}")
    if reason not in REASONS:
        raise ValueError(f"dead letter reason must be one of {REASONS}, got {reason!r}")
    return {
        "kind": kind,
        "source": source,
        "line": int(line),
        "reason": reason,
        "detail": detail,
        "row": row,
    }


class _CountDeadLetter(beam.DoFn):
    """Increments the counter of the record's reason and passes the record on."""

    def __init__(self):
        self._counters = {}

    def process(self, letter: dict):
        reason = letter["reason"]
        if reason not in self._counters:
            self._counters[reason] = Metrics.counter(NAMESPACE, reason)
        self._counters[reason].inc()
        yield letter


class CountDeadLetters(beam.PTransform):
    """Counts dead letters by Beam metric (one counter per reason); outputs them unchanged."""

    def expand(self, letters):
        return letters | "IncrementCounters" >> beam.ParDo(_CountDeadLetter())


class WriteDeadLetters(beam.PTransform):
    """Counts every dead letter and writes them as JSON lines under OUT/dead_letters/."""

    def __init__(self, out_dir: str):
        super().__init__()
        self._prefix = posixpath.join(out_dir, DEAD_LETTER_DIR, "dead_letters")

    def expand(self, letters):
        return (
            letters
            | "CountDeadLetters" >> CountDeadLetters()
            | "ToJson" >> beam.Map(lambda d: json.dumps(d, sort_keys=True))
            | "WriteJsonLines" >> beam.io.WriteToText(self._prefix, file_name_suffix=".jsonl")
        )
