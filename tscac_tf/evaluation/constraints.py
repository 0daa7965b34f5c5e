"""The constraint check and the blessing (ARCHITECTURE §3.3).

An auxiliary response is satisfied when the policy's value is at least the reference
(behaviour cloning) value; for a negative response (hate) when it is at most. A policy is
blessed when every auxiliary constraint holds and its main response (watch time) beats
the reference. Values are raw per-session means (hate as a count, not −hate).
"""

from __future__ import annotations

from collections.abc import Mapping

from tscac_tf.specs import responses


def constraint_status(
    values: Mapping[str, float], reference: Mapping[str, float]
) -> dict[str, bool]:
    """{auxiliary name: holds} for every auxiliary response in the registry.

    Args:
      values: the policy's {response name: mean raw value}.
      reference: the reference policy's values, same keys.

    Raises:
      KeyError: a registry auxiliary is missing from either mapping (the message names it).
    """
    status = {}
    for spec in responses.AUXILIARY_RESPONSES:
        for what, mapping in (("policy", values), ("reference", reference)):
            if spec.name not in mapping:
                raise KeyError(f"{what} values have no {spec.name!r}; got {sorted(mapping)}")
        if spec.sign > 0:
            status[spec.name] = values[spec.name] >= reference[spec.name]
        else:
            status[spec.name] = values[spec.name] <= reference[spec.name]
    return status


def blessing(values: Mapping[str, float], reference: Mapping[str, float]) -> tuple[bool, list[str]]:
    """(blessed, reasons it is not): all constraints hold and the main response beats BC."""
    main = responses.MAIN_RESPONSE.name
    reasons = [
        f"{name} {values[name]:.6g} {'<' if responses.get(name).sign > 0 else '>'} BC {reference[name]:.6g}"
        for name, ok in constraint_status(values, reference).items()
        if not ok
    ]
    if not values[main] > reference[main]:
        reasons.append(f"{main} {values[main]:.6g} does not beat BC {reference[main]:.6g}")
    return not reasons, reasons
