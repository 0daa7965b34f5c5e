"""Request validation: a request's tensors against a signature and the server's size limits.

Every check runs before the model is called, so a malformed or oversized request costs
the server nothing and never reaches TensorFlow; each failure is INVALID_ARGUMENT with a
message naming the input, what the signature expects and what arrived. Beyond the
signature (names, dtypes, ranks, fixed dimensions) the serving contract (ARCHITECTURE §4)
adds: all inputs share the batch size B, the two history inputs share [B, H], and B, K and
H are bounded so that one request cannot take the server's memory.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Mapping

import numpy as np

from serving.errors import invalid_argument
from serving.signature_spec import SignatureSpec, TensorSpec

# Inputs that must have equal shapes (ARCHITECTURE §4: [B, H] each).
SAME_SHAPE_INPUTS = (("history_video_ids", "history_play_time_ms"),)


@dataclasses.dataclass(frozen=True)
class ServingLimits:
    """Size limits of one request.

    Attributes:
      max_batch_size: largest B (dimension 0 of every input).
      max_candidates: largest K (dimension 1 of `candidate_video_ids`).
      max_history: largest H (dimension 1 of the history inputs).
      max_excluded: largest E (dimension 1 of `exclude_video_ids`).
      max_request_bytes: largest request body / gRPC message, in bytes.
    """

    max_batch_size: int = 1024
    max_candidates: int = 10_000
    max_history: int = 1_000
    max_request_bytes: int = 64 * 1024 * 1024
    max_excluded: int = 10_000

    def __post_init__(self):
        for field in dataclasses.fields(self):
            if getattr(self, field.name) < 1:
                raise ValueError(f"{field.name} must be >= 1, got {getattr(self, field.name)}")

    def axis_limits(self) -> dict[str, tuple[int, str]]:
        """{input: (limit on dimension 1, limit name)} for the contract's [B, *] inputs."""
        return {
            "candidate_video_ids": (self.max_candidates, "max_candidates"),
            "history_video_ids": (self.max_history, "max_history"),
            "history_play_time_ms": (self.max_history, "max_history"),
            "exclude_video_ids": (self.max_excluded, "max_excluded"),
        }


def check_names(
    spec: SignatureSpec, names: Collection[str], output_filter: Collection[str] = ()
) -> None:
    """Every signature input present, no other; every filtered output known."""
    missing = sorted(set(spec.inputs) - set(names))
    extra = sorted(set(names) - set(spec.inputs))
    if missing or extra:
        raise invalid_argument(
            f"signature '{spec.name}' takes inputs {sorted(spec.inputs)}; the request is "
            f"missing {missing} and has unexpected {extra}"
        )
    unknown = sorted(set(output_filter) - set(spec.outputs))
    if unknown:
        raise invalid_argument(
            f"output_filter names {unknown}, signature '{spec.name}' outputs {sorted(spec.outputs)}"
        )


def _describe(array: np.ndarray) -> str:
    return f"{array.dtype} {list(array.shape)}"


def check_tensor(spec: TensorSpec, array: np.ndarray, signature: str) -> None:
    """dtype, rank and every fixed dimension of one input."""
    expected = f"input '{spec.name}' of signature '{signature}' expects {spec.describe()}"
    if array.dtype != spec.dtype and not (spec.dtype == object and array.dtype.kind in "SUO"):
        raise invalid_argument(f"{expected}, got {_describe(array)}")
    if spec.shape is None:
        return
    if array.ndim != len(spec.shape) or any(
        want is not None and want != got for want, got in zip(spec.shape, array.shape, strict=True)
    ):
        raise invalid_argument(f"{expected}, got {_describe(array)}")


def batch_size(inputs: Mapping[str, np.ndarray]) -> int:
    """The common dimension 0 of the inputs; INVALID_ARGUMENT when they differ."""
    batch = {name: a.shape[0] for name, a in inputs.items() if a.ndim >= 1}
    if len(set(batch.values())) > 1:
        raise invalid_argument(
            f"all inputs must have the same batch size (dimension 0), got {batch}"
        )
    return next(iter(batch.values()), 1)


def check_shapes(inputs: Mapping[str, np.ndarray]) -> None:
    """Equal batch sizes, and equal shapes within each SAME_SHAPE_INPUTS group."""
    batch_size(inputs)
    for group in SAME_SHAPE_INPUTS:
        shapes = {name: list(inputs[name].shape) for name in group if name in inputs}
        if len({tuple(s) for s in shapes.values()}) > 1:
            raise invalid_argument(f"inputs {list(group)} must have the same shape, got {shapes}")


def check_limits(inputs: Mapping[str, np.ndarray], limits: ServingLimits) -> None:
    """B in [1, max_batch_size], K <= max_candidates, H <= max_history, E <= max_excluded."""
    size = batch_size(inputs)
    if size < 1 or size > limits.max_batch_size:
        raise invalid_argument(
            f"batch size {size} is outside [1, max_batch_size={limits.max_batch_size}]"
        )
    for name, (limit, limit_name) in limits.axis_limits().items():
        if name in inputs and inputs[name].ndim >= 2 and inputs[name].shape[1] > limit:
            raise invalid_argument(
                f"input '{name}' has {inputs[name].shape[1]} entries per row, more than "
                f"{limit_name}={limit}"
            )


def validate_inputs(
    spec: SignatureSpec,
    inputs: Mapping[str, np.ndarray],
    limits: ServingLimits | None,
    output_filter: Collection[str] = (),
) -> None:
    """All checks of this module, in order; limits=None skips the size checks.

    Raises:
      ServingError(INVALID_ARGUMENT): the first check that fails, with what was expected.
    """
    check_names(spec, inputs.keys(), output_filter)
    for name, array in inputs.items():
        check_tensor(spec.inputs[name], array, spec.name)
    check_shapes(inputs)
    if limits is not None:
        check_limits(inputs, limits)
