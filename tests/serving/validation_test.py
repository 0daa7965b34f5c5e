"""Each validation rule, with the message naming what was expected."""

import grpc
import numpy as np
import pytest
from tensorflow.core.framework import types_pb2

from serving.errors import ServingError
from serving.signature_spec import SignatureSpec, TensorSpec
from serving.validation import ServingLimits, check_limits, validate_inputs

SPEC = SignatureSpec(
    "rank",
    "tensorflow/serving/predict",
    inputs={
        "user_id": TensorSpec("user_id", types_pb2.DT_INT64, (None,)),
        "history_video_ids": TensorSpec("history_video_ids", types_pb2.DT_INT64, (None, None)),
        "history_play_time_ms": TensorSpec(
            "history_play_time_ms", types_pb2.DT_INT64, (None, None)
        ),
        "candidate_video_ids": TensorSpec("candidate_video_ids", types_pb2.DT_INT64, (None, 3)),
    },
    outputs={"scores": TensorSpec("scores", types_pb2.DT_FLOAT, (None, None))},
)
LIMITS = ServingLimits(max_batch_size=4, max_candidates=3, max_history=5)


def _good(batch=2, history=4):
    return {
        "user_id": np.zeros([batch], np.int64),
        "history_video_ids": np.zeros([batch, history], np.int64),
        "history_play_time_ms": np.zeros([batch, history], np.int64),
        "candidate_video_ids": np.zeros([batch, 3], np.int64),
    }


def test_a_good_request_passes():
    validate_inputs(SPEC, _good(), LIMITS, output_filter=["scores"])


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda r: r.pop("user_id"), r"missing \['user_id'\]"),
        (lambda r: r.update(extra=np.zeros(2)), r"unexpected \['extra'\]"),
        (
            lambda r: r.update(user_id=np.zeros(2, np.float32)),
            r"expects int64 \[\?\], got float32 \[2\]",
        ),
        (lambda r: r.update(user_id=np.zeros([2, 1], np.int64)), r"got int64 \[2, 1\]"),
        (
            lambda r: r.update(candidate_video_ids=np.zeros([2, 2], np.int64)),
            r"expects int64 \[\?, 3\], got int64 \[2, 2\]",
        ),
        (lambda r: r.update(user_id=np.zeros(3, np.int64)), "same batch size"),
        (
            lambda r: r.update(history_play_time_ms=np.zeros([2, 3], np.int64)),
            "must have the same shape",
        ),
    ],
)
def test_signature_violations(change, message):
    request = _good()
    change(request)
    with pytest.raises(ServingError, match=message) as error:
        validate_inputs(SPEC, request, LIMITS)
    assert error.value.code == grpc.StatusCode.INVALID_ARGUMENT


def test_limits():
    with pytest.raises(ServingError, match=r"batch size 5 is outside \[1, max_batch_size=4\]"):
        validate_inputs(SPEC, _good(batch=5), LIMITS)
    with pytest.raises(ServingError, match=r"batch size 0"):
        validate_inputs(SPEC, _good(batch=0), LIMITS)
    with pytest.raises(ServingError, match="6 entries per row, more than max_history=5"):
        validate_inputs(SPEC, _good(history=6), LIMITS)
    validate_inputs(SPEC, _good(batch=5, history=6), None)  # warmup: no limits
    excluding = {**_good(), "exclude_video_ids": np.zeros([2, 8], np.int64)}
    with pytest.raises(ServingError, match="8 entries per row, more than max_excluded=7"):
        check_limits(excluding, ServingLimits(max_excluded=7))
    check_limits(excluding, ServingLimits(max_excluded=8))


def test_unknown_output_filter():
    with pytest.raises(ServingError, match=r"output_filter names \['nope'\]"):
        validate_inputs(SPEC, _good(), LIMITS, output_filter=["nope"])


def test_limits_must_be_positive():
    with pytest.raises(ValueError, match="max_batch_size must be >= 1"):
        ServingLimits(max_batch_size=0)
