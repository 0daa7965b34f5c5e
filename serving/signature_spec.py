"""SignatureSpec: the inputs and outputs of one SavedModel signature, as a server sees them.

Read from the SignatureDefs in saved_model.pb, exactly what `tensorflow_model_server`
validates requests against and returns from GetModelMetadata, so the two servers agree on
what a well-formed request is.
"""

from __future__ import annotations

import dataclasses
import os

import numpy as np
import tensorflow as tf
from tensorflow.core.protobuf import meta_graph_pb2, saved_model_pb2

from serving import tensor_codec

SAVED_MODEL_FILE = "saved_model.pb"
DEFAULT_SIGNATURE = "serving_default"
INIT_OP_SIGNATURE = "__saved_model_init_op"  # in the map, but not a callable signature


@dataclasses.dataclass(frozen=True)
class TensorSpec:
    """One named input or output tensor.

    Attributes:
      name: the key in the signature (the request / response map key).
      data_type: the tensorflow DataType enum value.
      shape: one entry per dimension, None where the dimension is free; None when the
        rank itself is unknown.
    """

    name: str
    data_type: int
    shape: tuple[int | None, ...] | None

    @property
    def dtype(self) -> np.dtype:
        return tensor_codec.numpy_dtype(self.data_type)

    def describe(self) -> str:
        """'int64 [?, 20]' (the shape with ? for free dimensions)."""
        dims = (
            "?"
            if self.shape is None
            else ", ".join("?" if d is None else str(d) for d in self.shape)
        )
        return f"{tensor_codec.dtype_name(self.data_type)} [{dims}]"


@dataclasses.dataclass(frozen=True)
class SignatureSpec:
    """One signature: its name, method and {key: TensorSpec} inputs and outputs."""

    name: str
    method_name: str
    inputs: dict[str, TensorSpec]
    outputs: dict[str, TensorSpec]

    @classmethod
    def from_proto(cls, name: str, signature_def: meta_graph_pb2.SignatureDef) -> SignatureSpec:
        return cls(
            name=name,
            method_name=signature_def.method_name,
            inputs={k: _tensor_spec(k, v) for k, v in signature_def.inputs.items()},
            outputs={k: _tensor_spec(k, v) for k, v in signature_def.outputs.items()},
        )


def _tensor_spec(name: str, info: meta_graph_pb2.TensorInfo) -> TensorSpec:
    if info.tensor_shape.unknown_rank:
        return TensorSpec(name, info.dtype, None)
    shape = tuple(None if d.size < 0 else int(d.size) for d in info.tensor_shape.dim)
    return TensorSpec(name, info.dtype, shape)


def read_signature_defs(saved_model_dir: str) -> dict[str, meta_graph_pb2.SignatureDef]:
    """All SignatureDefs of the SavedModel's serving MetaGraph (init op included).

    Raises:
      FileNotFoundError: no saved_model.pb in the directory.
      ValueError: the file holds no MetaGraph.
    """
    path = os.path.join(saved_model_dir, SAVED_MODEL_FILE)
    with tf.io.gfile.GFile(path, "rb") as f:
        saved_model = saved_model_pb2.SavedModel.FromString(f.read())
    if not saved_model.meta_graphs:
        raise ValueError(f"{path} holds no MetaGraphDef")
    return dict(saved_model.meta_graphs[0].signature_def)


def read_signature_specs(saved_model_dir: str) -> dict[str, SignatureSpec]:
    """{name: SignatureSpec} of the callable signatures (the init op left out)."""
    return {
        name: SignatureSpec.from_proto(name, sig)
        for name, sig in read_signature_defs(saved_model_dir).items()
        if name != INIT_OP_SIGNATURE
    }
