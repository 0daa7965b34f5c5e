"""The HTTP layer: keep-alive, bodies without Content-Length, and a stop that does not
wait for idle connections."""

import http.client
import json
import socket
import threading
import time

import pytest

from serving.model_manager import ModelManager
from serving.rest_api import RestApi
from serving.rest_service import RestServer
from serving.validation import ServingLimits


@pytest.fixture
def server():
    rest = RestServer("127.0.0.1", 0, RestApi(ModelManager([], ServingLimits())), 1000).start()
    yield rest
    if not rest.stopping:
        rest.stop()


def test_keep_alive_serves_several_requests_on_one_connection(server):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    for _ in range(3):
        conn.request("GET", "/v1/models/nope")
        response = conn.getresponse()
        assert response.status == 404
        assert "Latest(nope)" in json.loads(response.read())["error"]
    assert response.getheader("Content-Type") == "application/json"
    conn.close()


def test_missing_content_length_and_oversized_bodies(server):
    raw = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    raw.sendall(b"POST /v1/models/x:predict HTTP/1.1\r\nHost: h\r\n\r\n")
    reply = raw.recv(4096).decode()
    assert reply.startswith("HTTP/1.1 400") and "Content-Length" in reply
    raw.close()
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    conn.request("POST", "/v1/models/x:predict", b"{" * 1001)
    response = conn.getresponse()
    assert response.status == 400
    assert "exceeds max_request_bytes=1000" in json.loads(response.read())["error"]


def test_stop_closes_idle_keep_alive_connections(server):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    conn.request("GET", "/v1/models/x")
    conn.getresponse().read()  # the connection now idles, its thread blocked reading
    began = time.monotonic()
    server.stop()
    assert time.monotonic() - began < 5
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", server.port), timeout=2)


class _StopsWhileAnswering(RestServer):
    """A server whose stop() begins after a response is written, before the connection
    is marked idle: the window in which stop() used to miss it and then wait for the
    connection's 120-second read timeout."""

    stopper = None
    stop_began = threading.Event()

    def set_idle(self, conn):
        if self.stopper is None:
            self.stopper = threading.Thread(target=self.stop)
            self.stopper.start()
            while not self.stopping:
                time.sleep(0.001)
            self.stop_began.set()
        return super().set_idle(conn)


def test_stop_during_a_response_does_not_wait_for_the_idle_timeout():
    rest = _StopsWhileAnswering(
        "127.0.0.1", 0, RestApi(ModelManager([], ServingLimits())), 1000
    ).start()
    conn = http.client.HTTPConnection("127.0.0.1", rest.port, timeout=10)
    conn.request("GET", "/v1/models/x")
    response = conn.getresponse()
    assert response.status == 404
    response.read()
    assert rest.stop_began.wait(timeout=30)
    rest.stopper.join(timeout=30)
    assert not rest.stopper.is_alive()  # before the fix: blocked for 120 s
