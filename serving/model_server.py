"""ModelServer: the TF-Serving-compatible server behind `tscac serve`.

Wires the pieces together: one ModelRegistry per model (version polling, warmup, atomic
swaps), a ModelManager over them, the gRPC services and the REST API on top, all bound to
loopback unless told otherwise.

    with ModelServer(config).start() as server:
        print(server.grpc_port, server.rest_port)
        server.wait()          # until stop() (e.g. from a SIGTERM handler)

`stop` is graceful: both front ends stop accepting, in-flight requests finish (up to
`grace_seconds`), then the poller stops and every version is unloaded.
"""

from __future__ import annotations

import logging
import threading
from concurrent import futures

import grpc

from serving import grpc_service
from serving.model_manager import ModelManager
from serving.model_registry import ModelRegistry
from serving.rest_api import RestApi
from serving.rest_service import RestServer
from serving.server_config import ServerConfig

_log = logging.getLogger(__name__)


class ModelServer:
    """gRPC + REST server over the models of a ServerConfig.

    Args:
      config: models, addresses, polling, threads, limits.
      registries: prebuilt registries (tests inject loaders); default one per model.
    """

    def __init__(self, config: ServerConfig, registries: list[ModelRegistry] | None = None):
        self.config = config
        registries = registries or [ModelRegistry(m) for m in config.models]
        self.manager = ModelManager(registries, config.limits)
        self._grpc: grpc.Server | None = None
        self._rest: RestServer | None = None
        self.grpc_port: int | None = None
        self.rest_port: int | None = None
        self._stopped = threading.Event()
        self._stop_lock = threading.Lock()

    def start(self) -> ModelServer:
        """Loads the current versions, then starts both front ends and the poller."""
        self.manager.poll_once()  # serve what is on disk before taking traffic
        limits = self.config.limits
        self._grpc = grpc.server(
            futures.ThreadPoolExecutor(self.config.num_threads, thread_name_prefix="grpc"),
            options=[
                ("grpc.max_receive_message_length", limits.max_request_bytes),
                ("grpc.max_send_message_length", -1),
                ("grpc.so_reuseport", 0),  # a second server must not share the port silently
            ],
        )
        grpc_service.add_services(self._grpc, self.manager)
        self.grpc_port = self._grpc.add_insecure_port(f"{self.config.host}:{self.config.grpc_port}")
        if self.grpc_port == 0:
            raise OSError(f"could not bind gRPC to {self.config.host}:{self.config.grpc_port}")
        self._grpc.start()
        if self.config.rest_port is not None:
            self._rest = RestServer(
                self.config.host,
                self.config.rest_port,
                RestApi(self.manager),
                limits.max_request_bytes,
            ).start()
            self.rest_port = self._rest.port
        self.manager.start_polling(self.config.poll_seconds)
        _log.info(
            "serving gRPC on %s:%s, REST on %s", self.config.host, self.grpc_port, self.rest_port
        )
        return self

    def stop(self, grace: float | None = None) -> None:
        """Stops accepting, drains in-flight requests, unloads everything. Idempotent."""
        with self._stop_lock:
            if self._stopped.is_set():
                return
            grace = self.config.grace_seconds if grace is None else grace
            done = self._grpc.stop(grace) if self._grpc else None
            if self._rest:
                self._rest.stop()
            if done is not None:
                done.wait()
            self.manager.stop_polling()
            self.manager.unload_all(timeout=grace)
            self._stopped.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Blocks until stop() has finished; True when it has."""
        return self._stopped.wait(timeout)

    def __enter__(self) -> ModelServer:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
