"""Rows written per user: rank from 1, padding dropped, JSON lines and CSV."""

import json

import numpy as np

from beam_pipelines.scoring import top_n_rows as rows


def test_top_n_rows_ranks_from_one_and_drops_padding():
    videos, scores = np.array([42, -1, 7, 3]), np.array([2.5, 0.0, 1.5, 1.0], np.float32)
    assert rows.top_n_rows(5, videos, scores, 2) == [
        {"user_id": 5, "rank": 1, "video_id": 42, "score": 2.5},
        {"user_id": 5, "rank": 2, "video_id": 7, "score": 1.5},
    ]
    assert [r["video_id"] for r in rows.top_n_rows(5, videos, scores, 10)] == [42, 7, 3]


def test_top_n_rows_leave_out_excluded_videos_and_fill_from_the_rest():
    videos = np.array([42, 7, 3, 9, 8])
    scores = np.array([5.0, 4.0, 3.0, 2.0, 1.0], np.float32)
    got = rows.top_n_rows(5, videos, scores, 3, exclude=np.array([7, 9, 100]))
    assert got == [
        {"user_id": 5, "rank": 1, "video_id": 42, "score": 5.0},
        {"user_id": 5, "rank": 2, "video_id": 3, "score": 3.0},
        {"user_id": 5, "rank": 3, "video_id": 8, "score": 1.0},
    ]
    short = rows.top_n_rows(5, videos, scores, 3, exclude=np.array([42, 7, 3, 9]))
    assert [r["video_id"] for r in short] == [8]  # fewer than top_n remain


def test_formats():
    row = {"user_id": 5, "rank": 1, "video_id": 42, "score": 0.25}
    assert json.loads(rows.to_jsonl(row)) == row
    assert rows.to_csv(row) == "5,1,42,0.25"
    assert rows.CSV_HEADER.split(",") == list(row)
