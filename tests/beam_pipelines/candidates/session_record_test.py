"""SessionRecord: decode the contract, carry unknown fields, re-encode with candidates."""

import numpy as np
import pytest
import tensorflow as tf

from beam_pipelines.candidates.session_record import (
    MalformedSession,
    decode_session,
    encode_with_candidates,
)
from tscac_tf.data import session_io
from tscac_tf.specs import session_schema as ss

CONTEXT = {"user_id": 7, "date": 20220410, "session_index": 1, "session_id": "7-20220410-1"}


def _steps(n=3):
    steps = {name: list(range(10, 10 + n)) for name in ss.STEP_INT64}
    steps["behavior_propensity"] = [0.5] * n
    return steps


def _extra():
    feature = tf.train.Feature(float_list=tf.train.FloatList(value=[1.5]))
    return {"user_score": feature}, {"video_score": [feature, feature, feature]}


def test_round_trip_keeps_every_field_and_adds_candidates():
    extra_context, extra_steps = _extra()
    serialized = session_io.encode_session(CONTEXT, _steps(), None, extra_context, extra_steps)
    record = decode_session(serialized)
    assert record.context == CONTEXT and record.num_steps == 3
    np.testing.assert_array_equal(record.steps["video_id"], [10, 11, 12])
    assert record.steps["behavior_propensity"].dtype == np.float32
    out = encode_with_candidates(
        record, np.array([[10, 1], [2, 11], [12, -1]]), np.array([0, 1, 0]), np.array([0, 1, 0])
    )
    parsed = session_io.parse_session(tf.constant(out), with_candidates=True, num_candidates=2)
    np.testing.assert_array_equal(parsed["candidate_video_ids"], [[10, 1], [2, 11], [12, -1]])
    np.testing.assert_array_equal(parsed["candidate_inserted"], [0, 1, 0])
    example = tf.train.SequenceExample.FromString(out)
    assert example.context.feature["user_score"].float_list.value == [1.5]
    assert len(example.feature_lists.feature_list["video_score"].feature) == 3


def test_decoding_a_candidates_output_drops_the_old_candidates():
    steps = _steps(1) | {ss.STEP_LOGGED_INDEX: [0], ss.STEP_CANDIDATE_INSERTED: [0]}
    record = decode_session(session_io.encode_session(CONTEXT, steps, candidates=[[10, 3]]))
    assert not set(record.extra_steps) & {ss.STEP_CANDIDATE_IDS, ss.STEP_LOGGED_INDEX}


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda ex: ex.context.feature.pop("user_id"), "context feature 'user_id' is missing"),
        (lambda ex: ex.feature_lists.feature_list.pop("play_time_ms"), "'play_time_ms' is missing"),
        (
            lambda ex: ex.feature_lists.feature_list["tab"].feature.pop(),
            "different lengths",
        ),
        (
            lambda ex: (
                ex.feature_lists.feature_list["video_id"].feature[1].int64_list.value.append(3)
            ),
            "'video_id' at step 1: expected 1 int64_list value, got 2",
        ),
    ],
)
def test_malformed_sessions_name_the_field(mutate, message):
    example = tf.train.SequenceExample.FromString(session_io.encode_session(CONTEXT, _steps()))
    mutate(example)
    with pytest.raises(MalformedSession, match=message):
        decode_session(example.SerializeToString())


def test_bytes_that_are_not_a_sequence_example():
    with pytest.raises(MalformedSession, match="not a tf.train.SequenceExample"):
        decode_session(b"\xff\x00garbage")
