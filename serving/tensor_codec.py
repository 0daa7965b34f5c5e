"""TensorProto <-> numpy: the wire form of one tensor in a PredictRequest / PredictResponse.

Written without `tf.make_tensor_proto` / `tf.make_ndarray` because those are pure Python
loops over the values and cost more than the model itself for a [32, 500] request;
numeric tensors travel as little-endian `tensor_content` bytes, which every TF Serving
client decodes (and which `tensorflow_model_server` accepts). Decoding also accepts the
typed repeated fields (`int64_val`, `float_val`, ...) that other clients send, with
TensorFlow's rule that a short list is padded with its last value.
"""

from __future__ import annotations

import numpy as np
from tensorflow.core.framework import tensor_pb2, tensor_shape_pb2, types_pb2

from serving.errors import invalid_argument

# DataType -> (numpy dtype, repeated value field used when tensor_content is empty).
_DTYPES = {
    types_pb2.DT_FLOAT: (np.dtype(np.float32), "float_val"),
    types_pb2.DT_DOUBLE: (np.dtype(np.float64), "double_val"),
    types_pb2.DT_INT64: (np.dtype(np.int64), "int64_val"),
    types_pb2.DT_INT32: (np.dtype(np.int32), "int_val"),
    types_pb2.DT_INT16: (np.dtype(np.int16), "int_val"),
    types_pb2.DT_INT8: (np.dtype(np.int8), "int_val"),
    types_pb2.DT_UINT8: (np.dtype(np.uint8), "int_val"),
    types_pb2.DT_BOOL: (np.dtype(np.bool_), "bool_val"),
    types_pb2.DT_STRING: (np.dtype(object), "string_val"),
}
_BY_NUMPY = {dtype: code for code, (dtype, _) in _DTYPES.items()}


def numpy_dtype(data_type: int) -> np.dtype:
    """The numpy dtype of a tensorflow DataType; INVALID_ARGUMENT when unsupported."""
    if data_type not in _DTYPES:
        raise invalid_argument(f"unsupported tensor dtype {types_pb2.DataType.Name(data_type)}")
    return _DTYPES[data_type][0]


def dtype_name(data_type: int) -> str:
    """'int64' for DT_INT64 (the names TensorFlow prints)."""
    return types_pb2.DataType.Name(data_type)[3:].lower()


def data_type(array: np.ndarray) -> int:
    """The tensorflow DataType of a numpy array (str/bytes arrays are DT_STRING)."""
    if array.dtype.kind in "USO":
        return types_pb2.DT_STRING
    if array.dtype not in _BY_NUMPY:
        raise invalid_argument(f"unsupported numpy dtype {array.dtype}")
    return _BY_NUMPY[array.dtype]


def to_ndarray(proto: tensor_pb2.TensorProto, name: str = "tensor") -> np.ndarray:
    """Decodes a TensorProto.

    Raises:
      ServingError(INVALID_ARGUMENT): unsupported dtype, unknown or negative dimensions, or
        a value count or byte length that does not fit the shape.
    """
    dtype, field = _DTYPES.get(proto.dtype, (None, None))
    if dtype is None:
        raise invalid_argument(
            f"input '{name}' has unsupported dtype {types_pb2.DataType.Name(proto.dtype)}"
        )
    if proto.tensor_shape.unknown_rank:
        raise invalid_argument(f"input '{name}' has an unknown rank; send its full shape")
    shape = tuple(d.size for d in proto.tensor_shape.dim)
    if any(size < 0 for size in shape):
        raise invalid_argument(f"input '{name}' has a negative dimension in shape {list(shape)}")
    count = int(np.prod(shape, dtype=np.int64))
    if proto.tensor_content and proto.dtype != types_pb2.DT_STRING:
        expected = count * dtype.itemsize
        if len(proto.tensor_content) != expected:
            raise invalid_argument(
                f"input '{name}' has {len(proto.tensor_content)} bytes of tensor_content, "
                f"shape {list(shape)} of {dtype} needs {expected}"
            )
        return np.frombuffer(proto.tensor_content, dtype.newbyteorder("<")).reshape(shape)
    values = np.asarray(getattr(proto, field), dtype=dtype)
    if values.size == count:
        return values.reshape(shape)
    if values.size > count:
        raise invalid_argument(
            f"input '{name}' has {values.size} values, shape {list(shape)} holds {count}"
        )
    if values.size == 0:
        return np.zeros(shape, dtype)
    # TensorFlow's rule (tensor_util.MakeNdarray): a short list repeats its last value.
    return np.pad(values, (0, count - values.size), mode="edge").reshape(shape)


def to_tensor_proto(array: np.ndarray) -> tensor_pb2.TensorProto:
    """Encodes a numpy array (numeric as tensor_content, strings as string_val)."""
    array = np.asarray(array)
    proto = tensor_pb2.TensorProto(
        dtype=data_type(array),
        tensor_shape=tensor_shape_pb2.TensorShapeProto(
            dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=int(s)) for s in array.shape]
        ),
    )
    if proto.dtype == types_pb2.DT_STRING:
        proto.string_val.extend(
            v if isinstance(v, bytes) else str(v).encode() for v in array.reshape(-1)
        )
    else:
        proto.tensor_content = np.ascontiguousarray(array, array.dtype.newbyteorder("<")).tobytes()
    return proto
