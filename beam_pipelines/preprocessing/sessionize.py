"""Session cutting, as pure NumPy functions on one user group's sorted exposures.

An episode of the CMDP (ARCHITECTURE §2) is one user session: consecutive exposures of one
user, cut where the gap between two exposures exceeds a threshold (default 30 minutes) or,
by default, where the calendar date changes. Every function takes whole columns; the Beam
transform (sessionize_events.py) calls them once per user bucket.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SPLIT_CODES = {0: "train", 1: "eval"}  # session_schema.TRAIN_SPLIT / EVAL_SPLIT


def split_codes(dates: np.ndarray, train_period, eval_period) -> np.ndarray:
    """0 (train), 1 (eval) or -1 (neither) per yyyymmdd date; periods are inclusive."""
    dates = np.asarray(dates)
    train = (dates >= train_period[0]) & (dates <= train_period[1])
    evaluation = (dates >= eval_period[0]) & (dates <= eval_period[1])
    return np.where(train, 0, np.where(evaluation, 1, -1))


def event_order(user_id, time_ms, file_index, line) -> np.ndarray:
    """Indices that sort rows by user, then time; ties by file, then line (deterministic)."""
    return np.lexsort((line, file_index, time_ms, user_id))


def duplicate_rows(user_id, video_id, time_ms) -> tuple[np.ndarray, np.ndarray]:
    """Rows repeating an earlier row's (user_id, video_id, time_ms): one exposure, logged twice.

    Returns:
      (duplicate bool [n], first int64 [n]): first[i] is the earliest row with row i's key.
    """
    keys = pd.DataFrame({"u": user_id, "v": video_id, "t": time_ms})
    first = pd.Series(np.arange(len(keys))).groupby([keys.u, keys.v, keys.t]).transform("min")
    first = first.to_numpy(np.int64)
    return first != np.arange(len(keys)), first


def session_starts(user_id, time_ms, date, gap_ms: int, split_on_new_day: bool) -> np.ndarray:
    """True where a row opens a session (rows sorted by user, then time).

    start_i = (i == 0) or user_i != user_{i-1} or time_i - time_{i-1} > gap
              or (split_on_new_day and date_i != date_{i-1})
    """
    user_id, time_ms, date = (np.asarray(a) for a in (user_id, time_ms, date))
    start = np.ones(len(user_id), bool)
    start[1:] = (user_id[1:] != user_id[:-1]) | (np.diff(time_ms) > gap_ms)
    if split_on_new_day:
        start[1:] |= date[1:] != date[:-1]
    return start


def session_index(user_of_session, date_of_session) -> np.ndarray:
    """0-based rank of each session among its user's sessions that start on the same date."""
    keys = pd.DataFrame({"u": user_of_session, "d": date_of_session})
    return keys.groupby(["u", "d"], sort=False).cumcount().to_numpy(np.int64)
