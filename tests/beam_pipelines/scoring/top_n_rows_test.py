"""Rows written per user: rank from 1, padding dropped, JSON lines and CSV."""

import json

import numpy as np

from beam_pipelines.scoring import top_n_rows as rows


def test_top_n_rows_ranks_from_one_and_drops_padding():
    got = rows.top_n_rows(
        5, np.array([42, -1, 7, 3]), np.array([2.5, 0.0, 1.5, 1.0], np.float32), 3
    )
    assert got == [
        {"user_id": 5, "rank": 1, "video_id": 42, "score": 2.5},
        {"user_id": 5, "rank": 2, "video_id": 7, "score": 1.5},
    ]


def test_formats():
    row = {"user_id": 5, "rank": 1, "video_id": 42, "score": 0.25}
    assert json.loads(rows.to_jsonl(row)) == row
    assert rows.to_csv(row) == "5,1,42,0.25"
    assert rows.CSV_HEADER.split(",") == list(row)
