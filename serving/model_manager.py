"""ModelManager: every served model, and the three operations both front ends expose.

The counterpart of TF Serving's ServerCore: gRPC (grpc_service.py) and REST
(rest_api.py) decode their requests into the calls below and encode what comes back, so
both protocols resolve models, versions, labels and signatures, validate inputs and fail
with status codes in exactly one place.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable, Collection, Mapping

import numpy as np
from tensorflow.core.protobuf import meta_graph_pb2

from serving.errors import not_found
from serving.model_registry import ModelRegistry, VersionStatus
from serving.signature_spec import SignatureSpec
from serving.validation import ServingLimits

_log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class ModelRef:
    """What a request addresses: a model, and optionally a version or a label."""

    name: str
    version: int | None = None
    label: str | None = None


@dataclasses.dataclass(frozen=True)
class PredictResult:
    """The answer to a predict call: who answered, and the {output: array} map."""

    version: int
    signature_name: str
    outputs: dict[str, np.ndarray]


class ModelManager:
    """The registries of all served models.

    Args:
      registries: one ModelRegistry per model.
      limits: request size limits.
    """

    def __init__(self, registries: Collection[ModelRegistry], limits: ServingLimits):
        self._registries = {r.name: r for r in registries}
        self.limits = limits
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def registry(self, name: str) -> ModelRegistry:
        if name not in self._registries:
            raise not_found(f"Servable not found for request: Latest({name})")
        return self._registries[name]

    def predict(
        self,
        ref: ModelRef,
        signature_name: str,
        inputs: Mapping[str, np.ndarray] | Callable[[SignatureSpec], Mapping[str, np.ndarray]],
        output_filter: Collection[str] = (),
    ) -> PredictResult:
        """Runs one signature of the addressed version.

        Args:
          ref: the model / version / label.
          signature_name: '' means serving_default.
          inputs: {name: array}, or a function that decodes them given the signature (REST
            needs the signature's dtypes to decode JSON).
          output_filter: outputs to return; empty returns all.

        Raises:
          ServingError: NOT_FOUND / INVALID_ARGUMENT as TF Serving answers them.
        """
        with self.registry(ref.name).acquire(ref.version, ref.label) as servable:
            name = servable.signature(signature_name)
            arrays = inputs(servable.specs[name]) if callable(inputs) else inputs
            outputs = servable.predict(name, arrays, self.limits, output_filter)
            return PredictResult(servable.version, name, outputs)

    def signature_spec(self, ref: ModelRef, signature_name: str) -> SignatureSpec:
        with self.registry(ref.name).acquire(ref.version, ref.label) as servable:
            return servable.specs[servable.signature(signature_name)]

    def metadata(self, ref: ModelRef) -> tuple[int, dict[str, meta_graph_pb2.SignatureDef]]:
        """(version, {name: SignatureDef}) of the addressed version, init op included."""
        with self.registry(ref.name).acquire(ref.version, ref.label) as servable:
            return servable.version, servable.signature_defs

    def status(self, ref: ModelRef) -> list[VersionStatus]:
        return self.registry(ref.name).statuses(ref.version, ref.label)

    # --- polling ----------------------------------------------------------------------

    def poll_once(self) -> None:
        for registry in self._registries.values():
            try:
                registry.poll()
            except Exception:  # an unreadable base path must not stop the poller
                _log.exception("polling %s failed", registry.config.base_path)

    def start_polling(self, seconds: float) -> None:
        """Polls every `seconds` in a background thread until stop_polling."""

        def loop():
            while not self._stop.wait(seconds):
                self.poll_once()

        self._thread = threading.Thread(target=loop, name="version-poller", daemon=True)
        self._thread.start()

    def stop_polling(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def unload_all(self, timeout: float | None = None) -> None:
        for registry in self._registries.values():
            registry.unload_all(timeout)
