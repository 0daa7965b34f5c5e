"""The response registry: every user response TSCAC optimises or constrains.

Implements the vector reward of the CMDP in Cai et al., WWW 2023 (arXiv 2302.01680), §3:
r(s, a) = (r_1, ..., r_m) with r_1 the main response (watch time) and r_2..r_m the
auxiliary responses, each with its own discount factor γ_i (the multi-critic needs one γ
per response) and its own Lagrange multiplier λ_i for the stage-two KL constraint.

This registry is the single home of γ_i and λ_i. Everything that needs a per-response
quantity iterates over `RESPONSES` (registry order) and carries `{name: tensor}` dicts;
it stacks to `[batch, m]` only where a network or a TF-Agents reward spec needs it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Literal

Role = Literal["main", "auxiliary"]


@dataclasses.dataclass(frozen=True)
class ResponseSpec:
    """One response: how it is read from a log row and how the learner treats it.

    Attributes:
      name: short name used in every `{name: tensor}` dict, metric and report column.
      role: "main" (the objective, watch time) or "auxiliary" (a constraint).
      sign: +1 when more is better, -1 when less is better (hate). The per-step reward is
        `sign * raw` so that every response is maximised.
      discount: γ_i in (0, 1], used by this response's own critic.
      lagrange: λ_i >= 0, the stage-two KL multiplier (auxiliaries only; 0 for main).
      log_column: the KuaiRand log column the raw value comes from.
      scale: raw value multiplier (play_time_ms / 1000 gives seconds).
    """

    name: str
    role: Role
    sign: float
    discount: float
    lagrange: float
    log_column: str
    scale: float = 1.0

    def __post_init__(self) -> None:
        if self.role not in ("main", "auxiliary"):
            raise ValueError(
                f"response {self.name!r}: role must be 'main' or 'auxiliary', got {self.role!r}"
            )
        if self.sign not in (1.0, -1.0):
            raise ValueError(f"response {self.name!r}: sign must be +1 or -1, got {self.sign}")
        if not 0.0 < self.discount <= 1.0:
            raise ValueError(
                f"response {self.name!r}: discount γ must be in (0, 1], got {self.discount}"
            )
        if self.lagrange < 0.0:
            raise ValueError(f"response {self.name!r}: λ must be >= 0, got {self.lagrange}")
        if self.role == "main" and self.lagrange != 0.0:
            raise ValueError(
                f"response {self.name!r}: the main response has no λ, got {self.lagrange}"
            )

    def reward_from_raw(self, raw: float) -> float:
        """Per-step reward from the raw log value (a number, a numpy array or a tensor)."""
        return self.sign * self.scale * raw


# Defaults. γ: watch time is dense and accrues over the whole session, so it gets the
# longest horizon; interactions are sparse per-video signals whose value comes mostly from
# the next few exposures (a follow raises later affinity), so they use a shorter one. The
# paper's offline code uses 0.99 for all; a third-party note says 0.95 in production (see
# ../shared/paper.md §1). λ: one shared value, as in production (paper §4).
DEFAULT_SHARED_LAMBDA = 1.0

RESPONSES: tuple[ResponseSpec, ...] = (
    ResponseSpec("watch_time", "main", +1.0, 0.95, 0.0, "play_time_ms", scale=1e-3),
    ResponseSpec("click", "auxiliary", +1.0, 0.9, DEFAULT_SHARED_LAMBDA, "is_click"),
    ResponseSpec("like", "auxiliary", +1.0, 0.9, DEFAULT_SHARED_LAMBDA, "is_like"),
    ResponseSpec("follow", "auxiliary", +1.0, 0.9, DEFAULT_SHARED_LAMBDA, "is_follow"),
    ResponseSpec("comment", "auxiliary", +1.0, 0.9, DEFAULT_SHARED_LAMBDA, "is_comment"),
    ResponseSpec("forward", "auxiliary", +1.0, 0.9, DEFAULT_SHARED_LAMBDA, "is_forward"),
    ResponseSpec("hate", "auxiliary", -1.0, 0.9, DEFAULT_SHARED_LAMBDA, "is_hate"),
)

RESPONSE_NAMES: tuple[str, ...] = tuple(r.name for r in RESPONSES)
MAIN_RESPONSE: ResponseSpec = next(r for r in RESPONSES if r.role == "main")
AUXILIARY_RESPONSES: tuple[ResponseSpec, ...] = tuple(r for r in RESPONSES if r.role == "auxiliary")
AUXILIARY_NAMES: tuple[str, ...] = tuple(r.name for r in AUXILIARY_RESPONSES)


def get(name: str) -> ResponseSpec:
    """The registered response called `name`; a KeyError that lists the known names."""
    for spec in RESPONSES:
        if spec.name == name:
            return spec
    raise KeyError(f"unknown response {name!r}; the registry has {list(RESPONSE_NAMES)}")


def check_names(names: Sequence[str] | Mapping[str, object], what: str) -> None:
    """Raises ValueError unless `names` are exactly the registry's, in any order."""
    got = sorted(names)
    if got != sorted(RESPONSE_NAMES):
        raise ValueError(
            f"{what} has {len(got)} responses {got}, the registry has "
            f"{len(RESPONSE_NAMES)}: {list(RESPONSE_NAMES)}"
        )


def with_overrides(
    discounts: Mapping[str, float] | None = None,
    lagranges: Mapping[str, float] | None = None,
    shared_lagrange: float | None = None,
) -> tuple[ResponseSpec, ...]:
    """A copy of the registry with some γ_i / λ_i replaced (configs and ablations use this).

    Args:
      discounts: {name: γ} for the responses to change.
      lagranges: {name: λ} for the auxiliaries to change (applied after `shared_lagrange`).
      shared_lagrange: one λ for every auxiliary (the production default).

    Returns:
      A tuple of ResponseSpec in registry order, validated.

    Raises:
      KeyError: a name is not in the registry.
      ValueError: a value is out of range, or a λ is given for the main response.
    """
    discounts = dict(discounts or {})
    lagranges = dict(lagranges or {})
    for name in list(discounts) + list(lagranges):
        get(name)
    out = []
    for spec in RESPONSES:
        lam = spec.lagrange
        if shared_lagrange is not None and spec.role == "auxiliary":
            lam = shared_lagrange
        lam = lagranges.get(spec.name, lam)
        out.append(
            dataclasses.replace(
                spec, discount=discounts.get(spec.name, spec.discount), lagrange=lam
            )
        )
    return tuple(out)
