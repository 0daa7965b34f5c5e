"""REST routing as tensorflow_model_server matches paths, without sockets."""

import json

import pytest

from serving.model_manager import ModelManager
from serving.model_registry import ModelRegistry
from serving.rest_api import RestApi
from serving.server_config import ModelConfig
from serving.validation import ServingLimits
from tscac_tf.export import serving_layout
from tscac_tf.testing import fake_serving_model as fsm


@pytest.fixture(scope="module")
def api(fake_base):
    config = ModelConfig(
        "tscac", serving_layout.model_dir(fake_base[0]), version_labels={"stable": 1}
    )
    registry = ModelRegistry(config)
    registry.poll()
    yield RestApi(ModelManager([registry], ServingLimits()))
    registry.unload_all()


def _body(inputs):
    return json.dumps(
        {"signature_name": "rank", "inputs": {k: v.tolist() for k, v in inputs.items()}}
    ).encode()


@pytest.mark.parametrize(
    "path",
    [
        "/v1/models/tscac:predict",
        "/v1/models/tscac/versions/1:predict",
        "/v1/models/tscac/labels/stable:predict",
        "/V1/Models/tscac:PREDICT",  # case-insensitive, like TF Serving
        "/v1/models/tscac:predict?x=1",
    ],
)
def test_predict_routes(api, path):
    status, body = api.handle("POST", path, _body(fsm.example_inputs("rank")))
    assert status == 200, body
    assert set(json.loads(body)["outputs"]) == {"scores", "ranked_video_ids", "preference"}


@pytest.mark.parametrize(
    "method, path, status, message",
    [
        ("GET", "/v1/models/tscac", 200, "model_version_status"),
        ("GET", "/v1/models/tscac/versions/1", 200, "AVAILABLE"),
        ("GET", "/v1/models/tscac/labels/stable/metadata", 200, "signature_def"),
        ("GET", "/v1/models", 400, "Missing model name in request."),
        ("GET", "/v1/models/tscac/labels/beta", 400, "Unrecognized servable version label: beta"),
        ("GET", "/v1/models/tscac/versions/2", 404, "Could not find version 2"),
        ("POST", "/v1/models/tscac/versions/2:predict", 404, "Specific(tscac, 2)"),
        ("POST", "/v1/models/tscac:regress", 400, ":regress is not served"),
        ("PUT", "/v1/models/tscac", 400, "Malformed request: PUT /v1/models/tscac"),
        ("GET", "/healthz", 404, "no such path"),
    ],
)
def test_status_metadata_and_errors(api, method, path, status, message):
    got, body = api.handle(method, path, _body(fsm.example_inputs("rank")))
    assert got == status
    assert message in body.decode()
    if status != 200:
        assert list(json.loads(body)) == ["error"]


class _BrokenManager:
    def status(self, ref):
        raise RuntimeError("disk on fire")


def test_an_unexpected_failure_is_a_500_with_an_error_body():
    status, body = RestApi(_BrokenManager()).handle("GET", "/v1/models/tscac", b"")
    assert status == 500
    assert "disk on fire" in json.loads(body)["error"]
