"""Round trip of session SequenceExamples."""

import numpy as np
import pytest
import tensorflow as tf

from tscac_tf.data import session_io
from tscac_tf.specs import session_schema as ss


def _session(steps=3):
    context = {"user_id": 7, "date": 20220410, "session_index": 2, "session_id": "7-20220410-2"}
    values = {name: list(range(10, 10 + steps)) for name in ss.STEP_INT64}
    values["behavior_propensity"] = [0.5, 0.25, -1.0][:steps]
    return context, values


def test_round_trip_without_and_with_candidates(tmp_path):
    context, steps = _session()
    steps[ss.STEP_LOGGED_INDEX] = [0, 2, 1]
    steps[ss.STEP_CANDIDATE_INSERTED] = [0, 1, 0]
    candidates = [[1, 2, -1], [4, 5, 6], [7, 8, 9]]
    path = str(tmp_path / "train" / "sessions-00000-of-00001.tfrecord.gz")
    tf.io.gfile.makedirs(str(tmp_path / "train"))
    with tf.io.TFRecordWriter(path, "GZIP") as writer:
        writer.write(session_io.encode_session(context, steps))
        writer.write(session_io.encode_session(context, steps, candidates=candidates))
    files = session_io.session_files(str(tmp_path), ss.TRAIN_SPLIT)
    plain = session_io.read_sessions_numpy(files[:1])[0]
    assert plain["session_id"] == "7-20220410-2" and plain["user_id"] == 7
    np.testing.assert_array_equal(plain["video_id"], [10, 11, 12])
    np.testing.assert_allclose(plain["behavior_propensity"], [0.5, 0.25, -1.0])
    with_candidates = session_io.parse_session(
        next(iter(tf.data.TFRecordDataset(files, "GZIP").skip(1))),
        with_candidates=True,
        num_candidates=3,
    )
    np.testing.assert_array_equal(with_candidates["candidate_video_ids"].numpy(), candidates)
    np.testing.assert_array_equal(with_candidates["logged_candidate_index"].numpy(), [0, 2, 1])


def test_encode_rejects_ragged_steps_and_missing_fields():
    context, steps = _session()
    steps["tab"] = [1]
    with pytest.raises(ValueError, match="different lengths"):
        session_io.encode_session(context, steps)
    context, steps = _session()
    del steps["is_hate"]
    with pytest.raises(KeyError, match="is_hate"):
        session_io.encode_session(context, steps)


def test_session_files_names_the_pattern(tmp_path):
    with pytest.raises(FileNotFoundError, match="sessions-"):
        session_io.session_files(str(tmp_path), ss.EVAL_SPLIT)
