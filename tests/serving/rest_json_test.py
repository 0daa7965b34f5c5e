"""TF Serving's REST JSON: row and columnar requests, predictions and outputs answers."""

import json

import grpc
import numpy as np
import pytest
from tensorflow.core.framework import types_pb2

from serving import rest_json
from serving.errors import ServingError
from serving.signature_spec import SignatureSpec, TensorSpec

SPEC = SignatureSpec(
    "s",
    "tensorflow/serving/predict",
    inputs={
        "ids": TensorSpec("ids", types_pb2.DT_INT64, (None, 2)),
        "w": TensorSpec("w", types_pb2.DT_FLOAT, (None,)),
    },
    outputs={},
)
ONE_INPUT = SignatureSpec(
    "x", "tensorflow/serving/predict", {"x": TensorSpec("x", types_pb2.DT_INT64, (None,))}, {}
)


def test_row_and_columnar_decode_to_the_same_arrays():
    row = rest_json.parse_body(
        b'{"signature_name": "s", "instances": [{"ids": [1, 2], "w": 0.5}, {"ids": [3, 4], "w": 1}]}'
    )
    column = rest_json.parse_body(
        b'{"signature_name": "s", "inputs": {"ids": [[1, 2], [3, 4]], "w": [0.5, 1]}}'
    )
    assert row[:2] == ("s", rest_json.ROW) and column[:2] == ("s", rest_json.COLUMNAR)
    for decoded in (
        rest_json.decode_inputs(*row[1:], SPEC),
        rest_json.decode_inputs(*column[1:], SPEC),
    ):
        np.testing.assert_array_equal(decoded["ids"], [[1, 2], [3, 4]])
        assert decoded["ids"].dtype == np.int64 and decoded["w"].dtype == np.float32
        np.testing.assert_array_equal(decoded["w"], [0.5, 1.0])


def test_bare_values_for_a_one_input_signature():
    form, value = rest_json.parse_body(b'{"instances": [4, 5]}')[1:]
    np.testing.assert_array_equal(rest_json.decode_inputs(form, value, ONE_INPUT)["x"], [4, 5])
    form, value = rest_json.parse_body(b'{"inputs": [6]}')[1:]
    np.testing.assert_array_equal(rest_json.decode_inputs(form, value, ONE_INPUT)["x"], [6])


@pytest.mark.parametrize(
    "body, message",
    [
        (b"{", "JSON Parse error"),
        (b"[1]", "must be a JSON object"),
        (b'{"signature_name": 1, "inputs": {}}', "'signature_name' key must be a string value."),
        (b'{"x": 1}', "exactly one of 'inputs' or 'instances'"),
        (b'{"inputs": {}, "instances": []}', "exactly one of 'inputs' or 'instances'"),
    ],
)
def test_bad_bodies(body, message):
    with pytest.raises(ServingError, match=message) as error:
        rest_json.parse_body(body)
    assert error.value.code == grpc.StatusCode.INVALID_ARGUMENT


@pytest.mark.parametrize(
    "form, value, message",
    [
        (rest_json.ROW, [], "'instances' must be a non-empty JSON list"),
        (rest_json.ROW, [{"ids": [1, 2]}, {"w": 1}], "every instance must have the same keys"),
        (rest_json.ROW, [1, 2], "list of objects keyed by"),
        (rest_json.COLUMNAR, {"ids": [[1, 2], [3]]}, "not a rectangular list"),
        (rest_json.COLUMNAR, {"ids": [[1.5, 2]]}, "non-integers where integers are expected"),
        (rest_json.COLUMNAR, {"ids": [["a", "b"]]}, "expects int64"),
        (rest_json.COLUMNAR, {"ids": [[2**70, 1]]}, "expects int64"),
        (rest_json.COLUMNAR, {"zz": [1]}, r"unexpected \['zz'\]"),
        (rest_json.COLUMNAR, [1], "'inputs' must be an object keyed by"),
    ],
)
def test_bad_values(form, value, message):
    with pytest.raises(ServingError, match=message):
        rest_json.decode_inputs(form, value, SPEC)


def test_answers_are_formatted_like_tf_serving():
    outputs = {"scores": np.array([[0.5, -1e9]], np.float32), "ids": np.array([[3, -1]])}
    assert json.loads(rest_json.encode_outputs(rest_json.ROW, outputs)) == {
        "predictions": [{"scores": [0.5, -1e9], "ids": [3, -1]}]
    }
    assert json.loads(rest_json.encode_outputs(rest_json.COLUMNAR, outputs)) == {
        "outputs": {"scores": [[0.5, -1e9]], "ids": [[3, -1]]}
    }
    single = {"y": np.array([1.25, 2.5], np.float32)}
    assert json.loads(rest_json.encode_outputs(rest_json.ROW, single)) == {
        "predictions": [1.25, 2.5]
    }
    assert json.loads(rest_json.encode_outputs(rest_json.COLUMNAR, single)) == {
        "outputs": [1.25, 2.5]
    }
    with pytest.raises(ServingError, match="one common batch size"):
        rest_json.encode_outputs(rest_json.ROW, {"a": np.zeros(2), "b": np.zeros(3)})


def test_float32_values_survive_the_json_round_trip():
    values = np.random.default_rng(0).normal(size=50).astype(np.float32)
    decoded = json.loads(rest_json.encode_outputs(rest_json.COLUMNAR, {"v": values}))["outputs"]
    np.testing.assert_array_equal(np.asarray(decoded, np.float32), values)


def test_non_finite_floats_are_written_as_tf_serving_writes_them():
    body = rest_json.encode_outputs(
        rest_json.COLUMNAR, {"v": np.array([np.nan, np.inf], np.float32)}
    )
    assert body == b'{"outputs": [NaN, Infinity]}'
