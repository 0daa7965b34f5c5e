"""ModelRegistry: the loaded versions of one model, kept in step with its base path.

TF Serving's version lifecycle for one model (START -> LOADING -> AVAILABLE -> UNLOADING ->
END). Each `poll` lists the versions on disk, decides which should be loaded (the version
policy, plus every labelled version), loads and warms the missing ones *before* anything
is unloaded, swaps them in under a lock, then retires the versions no longer wanted: a
retired version refuses new requests and is dropped once its in-flight requests finish.
A request without a version always gets the newest loaded one, so a new version takes
traffic the moment it is warm and no request fails during the swap.

Differences from tensorflow_model_server, on purpose: a label may name any version on
disk and that version is then kept loaded (TF Serving refuses labels of versions its
policy does not load); a version that fails to load is not retried (versions are
immutable; publish a new one).
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import threading
from collections.abc import Callable, Iterator

import grpc
from tensorflow_serving.apis import get_model_status_pb2

from serving.errors import ServingError, invalid_argument, not_found
from serving.servable import Servable
from serving.server_config import ModelConfig
from tscac_tf.export import serving_layout

State = get_model_status_pb2.ModelVersionStatus.State
_log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class VersionStatus:
    """One version's place in the lifecycle, as GetModelStatus reports it."""

    version: int
    state: int  # a ModelVersionStatus.State value
    error_code: grpc.StatusCode = grpc.StatusCode.OK
    error_message: str = ""


class ModelRegistry:
    """The servables of one model.

    Args:
      config: the model's name, base path, version policy and labels.
      loader: builds a Servable from (name, version, path); injectable for tests.
    """

    def __init__(
        self,
        config: ModelConfig,
        loader: Callable[[str, int, str], Servable] = Servable,
    ):
        self.config = config
        self._loader = loader
        self._lock = threading.Lock()
        self._servables: dict[int, Servable] = {}
        self._status: dict[int, VersionStatus] = {}
        self._failed: set[int] = set()

    @property
    def name(self) -> str:
        return self.config.name

    # --- serving ----------------------------------------------------------------------

    def _resolve(self, version: int | None, label: str | None) -> Servable:
        if version is not None and label:
            raise invalid_argument(f"give a version ({version}) or a label ({label!r}), not both")
        if label:
            if label not in self.config.version_labels:
                raise invalid_argument(f"Unrecognized servable version label: {label}")
            version = self.config.version_labels[label]
        if version is None:
            if not self._servables:
                raise not_found(f"Servable not found for request: Latest({self.name})")
            return self._servables[max(self._servables)]
        if version not in self._servables:
            raise not_found(f"Servable not found for request: Specific({self.name}, {version})")
        return self._servables[version]

    @contextlib.contextmanager
    def acquire(self, version: int | None = None, label: str | None = None) -> Iterator[Servable]:
        """Holds the servable a request addresses for the duration of the request.

        Raises:
          ServingError: NOT_FOUND for a version that is not loaded; INVALID_ARGUMENT for an
            unknown label or both a version and a label.
        """
        with self._lock:
            servable = self._resolve(version, label)
            # Under the lock: a servable in the map has not been retired yet.
            if not servable.acquire():
                raise ServingError(grpc.StatusCode.UNAVAILABLE, "version is unloading; retry")
        try:
            yield servable
        finally:
            servable.release()

    def statuses(self, version: int | None = None, label: str | None = None) -> list[VersionStatus]:
        """The status of every version seen, or of the one requested (NOT_FOUND if unseen)."""
        with self._lock:
            if label:
                if label not in self.config.version_labels:
                    raise invalid_argument(f"Unrecognized servable version label: {label}")
                version = self.config.version_labels[label]
            if version is None:
                if not self._status:
                    raise not_found(f"Could not find any versions of model {self.name}")
                return [self._status[v] for v in sorted(self._status)]
            if version not in self._status:
                raise not_found(f"Could not find version {version} of model {self.name}")
            return [self._status[version]]

    def loaded_versions(self) -> list[int]:
        with self._lock:
            return sorted(self._servables)

    # --- lifecycle --------------------------------------------------------------------

    def _wanted(self, on_disk: list[int]) -> set[int]:
        policy = self.config.version_policy
        loadable = [v for v in on_disk if v not in self._failed]
        if policy.kind == "all":
            wanted = set(loadable)
        elif policy.kind == "specific":
            wanted = set(policy.versions) & set(loadable)
        else:
            wanted = set(loadable[-policy.num_versions :])
        return wanted | (set(self.config.version_labels.values()) & set(loadable))

    def _load(self, version: int) -> bool:
        self._set_status(version, State.LOADING)
        path = serving_layout.version_dir(self.config.base_path, version)
        try:
            servable = self._loader(self.name, version, path)
            warmed = servable.warmup()
        except Exception as e:  # noqa: BLE001 - any load failure must leave serving intact
            _log.error("loading %s version %d from %s failed: %s", self.name, version, path, e)
            self._failed.add(version)
            self._set_status(version, State.END, grpc.StatusCode.UNKNOWN, f"load failed: {e}")
            return False
        with self._lock:
            self._servables[version] = servable
            self._status[version] = VersionStatus(version, State.AVAILABLE)
        _log.info("%s version %d available (%d warmup requests)", self.name, version, warmed)
        return True

    def _set_status(self, version: int, state: int, code=grpc.StatusCode.OK, message="") -> None:
        with self._lock:
            self._status[version] = VersionStatus(version, state, code, message)

    def poll(self) -> list[int]:
        """One reconciliation with the base path; returns the loaded versions after it."""
        on_disk = serving_layout.list_versions(self.config.base_path)
        while True:  # a failed load can change what is wanted (fall back to an older one)
            missing = sorted(self._wanted(on_disk) - set(self._servables), reverse=True)
            if not missing or all(self._load(v) for v in missing):
                break
        for version in sorted(set(self._servables) - self._wanted(on_disk)):
            self.unload(version)
        return self.loaded_versions()

    def unload(self, version: int, timeout: float | None = None) -> bool:
        """Takes a version out of service and drops it once its requests finish."""
        with self._lock:
            servable = self._servables.pop(version, None)
            if servable is None:
                return True
            self._status[version] = VersionStatus(version, State.UNLOADING)
        drained = servable.retire(timeout)
        self._set_status(version, State.END)
        _log.info("%s version %d unloaded", self.name, version)
        return drained

    def unload_all(self, timeout: float | None = None) -> bool:
        return all([self.unload(v, timeout) for v in self.loaded_versions()])
