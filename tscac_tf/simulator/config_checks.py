"""Validation and JSON decoding shared by the world's frozen config dataclasses.

Every failure is a ValueError that names the config field, what was expected and what arrived:
`WorldConfig.dynamics.satisfaction_memory must be a number in [0.0, 0.999], got 1.0`.
"""

from __future__ import annotations

import dataclasses
import math
import typing
from collections.abc import Mapping


def fail(owner: str, name: str, expected: str, value) -> typing.NoReturn:
    """Raises the ValueError naming `owner.name`, the expectation and the value."""
    raise ValueError(f"{owner}.{name} must be {expected}, got {value!r}")


def check_numbers(owner: str, obj, ranges: Mapping[str, tuple[float, float]], flags=()) -> None:
    """Finite numbers everywhere (bools only in the `flags` fields); `ranges` within [low, high]."""
    for field in dataclasses.fields(obj):
        value = getattr(obj, field.name)
        if field.name in flags:
            if not isinstance(value, bool):
                fail(owner, field.name, "a bool", value)
            continue
        if isinstance(value, bool):
            fail(owner, field.name, "a number, not a bool", value)
        if isinstance(value, float) and not math.isfinite(value):
            fail(owner, field.name, "a finite number", value)
    for name, (low, high) in ranges.items():
        value = getattr(obj, name)
        if not isinstance(value, (int, float)) or not low <= value <= high:
            fail(owner, name, f"a number in [{low}, {high}]", value)


def check_mapping(owner: str, name: str, value, keys, low=-math.inf, high=math.inf):
    """A mapping with exactly `keys`, whose numbers (or tuples of numbers) are in range."""
    if not isinstance(value, Mapping) or sorted(value) != sorted(keys):
        fail(owner, name, f"a mapping with exactly the keys {list(keys)}", value)
    for key, item in value.items():
        items = item if isinstance(item, (tuple, list)) else (item,)
        for x in items:
            if not isinstance(x, (int, float)) or not math.isfinite(x) or not low <= x <= high:
                fail(owner, f"{name}[{key!r}]", f"finite numbers in [{low}, {high}]", item)


def check_weights(owner: str, name: str, values, length: int) -> None:
    """`length` non-negative weights with a positive sum."""
    if len(values) != length or any(not v >= 0 for v in values) or sum(values) <= 0:
        fail(owner, name, f"{length} weights >= 0 with a positive sum", values)


def check_positive_int(owner: str, name: str, value, allow_none: bool = False) -> None:
    """An int > 0 (not a bool), or None where allowed."""
    if value is None and allow_none:
        return
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        fail(owner, name, "a positive int" + (" or None" if allow_none else ""), value)


def from_dict(cls, data: Mapping, where: str):
    """Builds the (nested) config dataclass `cls` from JSON data; unknown keys are errors.

    JSON lists become tuples where the field is a tuple (also inside mappings).
    """
    if not isinstance(data, Mapping):
        raise ValueError(f"{where} must be a JSON object, got {type(data).__name__}")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise ValueError(f"{where}: unknown keys {unknown}; expected some of {sorted(fields)}")
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for name, value in data.items():
        hint = hints[name]
        if dataclasses.is_dataclass(hint):
            kwargs[name] = from_dict(hint, value, f"{where}.{name}")
        elif typing.get_origin(hint) is tuple and isinstance(value, list):
            kwargs[name] = tuple(value)
        elif typing.get_origin(hint) is Mapping and isinstance(value, Mapping):
            kwargs[name] = {k: tuple(v) if isinstance(v, list) else v for k, v in value.items()}
        else:
            kwargs[name] = value
    return cls(**kwargs)
