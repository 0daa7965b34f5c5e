"""Summary statistics for evaluation tables: mean, 95% CI, change versus a reference."""

from __future__ import annotations

import math

import numpy as np

# Two-sided 97.5% quantiles of Student's t for small samples; the normal value beyond.
_T975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262,
         10: 2.228, 15: 2.131, 20: 2.086, 30: 2.042, 60: 2.000, 120: 1.980}  # fmt: skip


def t_quantile_975(dof: int) -> float:
    """The 0.975 quantile of Student's t with `dof` degrees of freedom (table, conservative)."""
    if dof < 1:
        return math.inf
    keys = sorted(k for k in _T975 if k <= dof)
    return _T975[keys[-1]] if dof <= 120 else 1.960


def mean_ci95(values) -> tuple[float, float]:
    """(mean, half-width of the 95% confidence interval of the mean) of a sample."""
    x = np.asarray(values, np.float64)
    if x.size == 0:
        raise ValueError("cannot summarise an empty sample")
    if x.size == 1:
        return float(x[0]), math.inf
    return float(x.mean()), float(t_quantile_975(x.size - 1) * x.std(ddof=1) / math.sqrt(x.size))


def paired_difference_ci95(values, reference) -> tuple[float, float]:
    """(mean, 95% CI half-width) of values[i] − reference[i], a paired sample.

    The ground-truth rollouts play every policy on the same users, sessions and seeds
    (common random numbers), so session i of two policies is a pair; the paired interval
    is much narrower than the two policies' separate intervals.

    Raises:
      ValueError: the samples differ in length, or are empty.
    """
    x, y = np.asarray(values, np.float64), np.asarray(reference, np.float64)
    if x.shape != y.shape:
        raise ValueError(f"paired samples must have the same shape, got {x.shape} and {y.shape}")
    return mean_ci95(x - y)


def pct_change(value: float, reference: float) -> float:
    """100 · (value − reference) / |reference|; NaN when the reference is 0."""
    if reference == 0:
        return math.nan
    return 100.0 * (value - reference) / abs(reference)
