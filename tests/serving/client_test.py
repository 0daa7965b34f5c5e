"""TFServingClient: addressing, errors as canonical codes over both protocols, reconnects."""

import grpc
import pytest

from serving.client import TFServingClient
from serving.errors import ServingError
from serving.model_manager import ModelManager
from serving.model_server import ModelServer
from serving.rest_api import RestApi
from serving.rest_service import RestServer
from serving.server_config import ModelConfig, ServerConfig
from serving.validation import ServingLimits
from tscac_tf.export import serving_layout
from tscac_tf.testing import fake_serving_model as fsm


@pytest.fixture(scope="module")
def server(fake_base):
    model = ModelConfig(
        "tscac", serving_layout.model_dir(fake_base[0]), version_labels={"stable": 1}
    )
    with ModelServer(ServerConfig(models=(model,), grpc_port=0, rest_port=0)).start() as running:
        yield running


def test_constructor_validation():
    with pytest.raises(ValueError, match="'grpc' or 'rest'"):
        TFServingClient("h:1", protocol="soap")
    with pytest.raises(ValueError, match="not both"):
        TFServingClient("h:1", version=1, version_label="stable")


@pytest.mark.parametrize("protocol", ["grpc", "rest"])
def test_pinned_version_label_and_waiting(server, protocol):
    port = server.grpc_port if protocol == "grpc" else server.rest_port
    for kwargs in ({}, {"version": 1}, {"version_label": "stable"}):
        client = TFServingClient(f"127.0.0.1:{port}", protocol=protocol, **kwargs)
        assert client.wait_until_available(timeout=10) == 1
        out = client.recommend(**fsm.example_inputs("recommend", batch=1))
        assert out["video_ids"].dtype.name == "int64" and out["scores"].dtype.name == "float32"
        client.close()


def test_rest_reconnects_when_the_server_restarted():
    def start(port):
        return RestServer(
            "127.0.0.1", port, RestApi(ModelManager([], ServingLimits())), 1000
        ).start()

    first = start(0)
    client = TFServingClient(f"127.0.0.1:{first.port}", protocol="rest", model_name="m")
    with pytest.raises(ServingError) as error:
        client.status()  # leaves a keep-alive connection to `first`
    assert error.value.code == grpc.StatusCode.NOT_FOUND
    first.stop()  # closes that connection
    second = start(first.port)
    try:
        with pytest.raises(ServingError) as error:
            client.status()
        assert error.value.code == grpc.StatusCode.NOT_FOUND  # answered by `second`
    finally:
        second.stop()


@pytest.mark.parametrize("protocol", ["grpc", "rest"])
def test_unreachable_server_is_unavailable(protocol):
    client = TFServingClient("127.0.0.1:1", protocol=protocol, timeout=2)
    with pytest.raises(ServingError) as error:
        client.status()
    assert error.value.code == grpc.StatusCode.UNAVAILABLE
