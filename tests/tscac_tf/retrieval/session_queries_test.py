"""Per-step queries: the in-session history before each step, most recent first."""

import numpy as np
import pytest
import tensorflow as tf

from tscac_tf.data import reader, session_io
from tscac_tf.retrieval import session_queries
from tscac_tf.specs import session_schema as ss
from tscac_tf.testing import fake_sessions


def test_step_histories_by_hand():
    ids, play = session_queries.step_histories(
        np.array([10, 11, 12, 13]), np.array([100, 110, 120, 130]), history_length=2
    )
    np.testing.assert_array_equal(ids, [[-1, -1], [10, -1], [11, 10], [12, 11]])
    np.testing.assert_array_equal(play, [[0, 0], [100, 0], [110, 100], [120, 110]])


def test_step_histories_match_a_plain_loop():
    rng = np.random.default_rng(3)
    videos, plays = rng.integers(0, 50, 9), rng.integers(0, 9000, 9)
    ids, play = session_queries.step_histories(videos, plays, history_length=4)
    for t in range(9):
        for j in range(4):
            source = t - 1 - j
            assert ids[t, j] == (videos[source] if source >= 0 else -1)
            assert play[t, j] == (plays[source] if source >= 0 else 0)


def test_step_histories_rejects_mismatched_inputs():
    with pytest.raises(ValueError, match=r"video_ids \[T\] and play_time_ms \[T\]"):
        session_queries.step_histories(np.array([1, 2]), np.array([1]), 3)


def test_queries_equal_the_readers_observations(tmp_path):
    # Training (the reader) and the candidates step (this module) must build the same state.
    world = fake_sessions.FakeWorld(num_users=4, num_videos=20, train_sessions=2, eval_sessions=1)
    fake_sessions.write_fake_sessions(str(tmp_path), world)
    files = session_io.session_files(str(tmp_path), ss.TRAIN_SPLIT)
    for serialized in tf.data.TFRecordDataset(files, compression_type="GZIP").take(5):
        session = {k: v.numpy() for k, v in session_io.parse_session(serialized).items()}
        mine = session_queries.session_queries(session, 6)
        theirs = reader.session_transitions(
            session_io.parse_session(serialized), 6, with_candidates=False
        )["observation"]
        for key in session_queries.QUERY_KEYS:
            np.testing.assert_array_equal(mine[key], theirs[key].numpy())
