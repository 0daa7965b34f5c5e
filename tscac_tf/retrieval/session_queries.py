"""Retrieval queries of a logged session: for step t, the in-session history before t.

The candidate set is part of the state at training and at serving time (ARCHITECTURE §2),
so the query the candidates step sends for step t must be exactly what a serving request
sends at that point of the session: the videos shown at steps t-1, t-2, ..., t-H (most
recent first) with their play times, -1 / 0 padded (session_schema, serving `rank` inputs).
This is the reader's history (tscac_tf/data/reader.py `history_windows`) in NumPy, for
Beam workers that hold decoded sessions; a test checks the two agree.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from tscac_tf.specs import session_schema as ss

QUERY_KEYS = ("user_id", "history_video_ids", "history_play_time_ms")


def step_histories(
    video_ids: np.ndarray, play_time_ms: np.ndarray, history_length: int
) -> tuple[np.ndarray, np.ndarray]:
    """The history of every step of one session.

    history[t, j] = value at step t - 1 - j when t - 1 - j >= 0, else padding.

    Args:
      video_ids: int64 [T], the videos shown, in session order.
      play_time_ms: int64 [T], their play times.
      history_length: H.

    Returns:
      (history_video_ids int64 [T, H] with -1 padding,
       history_play_time_ms int64 [T, H] with 0 padding).

    Raises:
      ValueError: the two inputs are not 1-D arrays of the same length.
    """
    video_ids = np.asarray(video_ids, np.int64)
    play_time_ms = np.asarray(play_time_ms, np.int64)
    if video_ids.ndim != 1 or video_ids.shape != play_time_ms.shape:
        raise ValueError(
            f"step_histories expects video_ids [T] and play_time_ms [T], got shapes "
            f"{video_ids.shape} and {play_time_ms.shape}"
        )
    steps = np.arange(len(video_ids))[:, None]
    source = steps - 1 - np.arange(history_length)[None, :]  # [T, H]
    valid = source >= 0
    safe = np.where(valid, source, 0)
    history_ids = np.where(valid, video_ids[safe], ss.PADDING_ID)
    history_play = np.where(valid, play_time_ms[safe], 0)
    return history_ids.astype(np.int64), history_play.astype(np.int64)


def session_queries(session: Mapping[str, np.ndarray], history_length: int) -> dict:
    """The query of every step of one session (session_io field names: user_id, video_id,
    play_time_ms).

    Returns:
      {"user_id": int64 [T], "history_video_ids": int64 [T, H],
       "history_play_time_ms": int64 [T, H]}.
    """
    video_ids = np.asarray(session["video_id"], np.int64)
    history_ids, history_play = step_histories(video_ids, session["play_time_ms"], history_length)
    return {
        "user_id": np.full(len(video_ids), int(session["user_id"]), np.int64),
        "history_video_ids": history_ids,
        "history_play_time_ms": history_play,
    }
