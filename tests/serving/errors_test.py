"""Status codes map to the HTTP statuses tensorflow_model_server answers with."""

import grpc
import pytest

from serving.errors import ServingError, invalid_argument, not_found


@pytest.mark.parametrize(
    "code, http",
    [
        (grpc.StatusCode.INVALID_ARGUMENT, 400),
        (grpc.StatusCode.NOT_FOUND, 404),
        (grpc.StatusCode.FAILED_PRECONDITION, 400),
        (grpc.StatusCode.RESOURCE_EXHAUSTED, 429),
        (grpc.StatusCode.UNIMPLEMENTED, 501),
        (grpc.StatusCode.UNAVAILABLE, 503),
        (grpc.StatusCode.INTERNAL, 500),
    ],
)
def test_http_status(code, http):
    assert ServingError(code, "m").http_status == http


def test_helpers_and_message():
    error = invalid_argument("bad tensor")
    assert (error.code, error.message, str(error)) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        "bad tensor",
        "INVALID_ARGUMENT: bad tensor",
    )
    assert not_found("x").code == grpc.StatusCode.NOT_FOUND
