"""RestServer: the REST API over HTTP/1.1 (keep-alive), one thread per connection.

Graceful stop: the accept loop ends first, connections waiting idle for their next request
are closed, requests being served finish and get their answer (with `Connection: close`),
and only then does `stop` return.
"""

from __future__ import annotations

import logging
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from serving.rest_api import JSON_CONTENT_TYPE, RestApi, error_body

_log = logging.getLogger(__name__)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: clients reuse one connection
    disable_nagle_algorithm = True  # small answers must not wait for a delayed ACK
    timeout = 120  # seconds a connection may sit idle or stall mid-request
    server: RestServer

    def setup(self):
        super().setup()
        self.server.track(self.connection)

    def finish(self):
        try:
            super().finish()
        finally:
            self.server.untrack(self.connection)

    def parse_request(self) -> bool:
        # Called as soon as the request line is read: from here on the connection is busy.
        self.server.set_busy(self.connection)
        return super().parse_request()

    def do_GET(self):
        self._serve(b"")

    def do_POST(self):
        length = self.headers.get("Content-Length")
        if self.headers.get("Transfer-Encoding") or length is None or not length.isdigit():
            self.close_connection = True
            self._reply(400, error_body("send the request body with a Content-Length header"))
        elif int(length) > self.server.max_body_bytes:
            self.close_connection = True  # the unread body makes the connection unusable
            self._reply(
                400,
                error_body(
                    f"request body of {length} bytes exceeds max_request_bytes="
                    f"{self.server.max_body_bytes}"
                ),
            )
        else:
            self._serve(self.rfile.read(int(length)))

    def _serve(self, body: bytes):
        status, payload = self.server.api.handle(self.command, self.path, body)
        self._reply(status, payload)

    def _reply(self, status: int, payload: bytes):
        if self.server.stopping:
            self.close_connection = True
        self.send_response(status)
        self.send_header("Content-Type", JSON_CONTENT_TYPE)
        self.send_header("Content-Length", str(len(payload)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(payload)
        if not self.server.set_idle(self.connection):
            # stop() ran while this request was answered, so it did not close this
            # connection: leave now rather than wait `timeout` for a request.
            self.close_connection = True

    def log_message(self, format, *args):  # noqa: A002 - BaseHTTPRequestHandler's signature
        _log.debug("%s %s", self.address_string(), format % args)


class RestServer(ThreadingHTTPServer):
    """An HTTP server for a RestApi.

    Args:
      host, port: where to listen; port 0 picks a free port (see `.port`).
      api: answers the requests.
      max_body_bytes: larger bodies are refused with 400 before they are read.
    """

    daemon_threads = False
    block_on_close = True  # server_close joins the connection threads: the drain

    def __init__(self, host: str, port: int, api: RestApi, max_body_bytes: int):
        super().__init__((host, port), _Handler)
        self.api = api
        self.max_body_bytes = max_body_bytes
        self.stopping = False
        self._busy: dict[socket.socket, bool] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self.server_address[1]

    def track(self, conn: socket.socket) -> None:
        with self._lock:
            self._busy[conn] = False

    def untrack(self, conn: socket.socket) -> None:
        with self._lock:
            self._busy.pop(conn, None)

    def set_busy(self, conn: socket.socket) -> None:
        with self._lock:
            if conn in self._busy:
                self._busy[conn] = True

    def set_idle(self, conn: socket.socket) -> bool:
        """Marks conn idle; False when the server is stopping (the connection must close)."""
        with self._lock:
            if conn in self._busy:
                self._busy[conn] = False
            return not self.stopping

    def start(self) -> RestServer:
        self._thread = threading.Thread(target=self.serve_forever, name="rest-accept", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stops accepting, closes idle connections, waits for running requests."""
        self.shutdown()  # ends serve_forever: no new connections
        with self._lock:
            self.stopping = True
            idle = [conn for conn, busy in self._busy.items() if not busy]
        for conn in idle:
            try:
                conn.shutdown(socket.SHUT_RD)  # wakes the thread blocked reading a request
            except OSError:
                pass  # already closed by the client
        self.server_close()  # joins every connection thread
