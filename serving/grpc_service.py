"""TF Serving's gRPC services: PredictionService (Predict, GetModelMetadata) and
ModelService (GetModelStatus), from the `tensorflow_serving.apis` stubs.

Any TF Serving client (`prediction_service_pb2_grpc.PredictionServiceStub`) works unchanged
against this server and against tensorflow_model_server. Failures abort the call with the
canonical code TF Serving uses (INVALID_ARGUMENT, NOT_FOUND, ...).
"""

from __future__ import annotations

import functools
import logging

import grpc
from tensorflow_serving.apis import (
    model_service_pb2_grpc,
    predict_pb2,
    prediction_service_pb2_grpc,
)

from serving import response_protos, tensor_codec
from serving.errors import ServingError
from serving.model_manager import ModelManager, ModelRef

_log = logging.getLogger(__name__)


def _ref(spec) -> ModelRef:
    """ModelSpec -> ModelRef (version and version_label are a oneof)."""
    choice = spec.WhichOneof("version_choice")
    return ModelRef(
        spec.name,
        spec.version.value if choice == "version" else None,
        spec.version_label if choice == "version_label" else None,
    )


def _aborts_on_error(method):
    """Turns a ServingError into the call's status code and message."""

    @functools.wraps(method)
    def wrapper(self, request, context):
        try:
            return method(self, request, context)
        except ServingError as e:
            context.abort(e.code, e.message)
        except Exception as e:  # a bug answers INTERNAL, as tensorflow_model_server would
            _log.exception("%s failed", method.__name__)
            context.abort(grpc.StatusCode.INTERNAL, f"internal error: {e!r}")

    return wrapper


class PredictionServicer(prediction_service_pb2_grpc.PredictionServiceServicer):
    """Predict and GetModelMetadata; Classify, Regress and MultiInference stay UNIMPLEMENTED."""

    def __init__(self, manager: ModelManager):
        self._manager = manager

    @_aborts_on_error
    def Predict(self, request, context):
        inputs = {k: tensor_codec.to_ndarray(v, k) for k, v in request.inputs.items()}
        ref = _ref(request.model_spec)
        result = self._manager.predict(
            ref, request.model_spec.signature_name, inputs, request.output_filter
        )
        response = predict_pb2.PredictResponse(
            model_spec=response_protos.model_spec(ref.name, result.version, result.signature_name)
        )
        for name, array in result.outputs.items():
            response.outputs[name].CopyFrom(tensor_codec.to_tensor_proto(array))
        return response

    @_aborts_on_error
    def GetModelMetadata(self, request, context):
        response_protos.check_metadata_fields(list(request.metadata_field))
        ref = _ref(request.model_spec)
        version, defs = self._manager.metadata(ref)
        return response_protos.metadata_response(ref.name, version, defs)


class ModelServicer(model_service_pb2_grpc.ModelServiceServicer):
    """GetModelStatus; HandleReloadConfigRequest stays UNIMPLEMENTED."""

    def __init__(self, manager: ModelManager):
        self._manager = manager

    @_aborts_on_error
    def GetModelStatus(self, request, context):
        return response_protos.status_response(self._manager.status(_ref(request.model_spec)))


def add_services(server: grpc.Server, manager: ModelManager) -> None:
    """Registers both services on a grpc.Server."""
    prediction_service_pb2_grpc.add_PredictionServiceServicer_to_server(
        PredictionServicer(manager), server
    )
    model_service_pb2_grpc.add_ModelServiceServicer_to_server(ModelServicer(manager), server)
