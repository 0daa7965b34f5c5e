"""The KuaiRand file format: exact columns, dtypes, ranges and missing-value codes.

Source: the KuaiRand README and data files (Gao et al., CIKM 2022, https://kuairand.com;
CC BY-SA 4.0), as summarised in ../shared/kuairand_pure/README.md. The synthetic world
writes this format, Beam ExampleGen validates against it, and `tscac stats` reads it: this
module is the single source of truth for all three.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Literal

import numpy as np

Kind = Literal["int", "float", "str", "date", "hourmin"]

# The real tables use -124 as a missing-value code in flag columns (is_live_streamer, ...).
MISSING_CODE = -124
UNKNOWN = "UNKNOWN"


@dataclasses.dataclass(frozen=True)
class Column:
    """One column of a KuaiRand CSV file.

    Attributes:
      name: exact header name.
      kind: how the text is parsed ("date" is yyyymmdd, "hourmin" is hhmm).
      required: a row without a value here is rejected (otherwise it is a missing value).
      low, high: inclusive numeric range, None for unbounded.
      missing_codes: numeric values that mean "missing" rather than a measurement.
    """

    name: str
    kind: Kind
    required: bool = True
    low: float | None = None
    high: float | None = None
    missing_codes: tuple[float, ...] = ()


def _flag(name: str) -> Column:
    return Column(name, "int", low=0, high=1)


# One row per exposure.
LOG_COLUMNS: tuple[Column, ...] = (
    Column("user_id", "int", low=0),
    Column("video_id", "int", low=0),
    Column("date", "date"),
    Column("hourmin", "hourmin"),
    Column("time_ms", "int", low=0),
    _flag("is_click"),
    _flag("is_like"),
    _flag("is_follow"),
    _flag("is_comment"),
    _flag("is_forward"),
    _flag("is_hate"),
    _flag("long_view"),
    Column("play_time_ms", "int", low=0),
    Column("duration_ms", "int", low=0),
    Column("profile_stay_time", "int", low=0),
    Column("comment_stay_time", "int", low=0),
    _flag("is_profile_enter"),
    _flag("is_rand"),
    Column("tab", "int", low=0, high=14),
)
LOG_COLUMN_NAMES: tuple[str, ...] = tuple(c.name for c in LOG_COLUMNS)

# Synthetic logs add one column that real KuaiRand does not have: the logging policy's
# probability of the exposure, so off-policy corrections can use the true propensity.
PROPENSITY_COLUMN = Column("behavior_propensity", "float", required=False, low=0.0, high=1.0)

USER_COLUMNS: tuple[Column, ...] = (
    Column("user_id", "int", low=0),
    Column("user_active_degree", "str"),
    _flag("is_lowactive_period"),
    Column("is_live_streamer", "int", missing_codes=(MISSING_CODE,), low=0, high=1),
    Column("is_video_author", "int", missing_codes=(MISSING_CODE,), low=0, high=1),
    Column("follow_user_num", "int", low=0),
    Column("follow_user_num_range", "str"),
    Column("fans_user_num", "int", low=0),
    Column("fans_user_num_range", "str"),
    Column("friend_user_num", "int", low=0),
    Column("friend_user_num_range", "str"),
    Column("register_days", "int", low=0),
    Column("register_days_range", "str"),
    *(Column(f"onehot_feat{i}", "int", required=False, low=0) for i in range(18)),
)
USER_COLUMN_NAMES: tuple[str, ...] = tuple(c.name for c in USER_COLUMNS)

VIDEO_COLUMNS: tuple[Column, ...] = (
    Column("video_id", "int", low=0),
    Column("author_id", "int", low=0),
    Column("video_type", "str"),
    Column("upload_dt", "str"),
    Column("upload_type", "str"),
    Column("visible_status", "float", required=False),
    Column("video_duration", "float", required=False, low=0),  # ms; empty in ~3% of real rows
    Column("server_width", "float", required=False, low=0),
    Column("server_height", "float", required=False, low=0),
    Column("music_id", "int", low=0),
    Column("music_type", "float", required=False),
    Column("tag", "str", required=False),  # comma-separated category ids, e.g. "20,43"
)
VIDEO_COLUMN_NAMES: tuple[str, ...] = tuple(c.name for c in VIDEO_COLUMNS)

# Categorical user columns with a fixed, known value set in the real data (others, like
# onehot_feat*, are encoded by vocabulary).
USER_ACTIVE_DEGREES: tuple[str, ...] = (
    "high_active",
    "full_active",
    "middle_active",
    "low_active",
    "single_low_active",
    "30day_retention",
    "2_14_day_new",
    "day_new",
    UNKNOWN,
)

# File names. Real: log_standard_4_08_to_4_21_pure.csv, log_standard_4_22_to_5_08_27k_part2.csv,
# log_random_4_22_to_5_08_1k.csv; user_features_pure.csv; video_features_basic_27k.csv.
# Synthetic: the same log names with the suffix `synthetic`, and plain user_features.csv /
# video_features_basic.csv.
LOG_FILE_PATTERN = re.compile(
    r"^log_(?P<policy>standard|random)_(?P<start>\d{1,2}_\d{2})_to_(?P<end>\d{1,2}_\d{2})"
    r"(?:_(?P<version>pure|1k|27k|synthetic))?(?:_part(?P<part>\d+))?\.csv$"
)
USER_FILE_PATTERN = re.compile(r"^user_features(?:_(?:pure|1k|27k|synthetic))?\.csv$")
VIDEO_FILE_PATTERN = re.compile(r"^video_features_basic(?:_(?:pure|1k|27k|synthetic))?\.csv$")

# The real KuaiRand periods: the first standard log is 2022-04-08..04-21, the second (and
# the random-exposure log) 2022-04-22..05-08. The default train/eval split is by date at
# the boundary between them.
TRAIN_PERIOD = (20220408, 20220421)
EVAL_PERIOD = (20220422, 20220508)
TRAIN_LOG_NAME = "log_standard_4_08_to_4_21_{version}.csv"
EVAL_LOG_NAME = "log_standard_4_22_to_5_08_{version}.csv"


# Thresholds of KuaiRand's play-time-derived flags (also computed in-graph by the state
# encoder, tscac_tf/networks/history_features.py, from these same constants).
CLICK_THRESHOLD_MS = 7000
LONG_VIEW_THRESHOLD_MS = 18000


def is_click(play_time_ms, duration_ms):
    """KuaiRand's `is_click` in the single-column feed: a valid play.

    play >= duration when duration <= 7 s, else play > 7 s. Works on numbers and arrays.
    """
    play_time_ms, duration_ms = np.asarray(play_time_ms), np.asarray(duration_ms)
    short = duration_ms <= CLICK_THRESHOLD_MS
    return (short & (play_time_ms >= duration_ms)) | (~short & (play_time_ms > CLICK_THRESHOLD_MS))


def is_long_view(play_time_ms, duration_ms):
    """KuaiRand's `long_view`: play >= duration when duration <= 18 s, else play >= 18 s."""
    play_time_ms, duration_ms = np.asarray(play_time_ms), np.asarray(duration_ms)
    short = duration_ms <= LONG_VIEW_THRESHOLD_MS
    return (short & (play_time_ms >= duration_ms)) | (
        ~short & (play_time_ms >= LONG_VIEW_THRESHOLD_MS)
    )
