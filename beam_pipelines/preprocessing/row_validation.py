"""Row validation against the KuaiRand schema, one vectorised pass per column.

Each column of `kuairand_schema` (kind, required, range, missing codes) is checked on a
whole block of rows at once; a row's reason is its first failing check (columns in schema
order). Clean columns that pandas already parsed as numbers skip the slow text path.

Real-table quirks handled here: missing codes (`-124`) are valid and skip the range check;
`UNKNOWN` is an ordinary category; optional fields (tag, video_duration, music_type,
onehot_feat*) may be empty; range strings such as "[100,1k)" are plain text categories.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Collection, Mapping, Sequence

import numpy as np
import pandas as pd

from beam_pipelines.preprocessing import dead_letters as dl
from tscac_tf.specs import kuairand_schema as ks


@dataclasses.dataclass
class ValidatedRows:
    """Parsed columns and the verdict of every row.

    Attributes:
      values: {column: [n] array}: int64 for integer columns pandas parsed cleanly, else
        float64 with NaN where empty; text columns as object arrays (None where empty).
      ok: bool [n], the row passed every check.
      failures: (row index, reason, detail) for each row that did not.
    """

    values: dict[str, np.ndarray]
    ok: np.ndarray
    failures: list[tuple[int, str, str]]


def _as_numbers(series: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(values, empty, not_a_number) of one column; numbers pass through untouched."""
    n = len(series)
    if pd.api.types.is_integer_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype):
        return series.to_numpy(np.int64), np.zeros(n, bool), np.zeros(n, bool)
    if pd.api.types.is_float_dtype(series.dtype):
        values = series.to_numpy(np.float64, na_value=np.nan)
        return values, np.isnan(values), ~np.isnan(values) & ~np.isfinite(values)
    text = series.astype(object)
    empty = text.isna().to_numpy() | (text.astype(str).str.strip() == "").to_numpy()
    values = pd.to_numeric(text.astype(str).where(~empty, ""), errors="coerce").to_numpy(
        np.float64, na_value=np.nan
    )
    return values, empty, ~empty & ~np.isfinite(values)


def _valid_dates(values: np.ndarray) -> np.ndarray:
    """True where a yyyymmdd number is a calendar date (checked once per distinct value)."""
    unique, inverse = np.unique(values, return_inverse=True)

    def is_date(v) -> bool:
        text = str(int(v))
        if len(text) != 8:  # strptime alone accepts "2022048" as 2022-04-08
            return False
        try:
            datetime.datetime.strptime(text, "%Y%m%d")
            return True
        except ValueError:
            return False

    return np.array([is_date(v) for v in unique], bool)[inverse].reshape(values.shape)


def _numeric_checks(column: ks.Column, values: np.ndarray) -> list[tuple[str, np.ndarray, str]]:
    """(reason, failing mask, what was expected) for the value checks of a numeric column."""
    with np.errstate(invalid="ignore"):
        checks = []
        finite = np.isfinite(values)
        if column.kind in ("int", "date", "hourmin"):
            checks.append((dl.NOT_AN_INTEGER, finite & (values % 1 != 0), "an integer"))
        coded = np.isin(values, column.missing_codes)
        measured = finite & ~coded
        if column.low is not None:
            checks.append((dl.OUT_OF_RANGE, measured & (values < column.low), f">= {column.low}"))
        if column.high is not None:
            checks.append((dl.OUT_OF_RANGE, measured & (values > column.high), f"<= {column.high}"))
        if column.kind == "date":
            bad = measured.copy()
            bad[measured] = ~_valid_dates(values[measured])
            checks.append((dl.BAD_DATE, bad, "a calendar date yyyymmdd"))
        if column.kind == "hourmin":
            hour, minute = values // 100, values % 100
            bad = measured & ((values < 0) | (hour > 23) | (minute > 59))
            checks.append((dl.BAD_HOURMIN, bad, "hhmm with hh <= 23 and mm <= 59"))
    return checks


def validate(
    frame: pd.DataFrame,
    columns: Sequence[ks.Column],
    allowed: Mapping[str, Collection[str]] | None = None,
) -> ValidatedRows:
    """Parses and checks every schema column of a block of rows.

    Args:
      frame: the rows, one column per schema column (as csv_blocks parses them).
      columns: the schema columns to check, in order (kuairand_schema.LOG_COLUMNS, ...).
      allowed: {text column: the only values it may hold} (e.g. user_active_degree).

    Returns:
      ValidatedRows; a failure detail reads "play_time_ms=-5: expected >= 0".
    """
    n = len(frame)
    allowed = allowed or {}
    code = np.zeros(n, np.int32)  # 0 = ok, k = failed check k - 1 below
    found: list[tuple[str, str, str]] = []  # (reason, column, expected)
    values: dict[str, np.ndarray] = {}

    def mark(mask, reason, column, expected):
        mask = np.asarray(mask, bool) & (code == 0)
        if mask.any():
            found.append((reason, column, expected))
            code[mask] = len(found)

    for column in columns:
        series = frame[column.name]
        if column.kind == "str":
            text = series.astype(object).where(series.notna(), None).to_numpy(object, copy=True)
            empty = np.array([v is None or str(v).strip() == "" for v in text], bool)
            text[empty] = None
            values[column.name] = text
            if column.required:
                mark(empty, dl.MISSING_VALUE, column.name, "a value")
            if column.name in allowed:
                ok_values = set(allowed[column.name])
                bad = np.array([v is not None and v not in ok_values for v in text], bool)
                mark(bad, dl.BAD_CATEGORY, column.name, f"one of {sorted(ok_values)}")
            continue
        number, empty, not_number = _as_numbers(series)
        values[column.name] = number
        if column.required:
            mark(empty, dl.MISSING_VALUE, column.name, "a value")
        mark(not_number, dl.NOT_A_NUMBER, column.name, f"a number ({column.kind})")
        for reason, mask, expected in _numeric_checks(column, number.astype(np.float64)):
            mark(mask, reason, column.name, expected)

    failures = []
    for row in np.flatnonzero(code):
        reason, name, expected = found[code[row] - 1]
        raw = frame[name].iloc[row]
        failures.append((int(row), reason, f"{name}={_show(raw)}: expected {expected}"))
    return ValidatedRows(values, code == 0, failures)


def _show(raw) -> str:
    if raw is None or (isinstance(raw, float) and np.isnan(raw)):
        return "''"
    if isinstance(raw, (float, np.floating)) and float(raw).is_integer():
        return str(int(raw))
    return repr(raw) if isinstance(raw, str) else str(raw)
