"""The gRPC services as a stock TF Serving client sees them: response model_spec,
output_filter, labels, GetModelStatus and the methods left UNIMPLEMENTED."""

from concurrent import futures

import grpc
import numpy as np
import pytest
import tensorflow as tf
from tensorflow_serving.apis import (
    classification_pb2,
    get_model_status_pb2,
    model_pb2,
    model_service_pb2_grpc,
    predict_pb2,
    prediction_service_pb2_grpc,
)

from serving import grpc_service
from serving.model_manager import ModelManager
from serving.model_registry import ModelRegistry
from serving.server_config import ModelConfig
from serving.validation import ServingLimits
from tscac_tf.export import serving_layout
from tscac_tf.testing import fake_serving_model as fsm


@pytest.fixture(scope="module")
def channel(fake_base):
    config = ModelConfig(
        "tscac", serving_layout.model_dir(fake_base[0]), version_labels={"stable": 1}
    )
    registry = ModelRegistry(config)
    registry.poll()
    server = grpc.server(futures.ThreadPoolExecutor(4))
    grpc_service.add_services(server, ModelManager([registry], ServingLimits()))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        yield channel
    server.stop(None)
    registry.unload_all()


def test_predict_with_tf_make_tensor_proto_and_output_filter(fake_base, channel):
    inputs = fsm.example_inputs("rank")
    request = predict_pb2.PredictRequest(output_filter=["ranked_video_ids"])
    request.model_spec.name = "tscac"
    request.model_spec.signature_name = "rank"
    request.model_spec.version_label = "stable"
    for name, value in inputs.items():  # the way TF Serving's own examples build requests
        request.inputs[name].CopyFrom(tf.make_tensor_proto(value))
    response = prediction_service_pb2_grpc.PredictionServiceStub(channel).Predict(
        request, timeout=10
    )
    assert (response.model_spec.name, response.model_spec.version.value) == ("tscac", 1)
    assert response.model_spec.signature_name == "rank"
    assert list(response.outputs) == ["ranked_video_ids"]
    expected = fake_base[1].rank(**inputs)["ranked_video_ids"].numpy()
    np.testing.assert_array_equal(tf.make_ndarray(response.outputs["ranked_video_ids"]), expected)


def test_get_model_status(channel):
    stub = model_service_pb2_grpc.ModelServiceStub(channel)
    request = get_model_status_pb2.GetModelStatusRequest(
        model_spec=model_pb2.ModelSpec(name="tscac")
    )
    (status,) = stub.GetModelStatus(request, timeout=10).model_version_status
    assert (status.version, status.state) == (1, get_model_status_pb2.ModelVersionStatus.AVAILABLE)
    request.model_spec.version.value = 5
    with pytest.raises(grpc.RpcError) as error:
        stub.GetModelStatus(request, timeout=10)
    assert error.value.code() == grpc.StatusCode.NOT_FOUND


def test_classify_is_unimplemented(channel):
    stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
    with pytest.raises(grpc.RpcError) as error:
        stub.Classify(classification_pb2.ClassificationRequest(), timeout=10)
    assert error.value.code() == grpc.StatusCode.UNIMPLEMENTED


class _BrokenManager:
    def status(self, ref):
        raise RuntimeError("disk on fire")


def test_an_unexpected_failure_is_internal():
    server = grpc.server(futures.ThreadPoolExecutor(2))
    grpc_service.add_services(server, _BrokenManager())
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = model_service_pb2_grpc.ModelServiceStub(channel)
            request = get_model_status_pb2.GetModelStatusRequest(
                model_spec=model_pb2.ModelSpec(name="tscac")
            )
            with pytest.raises(grpc.RpcError) as error:
                stub.GetModelStatus(request, timeout=10)
        assert error.value.code() == grpc.StatusCode.INTERNAL
        assert "disk on fire" in error.value.details()
    finally:
        server.stop(None)
