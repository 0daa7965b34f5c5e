"""RestApi: TF Serving's REST API as a function of (method, path, body) -> (status, body).

Routes, as tensorflow_model_server matches them (case-insensitive):
  POST /v1/models/{name}[/versions/{v} | /labels/{label}]:predict
  GET  /v1/models/{name}[/versions/{v} | /labels/{label}]            (status)
  GET  /v1/models/{name}[/versions/{v} | /labels/{label}]/metadata
Errors are `{"error": "<message>"}` with the HTTP status of the canonical code (400 for
INVALID_ARGUMENT, 404 for NOT_FOUND, ...). Kept free of sockets so it is tested directly;
rest_service.py puts it behind an HTTP server.
"""

from __future__ import annotations

import json
import logging
import re
import urllib.parse

from serving import response_protos, rest_json
from serving.errors import ServingError, invalid_argument
from serving.model_manager import ModelManager, ModelRef

_VERSION = r"(?:(?:/versions/(\d+))|(?:/labels/([^/:]+)))?"
_PREDICT = re.compile(rf"/v1/models/([^/:]+){_VERSION}:(classify|regress|predict)", re.IGNORECASE)
_STATUS = re.compile(rf"/v1/models(?:/([^/:]+))?{_VERSION}(?:/(metadata))?", re.IGNORECASE)
JSON_CONTENT_TYPE = "application/json"
_log = logging.getLogger(__name__)


def error_body(message: str) -> bytes:
    return json.dumps({"error": message}).encode()


class RestApi:
    """Answers REST requests from a ModelManager."""

    def __init__(self, manager: ModelManager):
        self._manager = manager

    def handle(self, method: str, path: str, body: bytes) -> tuple[int, bytes]:
        """One request -> (HTTP status, JSON body)."""
        path = urllib.parse.urlsplit(path).path
        if not path.lower().startswith("/v1/"):
            return 404, error_body(f"no such path: {path} (the API lives under /v1/models)")
        try:
            return 200, self._dispatch(method, path, body)
        except ServingError as e:
            return e.http_status, error_body(e.message)
        except Exception as e:  # a bug must cost one request an answer, not the connection
            _log.exception("%s %s failed", method, path)
            return 500, error_body(f"internal error: {e!r}")

    def _dispatch(self, method: str, path: str, body: bytes) -> bytes:
        if method == "POST" and (match := _PREDICT.fullmatch(path)):
            name, version, label, verb = match.groups()
            if verb.lower() != "predict":
                raise invalid_argument(
                    f":{verb} is not served: every signature here is tensorflow/serving/predict"
                )
            return self._predict(_ref(name, version, label), body)
        if method == "GET" and (match := _STATUS.fullmatch(path)):
            name, version, label, metadata = match.groups()
            if not name:
                raise invalid_argument("Missing model name in request.")
            ref = _ref(name, version, label)
            if metadata:
                found, defs = self._manager.metadata(ref)
                response = response_protos.metadata_response(ref.name, found, defs)
                return response_protos.metadata_json(response)
            statuses = self._manager.status(ref)
            return response_protos.status_json(response_protos.status_response(statuses))
        raise invalid_argument(f"Malformed request: {method} {path}")

    def _predict(self, ref: ModelRef, body: bytes) -> bytes:
        signature_name, form, value = rest_json.parse_body(body)
        result = self._manager.predict(
            ref, signature_name, lambda spec: rest_json.decode_inputs(form, value, spec)
        )
        return rest_json.encode_outputs(form, result.outputs)


def _ref(name: str, version: str | None, label: str | None) -> ModelRef:
    return ModelRef(
        urllib.parse.unquote(name),
        int(version) if version else None,
        urllib.parse.unquote(label) if label else None,
    )
