"""End to end: the same request answered in-process, by the SavedModel, over gRPC and REST;
TF Serving's error codes; bad requests that leave the server healthy; graceful drain."""

import threading
import time

import grpc
import numpy as np
import pytest
import tensorflow as tf
from tensorflow_serving.apis import (
    get_model_metadata_pb2,
    model_pb2,
    predict_pb2,
    prediction_service_pb2_grpc,
)

from serving import tensor_codec
from serving.client import TFServingClient
from serving.errors import ServingError
from serving.model_registry import ModelRegistry
from serving.model_server import ModelServer
from serving.servable import Servable
from serving.server_config import ModelConfig, ServerConfig
from serving.validation import ServingLimits
from tscac_tf.export import serving_layout
from tscac_tf.testing import fake_serving_model as fsm

LIMITS = ServingLimits(max_batch_size=8, max_candidates=600, max_request_bytes=200_000)


def _config(base, **overrides):
    model = ModelConfig("tscac", serving_layout.model_dir(base), version_labels={"stable": 1})
    settings = {"grpc_port": 0, "rest_port": 0, "poll_seconds": 0.2, "limits": LIMITS}
    return ServerConfig(models=(model,), **{**settings, **overrides})


@pytest.fixture(scope="module")
def server(fake_base):
    with ModelServer(_config(fake_base[0])).start() as running:
        yield running


@pytest.fixture(scope="module")
def clients(server):
    grpc_client = TFServingClient(f"127.0.0.1:{server.grpc_port}")
    rest_client = TFServingClient(f"127.0.0.1:{server.rest_port}", protocol="rest")
    yield {"grpc": grpc_client, "rest": rest_client}
    grpc_client.close()


def _assert_same(expected: dict, got: dict):
    assert sorted(expected) == sorted(got)
    for name, value in expected.items():
        value = np.asarray(value)
        assert got[name].dtype == value.dtype, name
        np.testing.assert_allclose(got[name], value, rtol=1e-6, err_msg=name)


@pytest.mark.parametrize("signature", ["rank", "recommend", "recommend_excluding"])
def test_same_answer_in_process_savedmodel_grpc_rest(
    fake_base, server, clients, http_call, signature
):
    base, model = fake_base
    inputs = fsm.example_inputs(signature, batch=3, num_candidates=7)
    in_process = {k: v.numpy() for k, v in getattr(model, signature)(**inputs).items()}
    loaded = tf.saved_model.load(serving_layout.resolve_saved_model_dir(base))
    from_saved = {
        k: v.numpy()
        for k, v in loaded.signatures[signature](
            **{k: tf.constant(v) for k, v in inputs.items()}
        ).items()
    }
    _assert_same(in_process, from_saved)
    _assert_same(in_process, clients["grpc"].predict(inputs, signature))
    _assert_same(in_process, clients["rest"].predict(inputs, signature))
    # REST row form: one object per instance, one object of outputs per prediction.
    rows = [{k: v[i].tolist() for k, v in inputs.items()} for i in range(3)]
    status, body = http_call(
        server.rest_port,
        "POST",
        "/v1/models/tscac:predict",
        {"signature_name": signature, "instances": rows},
    )
    assert status == 200
    for name, value in in_process.items():
        np.testing.assert_allclose([p[name] for p in body["predictions"]], value, rtol=1e-6)


def test_contract_outputs(clients):
    inputs = fsm.example_inputs("rank", batch=2, num_candidates=6)
    out = clients["grpc"].rank(**inputs)
    assert out["scores"].shape == (2, 6) and out["ranked_video_ids"].shape == (2, 6)
    assert out["scores"][0, -1] == np.float32(fsm.PADDED_SCORE)  # padded candidate
    assert out["ranked_video_ids"][0, -1] == -1  # padding ranked last
    assert sorted(out["ranked_video_ids"][1]) == sorted(inputs["candidate_video_ids"][1])
    assert clients["rest"].recommend(**fsm.example_inputs("recommend", batch=1))[
        "video_ids"
    ].shape == (1, 10)


def test_default_signature_is_recommend(clients):
    inputs = fsm.example_inputs("recommend", batch=2)
    _assert_same(clients["grpc"].recommend(**inputs), clients["grpc"].predict(inputs, ""))


