"""One user's `recommend` answer -> the rows the scorer writes (user_id, rank, video_id, score)."""

from __future__ import annotations

import json

import numpy as np

from tscac_tf.specs import session_schema as ss

CSV_HEADER = "user_id,rank,video_id,score"


def top_n_rows(
    user_id: int,
    video_ids: np.ndarray,
    scores: np.ndarray,
    top_n: int,
    exclude: np.ndarray | None = None,
) -> list[dict]:
    """The first top_n recommendations, rank 1 = best, padded (-1) and excluded videos dropped.

    Args:
      user_id: the user.
      video_ids: int64 [N], best first (the signature's order).
      scores: float32 [N].
      top_n: rows to keep at most.
      exclude: videos not to recommend (those the user was already shown); the rows are
        then the first top_n of the others, so fewer when fewer than top_n remain.
    """
    dropped = set() if exclude is None else set(np.asarray(exclude).tolist())
    rows = []
    for video_id, score in zip(video_ids.tolist(), scores.tolist(), strict=True):
        if len(rows) == top_n:
            break
        if video_id == ss.PADDING_ID or video_id in dropped:
            continue
        rows.append(
            {"user_id": int(user_id), "rank": len(rows) + 1, "video_id": video_id, "score": score}
        )
    return rows


def to_jsonl(row: dict) -> str:
    return json.dumps(row)


def to_csv(row: dict) -> str:
    return f"{row['user_id']},{row['rank']},{row['video_id']},{row['score']!r}"
