"""TensorProto <-> numpy agrees with TensorFlow's own conversions."""

import grpc
import numpy as np
import pytest
import tensorflow as tf

from serving import tensor_codec
from serving.errors import ServingError


@pytest.mark.parametrize(
    "array",
    [
        np.arange(12, dtype=np.int64).reshape(3, 4) - 5,
        np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3),
        np.array([1.5, -2.25]),
        np.array([[True, False]]),
        np.array([7], np.int32),
        np.zeros([0, 5], np.int64),
        np.array([b"a", b"bc"], dtype=object),
    ],
)
def test_round_trip_and_tensorflow_agree(array):
    proto = tensor_codec.to_tensor_proto(array)
    np.testing.assert_array_equal(tf.make_ndarray(proto), array)  # TF decodes ours
    decoded = tensor_codec.to_ndarray(tf.make_tensor_proto(array))  # we decode TF's
    np.testing.assert_array_equal(decoded, array)
    assert decoded.shape == array.shape


def test_typed_fields_and_short_lists_repeat_the_last_value():
    proto = tf.make_tensor_proto([3, 4], dtype=tf.int64)
    proto.ClearField("tensor_content")
    proto.int64_val.extend([3, 4])
    np.testing.assert_array_equal(tensor_codec.to_ndarray(proto), [3, 4])
    proto.ClearField("int64_val")
    proto.tensor_shape.dim[0].size = 3
    proto.int64_val.append(9)
    np.testing.assert_array_equal(tensor_codec.to_ndarray(proto), [9, 9, 9])


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda p: setattr(p, "tensor_content", b"\x00" * 5), "5 bytes of tensor_content"),
        (lambda p: setattr(p, "dtype", tf.complex64.as_datatype_enum), "unsupported dtype"),
        (lambda p: setattr(p.tensor_shape.dim[0], "size", -1), "negative dimension"),
        (lambda p: setattr(p.tensor_shape, "unknown_rank", True), "unknown rank"),
    ],
)
def test_malformed_protos_are_invalid_argument(mutate, message):
    proto = tensor_codec.to_tensor_proto(np.arange(2, dtype=np.int64))
    mutate(proto)
    with pytest.raises(ServingError, match=message) as error:
        tensor_codec.to_ndarray(proto, "user_id")
    assert error.value.code == grpc.StatusCode.INVALID_ARGUMENT
    assert "'user_id'" in error.value.message
