"""TF Serving's REST JSON for predict: request bodies to arrays, outputs to response bodies.

Two request forms (https://www.tensorflow.org/tfx/serving/api_rest#predict_api):
  row:      {"signature_name": "rank", "instances": [{"user_id": 7, "history_video_ids": [..]}, ..]}
  columnar: {"signature_name": "rank", "inputs": {"user_id": [7, 8], "history_video_ids": [[..], [..]]}}
A signature with one input may also send bare values (`"instances": [[1, 2], [3, 4]]`).
Answers mirror the request: `{"predictions": [{output: row value}, ...]}` for the row form
(bare row values when there is one output) and `{"outputs": {output: value}}` for the
columnar form (a bare value when there is one output).
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import numpy as np

from serving.errors import invalid_argument
from serving.signature_spec import SignatureSpec, TensorSpec

ROW = "row"
COLUMNAR = "columnar"


def parse_body(body: bytes) -> tuple[str, str, object]:
    """A predict body -> (signature_name, ROW | COLUMNAR, the instances / inputs value).

    Raises:
      ServingError(INVALID_ARGUMENT): not a JSON object, or not exactly one of
        'instances' and 'inputs', or a non-string signature_name.
    """
    try:
        request = json.loads(body)
    except (ValueError, UnicodeDecodeError) as e:
        raise invalid_argument(f"JSON Parse error: {e}") from e
    if not isinstance(request, dict):
        raise invalid_argument(
            f"the request body must be a JSON object, got {type(request).__name__}"
        )
    signature_name = request.get("signature_name", "")
    if not isinstance(signature_name, str):
        raise invalid_argument("'signature_name' key must be a string value.")
    has_rows, has_columns = "instances" in request, "inputs" in request
    if has_rows == has_columns:
        raise invalid_argument(
            "Not formatted correctly: expecting exactly one of 'inputs' or 'instances' keys, "
            f"got keys {sorted(request)}"
        )
    if has_rows:
        return signature_name, ROW, request["instances"]
    return signature_name, COLUMNAR, request["inputs"]


def _array(value: object, spec: TensorSpec) -> np.ndarray:
    """A JSON value -> an array of the input's dtype (ints stay ints: no silent rounding)."""
    try:
        array = np.asarray(value)
    except (ValueError, OverflowError) as e:
        raise invalid_argument(
            f"input '{spec.name}' is not a rectangular list of numbers: {e}"
        ) from e
    want = spec.dtype
    kind = array.dtype.kind
    if array.size == 0 and kind == "f":  # [] decodes as float64; any dtype fits no values
        return array.astype(want)
    allowed = {"i": "iu", "u": "iu", "f": "iuf", "b": "b", "O": "U"}.get(want.kind, "")
    if kind not in allowed:
        raise invalid_argument(
            f"input '{spec.name}' expects {spec.describe()}, got JSON values of numpy kind "
            f"{array.dtype} (ragged lists, strings, booleans or non-integers where integers are expected)"
        )
    if want.kind == "O":
        return np.vectorize(lambda s: s.encode(), otypes=[object])(array)
    return array.astype(want)


def _rows_to_columns(instances: object, spec: SignatureSpec) -> dict[str, object]:
    if not isinstance(instances, list) or not instances:
        raise invalid_argument("'instances' must be a non-empty JSON list")
    if not all(isinstance(row, dict) for row in instances):
        if any(isinstance(row, dict) for row in instances) or len(spec.inputs) != 1:
            raise invalid_argument(
                f"'instances' must be a list of objects keyed by {sorted(spec.inputs)} "
                "(bare values only fit a signature with one input)"
            )
        return {next(iter(spec.inputs)): instances}
    keys = set(instances[0])
    for i, row in enumerate(instances):
        if set(row) != keys:
            raise invalid_argument(
                f"instance {i} has keys {sorted(row)}, instance 0 has {sorted(keys)}; every "
                "instance must have the same keys"
            )
    return {key: [row[key] for row in instances] for key in keys}


def decode_inputs(form: str, value: object, spec: SignatureSpec) -> dict[str, np.ndarray]:
    """The instances / inputs value of parse_body -> {input name: array} for `spec`.

    Raises:
      ServingError(INVALID_ARGUMENT): a value that is not a rectangular list of the
        input's dtype, or (row form) instances with different keys.
    """
    if form == ROW:
        columns = _rows_to_columns(value, spec)
    elif isinstance(value, dict):
        columns = value
    elif len(spec.inputs) == 1:
        columns = {next(iter(spec.inputs)): value}
    else:
        raise invalid_argument(f"'inputs' must be an object keyed by {sorted(spec.inputs)}")
    unknown = sorted(set(columns) - set(spec.inputs))
    if unknown:
        raise invalid_argument(
            f"signature '{spec.name}' takes inputs {sorted(spec.inputs)}, the request has "
            f"unexpected {unknown}"
        )
    return {name: _array(v, spec.inputs[name]) for name, v in columns.items()}


def _float32_text(array: np.ndarray) -> str:
    """JSON text of a finite float32 array; 9 significant digits round-trip every float32
    and cost a third of json.dumps on the equivalent float64 values (17 digits)."""
    if array.ndim == 0:
        return f"{float(array):.9g}"
    if array.ndim == 1:
        return "[" + ",".join(map("{:.9g}".format, array.tolist())) + "]"
    return "[" + ",".join(_float32_text(row) for row in array) + "]"


def _json_text(array: np.ndarray) -> str:
    if array.dtype == np.float32 and np.isfinite(array).all():
        return _float32_text(array)
    if array.dtype.kind in "SO":
        array = np.vectorize(
            lambda v: v.decode("utf-8", "replace") if isinstance(v, bytes) else v, otypes=[object]
        )(array)
    return json.dumps(array.tolist())  # NaN / Infinity written as TF Serving writes them


def _object_text(columns: Mapping[str, str]) -> str:
    return "{" + ", ".join(f"{json.dumps(k)}: {v}" for k, v in columns.items()) + "}"


def encode_outputs(form: str, outputs: Mapping[str, np.ndarray]) -> bytes:
    """{output: array} -> the JSON body TF Serving answers the given request form with."""
    if form == COLUMNAR:
        columns = {k: _json_text(v) for k, v in outputs.items()}
        value = next(iter(columns.values())) if len(columns) == 1 else _object_text(columns)
        return f'{{"outputs": {value}}}'.encode()
    batch = {k: (v.shape[0] if v.ndim else None) for k, v in outputs.items()}
    if None in batch.values() or len(set(batch.values())) > 1:
        raise invalid_argument(
            f"the row ('instances') form needs outputs with one common batch size, got {batch}; "
            "send the columnar ('inputs') form"
        )
    if len(outputs) == 1:
        rows = [_json_text(row) for row in next(iter(outputs.values()))]
    else:
        size = next(iter(batch.values()))
        rows = [
            _object_text({k: _json_text(v[i]) for k, v in outputs.items()}) for i in range(size)
        ]
    return ('{"predictions": [' + ", ".join(rows) + "]}").encode()