def test_metadata_and_status_agree_across_protocols(server, clients, http_call):
    grpc_specs, rest_specs = clients["grpc"].metadata(), clients["rest"].metadata()
    assert grpc_specs == rest_specs
    assert set(grpc_specs["rank"].inputs) == {
        "user_id",
        "history_video_ids",
        "history_play_time_ms",
        "candidate_video_ids",
    }
    assert set(grpc_specs["recommend"].outputs) == {"video_ids", "scores", "preference"}
    assert clients["grpc"].status() == clients["rest"].status()
    status, body = http_call(server.rest_port, "GET", "/v1/models/tscac/labels/stable")
    assert status == 200
    assert body == {
        "model_version_status": [
            {
                "version": "1",
                "state": "AVAILABLE",
                "status": {"error_code": "OK", "error_message": ""},
            }
        ]
    }
    status, body = http_call(server.rest_port, "GET", "/v1/models/tscac/versions/1/metadata")
    assert status == 200
    assert body["model_spec"] == {"name": "tscac", "signature_name": "", "version": "1"}
    assert "rank" in body["metadata"]["signature_def"]["signature_def"]


def _grpc_code(port: int, request) -> grpc.StatusCode:
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        try:
            prediction_service_pb2_grpc.PredictionServiceStub(channel).Predict(request, timeout=10)
        except grpc.RpcError as e:
            return e.code()
    return grpc.StatusCode.OK


def _bad_inputs():
    good = fsm.example_inputs("rank", batch=2, num_candidates=6)
    return {
        "wrong_dtype": {**good, "user_id": good["user_id"].astype(np.int32)},
        "wrong_rank": {**good, "user_id": good["user_id"][:, None]},
        "wrong_history_length": {
            **good,
            "history_video_ids": good["history_video_ids"][:, :5],
            "history_play_time_ms": good["history_play_time_ms"][:, :5],
        },
        "missing_input": {k: v for k, v in good.items() if k != "candidate_video_ids"},
        "batch_mismatch": {**good, "user_id": good["user_id"][:1]},
        "too_many_rows": fsm.example_inputs("rank", batch=9),
        "too_many_candidates": fsm.example_inputs("rank", batch=1, num_candidates=601),
    }


@pytest.mark.parametrize("protocol", ["grpc", "rest"])
@pytest.mark.parametrize(
    "client_kwargs, inputs_key, code",
    [
        ({"model_name": "nope"}, None, grpc.StatusCode.NOT_FOUND),
        ({"version": 9}, None, grpc.StatusCode.NOT_FOUND),
        ({"version_label": "canary"}, None, grpc.StatusCode.INVALID_ARGUMENT),
        *[({}, key, grpc.StatusCode.INVALID_ARGUMENT) for key in _bad_inputs()],
    ],
)
def test_error_codes_then_a_good_request(
    server, clients, protocol, client_kwargs, inputs_key, code
):
    port = server.grpc_port if protocol == "grpc" else server.rest_port
    client = TFServingClient(f"127.0.0.1:{port}", protocol=protocol, **client_kwargs)
    inputs = _bad_inputs()[inputs_key] if inputs_key else fsm.example_inputs("rank")
    if protocol == "rest" and inputs_key == "wrong_dtype":
        inputs = {**inputs, "user_id": inputs["user_id"] + 0.5}  # JSON has no int32: send floats
    with pytest.raises(ServingError) as error:
        client.predict(inputs, "rank")
    assert error.value.code == code, error.value.message
    good = clients[protocol].rank(**fsm.example_inputs("rank"))
    assert good["scores"].shape == (2, 6)


def test_unknown_signature_is_invalid_argument(clients):
    for client in clients.values():
        with pytest.raises(ServingError) as error:
            client.predict(fsm.example_inputs("rank"), "nope")
        assert error.value.code == grpc.StatusCode.INVALID_ARGUMENT


