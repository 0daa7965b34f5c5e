"""ServerConfig: what `tscac serve` serves, where it listens, and its limits.

One `ModelConfig` per served model mirrors an entry of TF Serving's ModelServerConfig
(`model_config_list { config { name base_path model_version_policy version_labels } }`),
so the same models.config drives `tscac serve --model-config-file` and
`tensorflow_model_server --model_config_file`.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping

from google.protobuf import text_format
from tensorflow_serving.config import model_server_config_pb2

from serving.validation import ServingLimits

LOOPBACK = "127.0.0.1"


@dataclasses.dataclass(frozen=True)
class VersionPolicy:
    """Which versions on disk stay loaded (TF Serving's ServableVersionPolicy).

    Attributes:
      kind: "latest" (the newest `num_versions`), "specific" (`versions`) or "all".
      num_versions: for "latest".
      versions: for "specific".
    """

    kind: str = "latest"
    num_versions: int = 1
    versions: tuple[int, ...] = ()

    def __post_init__(self):
        if self.kind not in ("latest", "specific", "all"):
            raise ValueError(f"version policy must be latest, specific or all, got {self.kind!r}")
        if self.kind == "latest" and self.num_versions < 1:
            raise ValueError(f"latest policy needs num_versions >= 1, got {self.num_versions}")
        if self.kind == "specific" and not self.versions:
            raise ValueError("specific policy needs at least one version")


@dataclasses.dataclass(frozen=True)
class ModelConfig:
    """One served model.

    Attributes:
      name: the name requests address (`model_spec.name`, `/v1/models/<name>`).
      base_path: the directory holding its integer version directories (TF Serving's
        `base_path`, i.e. `<model base path>/<name>`).
      version_policy: which versions stay loaded; labelled versions always do.
      version_labels: {label: version}, e.g. {"stable": 3, "canary": 4}.
    """

    name: str
    base_path: str
    version_policy: VersionPolicy = VersionPolicy()
    version_labels: Mapping[str, int] = dataclasses.field(default_factory=dict)

    def __post_init__(self):
        if not self.name or "/" in self.name or ":" in self.name:
            raise ValueError(f"model name must be non-empty without '/' or ':', got {self.name!r}")
        for label, version in self.version_labels.items():
            if not label or label.isdigit() or int(version) < 0:
                raise ValueError(
                    f"version label {label!r}={version} must be a non-numeric name mapped to "
                    "a non-negative version"
                )


@dataclasses.dataclass(frozen=True)
class ServerConfig:
    """The server.

    Attributes:
      models: the served models (names unique).
      host: the address both front ends bind (loopback by default).
      grpc_port: gRPC port; 0 picks a free one.
      rest_port: REST port; 0 picks a free one; None turns REST off.
      poll_seconds: how often the base paths are scanned for new versions.
      num_threads: gRPC worker threads (REST serves each connection on its own thread).
      grace_seconds: how long shutdown waits for in-flight requests.
      limits: request size limits.
    """

    models: tuple[ModelConfig, ...]
    host: str = LOOPBACK
    grpc_port: int = 8500
    rest_port: int | None = 8501
    poll_seconds: float = 1.0
    num_threads: int = 16
    grace_seconds: float = 10.0
    limits: ServingLimits = ServingLimits()

    def __post_init__(self):
        names = [m.name for m in self.models]
        if not names or len(set(names)) != len(names):
            raise ValueError(f"expected one or more models with unique names, got {names}")
        for port in (self.grpc_port, self.rest_port):
            if port is not None and not 0 <= port <= 65535:
                raise ValueError(f"ports must be in [0, 65535], got {port}")
        if self.poll_seconds <= 0 or self.num_threads < 1 or self.grace_seconds < 0:
            raise ValueError(
                "poll_seconds must be > 0, num_threads >= 1 and grace_seconds >= 0, got "
                f"{self.poll_seconds}, {self.num_threads}, {self.grace_seconds}"
            )


def parse_version_labels(text: str) -> dict[str, int]:
    """'stable=3,canary=4' -> {'stable': 3, 'canary': 4}; '' -> {}.

    Raises:
      ValueError: an item is not `label=integer`.
    """
    labels = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        label, sep, version = item.partition("=")
        if not sep or not version.strip().isdigit() or not label.strip():
            raise ValueError(f"version label {item!r} must look like stable=3")
        labels[label.strip()] = int(version)
    return labels


def _policy(proto: model_server_config_pb2.ModelConfig) -> VersionPolicy:
    which = proto.model_version_policy.WhichOneof("policy_choice")
    if which == "specific":
        return VersionPolicy(
            "specific", versions=tuple(proto.model_version_policy.specific.versions)
        )
    if which == "all":
        return VersionPolicy("all")
    if which == "latest":
        return VersionPolicy("latest", proto.model_version_policy.latest.num_versions or 1)
    return VersionPolicy()


def read_model_config_file(path: str) -> tuple[ModelConfig, ...]:
    """The models of a ModelServerConfig text proto (TF Serving's --model_config_file).

    Relative base paths are taken relative to the config file's directory.

    Raises:
      ValueError: the file does not parse, is not a model_config_list, or a model is not
        the tensorflow platform.
    """
    with open(path) as f:
        try:
            proto = text_format.Parse(f.read(), model_server_config_pb2.ModelServerConfig())
        except text_format.ParseError as e:
            raise ValueError(f"{path} is not a ModelServerConfig text proto: {e}") from e
    if proto.WhichOneof("config") != "model_config_list":
        raise ValueError(f"{path} must hold a model_config_list")
    models = []
    for entry in proto.model_config_list.config:
        if entry.model_platform not in ("", "tensorflow"):
            raise ValueError(
                f"{path}: model {entry.name!r} has model_platform {entry.model_platform!r}, "
                "expected 'tensorflow'"
            )
        base = os.path.join(os.path.dirname(os.path.abspath(path)), entry.base_path)
        models.append(ModelConfig(entry.name, base, _policy(entry), dict(entry.version_labels)))
    return tuple(models)
