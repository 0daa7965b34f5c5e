"""ServingError: a failed request, with the TF Serving status code it answers with.

TF Serving answers every failure with a canonical gRPC status code, and its REST API maps
that code to an HTTP status (tensorflow_serving/model_servers/http_server.cc). Both
front ends of this server raise and translate the same error, so a client sees the same
code whichever protocol it speaks, and the same as from `tensorflow_model_server`.
"""

from __future__ import annotations

import grpc

# Canonical code -> HTTP status, as tensorflow_model_server's REST API maps them.
HTTP_STATUS = {
    grpc.StatusCode.OK: 200,
    grpc.StatusCode.CANCELLED: 499,
    grpc.StatusCode.UNKNOWN: 500,
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.FAILED_PRECONDITION: 400,
    grpc.StatusCode.ABORTED: 409,
    grpc.StatusCode.OUT_OF_RANGE: 400,
    grpc.StatusCode.UNIMPLEMENTED: 501,
    grpc.StatusCode.INTERNAL: 500,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DATA_LOSS: 500,
    grpc.StatusCode.UNAUTHENTICATED: 401,
}


class ServingError(Exception):
    """A request failed with a canonical status code and a message for the client.

    Attributes:
      code: the grpc.StatusCode the request fails with.
      message: what was expected and what arrived.
    """

    def __init__(self, code: grpc.StatusCode, message: str):
        super().__init__(f"{code.name}: {message}")
        self.code = code
        self.message = message

    @property
    def http_status(self) -> int:
        """The HTTP status TF Serving's REST API answers this code with."""
        return HTTP_STATUS.get(self.code, 500)


def invalid_argument(message: str) -> ServingError:
    """INVALID_ARGUMENT: a malformed request or a tensor that does not fit the signature."""
    return ServingError(grpc.StatusCode.INVALID_ARGUMENT, message)


def not_found(message: str) -> ServingError:
    """NOT_FOUND: an unknown model, or a version that is not loaded."""
    return ServingError(grpc.StatusCode.NOT_FOUND, message)