def test_malformed_rest_requests_then_a_good_one(server, clients, http_call):
    port = server.rest_port
    cases = [
        ("POST", "/v1/models/tscac:predict", b"{not json", 400),
        ("POST", "/v1/models/tscac:predict", {"instances": [], "inputs": {}}, 400),
        ("POST", "/v1/models/tscac:predict", {"inputs": {"user_id": [[1], [2, 3]]}}, 400),
        ("POST", "/v1/models/tscac:predict", {"instances": [{"user_id": 1}, {"x": 2}]}, 400),
        ("POST", "/v1/models/tscac:predict", {"signature_name": 3, "inputs": {}}, 400),
        ("POST", "/v1/models/tscac:predict", b"[" * 250_000, 400),  # over max_request_bytes
        ("POST", "/v1/models/tscac:classify", {"instances": [1]}, 400),
        ("GET", "/v1/models/tscac/versions/x", None, 400),
        ("GET", "/v1/models/nope", None, 404),
        ("GET", "/v1/models/tscac/versions/7/metadata", None, 404),
        ("GET", "/elsewhere", None, 404),
    ]
    for method, path, body, expected in cases:
        status, answer = http_call(port, method, path, body)
        assert (status, sorted(answer)) == (expected, ["error"]), (path, body, answer)
    assert clients["rest"].rank(**fsm.example_inputs("rank"))["scores"].shape == (2, 6)


def test_malformed_grpc_requests_then_a_good_one(server, clients):
    spec = model_pb2.ModelSpec(name="tscac", signature_name="rank")
    inputs = fsm.example_inputs("rank")
    short = predict_pb2.PredictRequest(model_spec=spec)
    for name, value in inputs.items():
        short.inputs[name].CopyFrom(tensor_codec.to_tensor_proto(value))
    short.inputs["user_id"].tensor_content = b"\x00" * 3  # bytes do not fit the shape
    assert _grpc_code(server.grpc_port, short) == grpc.StatusCode.INVALID_ARGUMENT
    huge = predict_pb2.PredictRequest(model_spec=spec)
    huge.inputs["user_id"].CopyFrom(tensor_codec.to_tensor_proto(np.zeros(300_000, np.int64)))
    assert _grpc_code(server.grpc_port, huge) == grpc.StatusCode.RESOURCE_EXHAUSTED
    no_field = get_model_metadata_pb2.GetModelMetadataRequest(model_spec=spec)
    with grpc.insecure_channel(f"127.0.0.1:{server.grpc_port}") as channel:
        with pytest.raises(grpc.RpcError) as error:
            prediction_service_pb2_grpc.PredictionServiceStub(channel).GetModelMetadata(no_field)
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT  # no metadata_field
    assert clients["grpc"].rank(**inputs)["scores"].shape == (2, 6)


class _SlowServable(Servable):
    """A Servable whose `rank` takes a while, to catch the server mid-request."""

    started = threading.Event()

    def predict(self, signature_name, inputs, limits, output_filter=()):
        if signature_name == "rank" and limits is not None:
            _SlowServable.started.set()
            time.sleep(1.0)
        return super().predict(signature_name, inputs, limits, output_filter)


@pytest.mark.parametrize("protocol", ["grpc", "rest"])
def test_stop_drains_in_flight_requests(fake_base, protocol):
    _SlowServable.started.clear()
    config = _config(fake_base[0])
    registry = ModelRegistry(config.models[0], loader=_SlowServable)
    server = ModelServer(config, [registry]).start()
    port = server.grpc_port if protocol == "grpc" else server.rest_port
    idle = TFServingClient(f"127.0.0.1:{server.rest_port}", protocol="rest")
    idle.status()  # leaves an idle keep-alive connection open: stop must not wait on it
    client = TFServingClient(f"127.0.0.1:{port}", protocol=protocol)
    client.metadata()  # cached: decoding the answer must not need the stopping server
    inputs = fsm.example_inputs("rank")
    result = {}
    worker = threading.Thread(target=lambda: result.update(client.rank(**inputs)))
    worker.start()
    assert _SlowServable.started.wait(10)
    began = time.monotonic()
    server.stop(grace=10)
    worker.join(10)
    assert result["scores"].shape == (2, 6)  # the in-flight request got its answer
    assert time.monotonic() - began < 8
    assert registry.loaded_versions() == []
    with pytest.raises(ServingError):
        TFServingClient(f"127.0.0.1:{port}", protocol=protocol, timeout=2).status()
