"""TFServingClient: one client for `tscac serve` and tensorflow_model_server, gRPC or REST.

    client = TFServingClient("127.0.0.1:8500")                     # gRPC
    client = TFServingClient("127.0.0.1:8501", protocol="rest")    # REST
    out = client.rank(user_id, history_video_ids, history_play_time_ms, candidate_video_ids)
    out["ranked_video_ids"]                                        # int64 [B, K]

Both protocols return the same {output: numpy array} with the signature's dtypes and raise
ServingError with the canonical status code (REST statuses are mapped back to codes).
Thread-safe: gRPC channels are, and REST keeps one keep-alive connection per thread.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections.abc import Mapping

import grpc
import numpy as np
from google.protobuf import json_format
from tensorflow_serving.apis import (
    get_model_metadata_pb2,
    get_model_status_pb2,
    model_pb2,
    model_service_pb2_grpc,
    predict_pb2,
    prediction_service_pb2_grpc,
)

from serving import tensor_codec
from serving.errors import HTTP_STATUS, ServingError
from serving.model_registry import VersionStatus
from serving.signature_spec import SignatureSpec

RANK = "rank"
RECOMMEND = "recommend"
RECOMMEND_EXCLUDING = "recommend_excluding"
_CODE_BY_HTTP = {}
for _code, _status in HTTP_STATUS.items():
    _CODE_BY_HTTP.setdefault(_status, _code)  # first listed wins: 400 -> INVALID_ARGUMENT


class TFServingClient:
    """A TF Serving client for one model.

    Args:
      target: "host:port" of the gRPC or REST endpoint.
      protocol: "grpc" or "rest".
      model_name: the served model.
      version: pin this version (None: the newest).
      version_label: or pin a label such as "stable".
      timeout: seconds per call.
    """

    def __init__(
        self,
        target: str,
        protocol: str = "grpc",
        model_name: str = "tscac",
        version: int | None = None,
        version_label: str | None = None,
        timeout: float = 10.0,
    ):
        if protocol not in ("grpc", "rest"):
            raise ValueError(f"protocol must be 'grpc' or 'rest', got {protocol!r}")
        if version is not None and version_label:
            raise ValueError("pin a version or a version_label, not both")
        self.target = target.removeprefix("http://")
        self.protocol = protocol
        self.model_name = model_name
        self.version = version
        self.version_label = version_label
        self.timeout = timeout
        self._local = threading.local()
        self._specs: dict[str, SignatureSpec] | None = None
        if protocol == "grpc":
            self._channel = grpc.insecure_channel(
                self.target, options=[("grpc.max_receive_message_length", -1)]
            )
            self._predict_stub = prediction_service_pb2_grpc.PredictionServiceStub(self._channel)
            self._model_stub = model_service_pb2_grpc.ModelServiceStub(self._channel)

    # --- the contract's signatures ------------------------------------------------------

    def rank(self, user_id, history_video_ids, history_play_time_ms, candidate_video_ids):
        """`rank`: scores [B, K], ranked_video_ids [B, K], preference [B, d]."""
        return self.predict(
            {
                "user_id": np.asarray(user_id, np.int64),
                "history_video_ids": np.asarray(history_video_ids, np.int64),
                "history_play_time_ms": np.asarray(history_play_time_ms, np.int64),
                "candidate_video_ids": np.asarray(candidate_video_ids, np.int64),
            },
            RANK,
        )

    def recommend(self, user_id, history_video_ids, history_play_time_ms):
        """`recommend`: video_ids [B, N], scores [B, N], preference [B, d]."""
        return self.predict(
            {
                "user_id": np.asarray(user_id, np.int64),
                "history_video_ids": np.asarray(history_video_ids, np.int64),
                "history_play_time_ms": np.asarray(history_play_time_ms, np.int64),
            },
            RECOMMEND,
        )

    def recommend_excluding(
        self, user_id, history_video_ids, history_play_time_ms, exclude_video_ids
    ):
        """`recommend_excluding`: `recommend` without exclude_video_ids [B, E] (−1 padding)."""
        return self.predict(
            {
                "user_id": np.asarray(user_id, np.int64),
                "history_video_ids": np.asarray(history_video_ids, np.int64),
                "history_play_time_ms": np.asarray(history_play_time_ms, np.int64),
                "exclude_video_ids": np.asarray(exclude_video_ids, np.int64),
            },
            RECOMMEND_EXCLUDING,
        )

    # --- generic TF Serving calls -------------------------------------------------------

    def predict(self, inputs: Mapping[str, np.ndarray], signature_name: str = "") -> dict:
        """Predict -> {output name: array}. Raises ServingError."""
        if self.protocol == "grpc":
            return self._grpc_predict(inputs, signature_name)
        body = {"inputs": {k: np.asarray(v).tolist() for k, v in inputs.items()}}
        if signature_name:
            body["signature_name"] = signature_name
        answer = self._rest("POST", f"{self._rest_path()}:predict", json.dumps(body).encode())
        outputs = answer["outputs"]
        spec = self.metadata()[signature_name or "serving_default"]
        if not isinstance(outputs, dict):
            outputs = {next(iter(spec.outputs)): outputs}
        return {k: np.asarray(v, spec.outputs[k].dtype) for k, v in outputs.items()}

    def metadata(self, refresh: bool = False) -> dict[str, SignatureSpec]:
        """{signature name: SignatureSpec} of the addressed version (cached unless refresh)."""
        if self._specs is None or refresh:
            signature_map = get_model_metadata_pb2.SignatureDefMap()
            if self.protocol == "grpc":
                request = get_model_metadata_pb2.GetModelMetadataRequest(
                    model_spec=self._model_spec(), metadata_field=["signature_def"]
                )
                response = self._grpc_call(self._predict_stub.GetModelMetadata, request)
                response.metadata["signature_def"].Unpack(signature_map)
            else:
                answer = self._rest("GET", f"{self._rest_path()}/metadata")
                json_format.ParseDict(answer["metadata"]["signature_def"], signature_map)
            self._specs = {
                k: SignatureSpec.from_proto(k, v)
                for k, v in signature_map.signature_def.items()
                if not k.startswith("__")
            }
        return self._specs

    def status(self) -> list[VersionStatus]:
        """GetModelStatus: every version's state (or the pinned one's)."""
        response = get_model_status_pb2.GetModelStatusResponse()
        if self.protocol == "grpc":
            request = get_model_status_pb2.GetModelStatusRequest(model_spec=self._model_spec())
            response = self._grpc_call(self._model_stub.GetModelStatus, request)
        else:
            json_format.ParseDict(self._rest("GET", self._rest_path()), response)
        return [
            VersionStatus(s.version, s.state, _code(s.status.error_code), s.status.error_message)
            for s in response.model_version_status
        ]

    def wait_until_available(self, timeout: float = 30.0) -> int:
        """Polls status until a version is AVAILABLE; returns the newest such version."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                available = [s.version for s in self.status() if s.state == _AVAILABLE]
                if available:
                    return max(available)
            except ServingError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"no AVAILABLE version of {self.model_name} at {self.target}")
            time.sleep(0.05)

    def close(self) -> None:
        if self.protocol == "grpc":
            self._channel.close()

    def __enter__(self) -> TFServingClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- transport ----------------------------------------------------------------------

    def _model_spec(self, signature_name: str = "") -> model_pb2.ModelSpec:
        spec = model_pb2.ModelSpec(name=self.model_name, signature_name=signature_name)
        if self.version is not None:
            spec.version.value = self.version
        elif self.version_label:
            spec.version_label = self.version_label
        return spec

    def _grpc_call(self, method, request):
        try:
            return method(request, timeout=self.timeout)
        except grpc.RpcError as e:
            raise ServingError(e.code(), e.details()) from e

    def _grpc_predict(self, inputs, signature_name):
        request = predict_pb2.PredictRequest(model_spec=self._model_spec(signature_name))
        for name, value in inputs.items():
            request.inputs[name].CopyFrom(tensor_codec.to_tensor_proto(np.asarray(value)))
        response = self._grpc_call(self._predict_stub.Predict, request)
        return {k: tensor_codec.to_ndarray(v, k) for k, v in response.outputs.items()}

    def _rest_path(self) -> str:
        path = f"/v1/models/{self.model_name}"
        if self.version is not None:
            return f"{path}/versions/{self.version}"
        if self.version_label:
            return f"{path}/labels/{self.version_label}"
        return path

    def _rest(self, method: str, path: str, body: bytes | None = None) -> dict:
        for attempt in range(2):  # once more on a keep-alive connection the server closed
            conn = getattr(self._local, "conn", None)
            if conn is None:
                conn = self._local.conn = http.client.HTTPConnection(
                    self.target, timeout=self.timeout
                )
            try:
                conn.request(method, path, body, {"Content-Type": "application/json"})
                response = conn.getresponse()
                payload = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError) as e:
                conn.close()
                self._local.conn = None
                if attempt:
                    raise ServingError(grpc.StatusCode.UNAVAILABLE, f"{self.target}: {e}") from e
            except OSError as e:  # refused, unreachable, timed out
                conn.close()
                self._local.conn = None
                raise ServingError(grpc.StatusCode.UNAVAILABLE, f"{self.target}: {e}") from e
        if response.will_close:
            conn.close()
            self._local.conn = None
        try:
            answer = json.loads(payload)
        except ValueError:
            answer = {"error": payload.decode("utf-8", "replace")}
        if response.status != 200:
            code = _CODE_BY_HTTP.get(response.status, grpc.StatusCode.UNKNOWN)
            raise ServingError(code, answer.get("error", payload.decode()))
        return answer


_AVAILABLE = get_model_status_pb2.ModelVersionStatus.AVAILABLE
_CODES = {c.value[0]: c for c in grpc.StatusCode}


def _code(number: int) -> grpc.StatusCode:
    return _CODES.get(number, grpc.StatusCode.UNKNOWN)
