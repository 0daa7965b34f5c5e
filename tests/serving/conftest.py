"""Shared fixtures of the serving tests: a fake export in the TF Serving layout, REST calls."""

import http.client
import json

import pytest

import tscac_tf  # noqa: F401  (Keras 2 before TensorFlow)
from tscac_tf.testing import fake_serving_model as fsm


@pytest.fixture(scope="session")
def fake_base(tmp_path_factory):
    """(base path holding tscac/1, the in-memory FakeServingModel published as version 1)."""
    base = str(tmp_path_factory.mktemp("export"))
    model, _ = fsm.publish_fake_serving_model(base, fsm.FakeServingModelConfig(seed=0))
    return base, model


def _http_call(port: int, method: str, path: str, body=None) -> tuple[int, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
        conn.request(method, path, data)
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()


@pytest.fixture(scope="session")
def http_call():
    """http_call(port, method, path, body=None) -> (status, parsed JSON), fresh connection."""
    return _http_call
