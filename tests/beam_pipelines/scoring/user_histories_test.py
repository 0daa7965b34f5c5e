"""Users' latest in-session histories from session TFRecords (and a users CSV)."""

import numpy as np
import pytest
import tensorflow as tf
from apache_beam.testing import test_pipeline
from apache_beam.testing.util import assert_that, equal_to

from beam_pipelines.scoring import user_histories as uh
from tscac_tf.data import session_io
from tscac_tf.specs import session_schema as ss


def _session(user_id, date, index, video_ids, play_time_ms) -> bytes:
    steps = {name: [0] * len(video_ids) for name in ss.STEP_INT64 + ss.STEP_FLOAT}
    steps.update(video_id=video_ids, play_time_ms=play_time_ms)
    context = {
        "user_id": user_id,
        "date": date,
        "session_index": index,
        "session_id": f"{user_id}-{date}-{index}",
    }
    return session_io.encode_session(context, steps)


def _write(path, records):
    with tf.io.TFRecordWriter(str(path), options="GZIP") as writer:
        for record in records:
            writer.write(record)


def test_session_end_history_is_most_recent_first_and_padded():
    ids, play = uh.session_end_history(np.array([11, 42, 7]), np.array([100, 200, 300]), 5)
    np.testing.assert_array_equal(ids, [7, 42, 11, -1, -1])
    np.testing.assert_array_equal(play, [300, 200, 100, 0, 0])
    ids, play = uh.session_end_history(np.array([1, 2, 3, 4]), np.array([5, 6, 7, 8]), 2)
    np.testing.assert_array_equal(ids, [4, 3])
    np.testing.assert_array_equal(play, [8, 7])


def test_merge_histories_keeps_the_latest_and_every_video_in_any_grouping():
    a = uh.UserHistory((20220410, 0), np.array([2, 1]), np.array([5, 5]), np.array([1, 2]))
    b = uh.UserHistory((20220412, 1), np.array([9, -1]), np.array([7, 0]), np.array([9]))
    c = uh.UserHistory((20220411, 3), np.array([4, 2]), np.array([1, 1]), np.array([2, 4]))
    want = uh.UserHistory(
        (20220412, 1), np.array([9, -1]), np.array([7, 0]), np.array([1, 2, 4, 9])
    )
    assert uh.merge_histories([a, b, c]) == want
    assert uh.merge_histories([uh.merge_histories([c, a]), b]) == want
    assert uh.merge_histories([b, uh.merge_histories([a]), c]) == want


def test_user_id_column_names_the_file_when_missing(tmp_path):
    path = tmp_path / "users.csv"
    path.write_text("id,x\n1,2\n")
    with pytest.raises(ValueError, match="users.csv has no user_id column"):
        uh.user_id_column(str(path))


def test_latest_histories_with_users_csv_and_dead_letters(tmp_path):
    _write(
        tmp_path / "sessions-00000-of-00001.tfrecord.gz",
        [
            _session(5, 20220410, 0, [1, 2], [10, 20]),
            _session(5, 20220411, 1, [3, 4, 6], [30, 40, 60]),  # the most recent of user 5
            _session(5, 20220411, 0, [9], [90]),
            _session(8, 20220409, 0, [7], [70]),
            b"not a session",
        ],
    )
    users = tmp_path / "users.csv"
    users.write_text("user_id,fans\n5,1\n99,2\nbad,3\n")
    pattern = str(tmp_path / ss.SESSION_FILE_GLOB)
    with test_pipeline.TestPipeline() as p:
        out = p | uh.LatestUserHistories(pattern, history_length=3, users_csv=str(users))
        assert_that(
            out["histories"],
            equal_to(
                [
                    (5, uh.UserHistory((20220411, 1), [6, 4, 3], [60, 40, 30], [1, 2, 3, 4, 6, 9])),
                    (8, uh.UserHistory((20220409, 0), [7, -1, -1], [70, 0, 0], [7])),
                    (99, uh.empty_history(3)),
                ]
            ),
            label="CheckHistories",
        )
        assert_that(
            out[uh.DEAD_LETTERS],
            lambda lines: _check_dead_letters(lines),
            label="CheckDeadLetters",
        )


def _check_dead_letters(lines):
    assert len(lines) == 2, lines
    assert any(line.startswith("session record:") for line in lines), lines
    assert any("users.csv: row 'bad,3' has no integer user_id" in line for line in lines), lines
