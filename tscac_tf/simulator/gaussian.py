"""The standard normal distribution in numpy: CDF, quantile and lognormal moments.

The response model needs Φ, Φ⁻¹ and E[min(X, c)] of a lognormal X on whole arrays; scipy is
not part of the stack, so these are the classic approximations, accurate far beyond what a
simulated probability needs (tests compare them with Python's statistics.NormalDist).
"""

from __future__ import annotations

import numpy as np

# Abramowitz & Stegun 7.1.26: erf(x) = 1 - (a1 t + ... + a5 t^5) exp(-x^2), t = 1/(1 + p x),
# x >= 0, absolute error <= 1.5e-7.
_P = 0.3275911
_A = (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429)

# Acklam's rational approximation of Φ⁻¹ (relative error < 1.2e-9), central and tail parts.
_ACK_A = (-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.3577518672690)
_ACK_A += (-30.66479806614716, 2.506628277459239)
_ACK_B = (-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972)
_ACK_B += (-13.28068155288572,)
_ACK_C = (-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734)
_ACK_C += (4.374664141464968, 2.938163982698783)
_ACK_D = (0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416)
_P_LOW = 0.02425


def _polyval(coefficients, x):
    out = np.zeros_like(x)
    for c in coefficients:
        out = out * x + c
    return out


def normal_cdf(x: np.ndarray) -> np.ndarray:
    """Φ(x) = (1 + erf(x / √2)) / 2, elementwise."""
    x = np.asarray(x, np.float64)
    z = np.abs(x) / np.sqrt(2.0)
    t = 1.0 / (1.0 + _P * z)
    erf = 1.0 - t * _polyval(_A[::-1], t) * np.exp(-z * z)
    return 0.5 * (1.0 + np.sign(x) * erf)


def normal_ppf(p: np.ndarray) -> np.ndarray:
    """Φ⁻¹(p) for p in (0, 1), elementwise."""
    p = np.asarray(p, np.float64)
    out = np.empty_like(p)
    low, high = p < _P_LOW, p > 1.0 - _P_LOW
    mid = ~(low | high)
    q = p[mid] - 0.5
    r = q * q
    out[mid] = q * _polyval(_ACK_A, r) / (_polyval(_ACK_B + (1.0,), r))
    for mask, sign, tail in ((low, 1.0, p[low]), (high, -1.0, 1.0 - p[high])):
        q = np.sqrt(-2.0 * np.log(tail))
        out[mask] = sign * _polyval(_ACK_C, q) / _polyval(_ACK_D + (1.0,), q)
    return out


def lognormal_survival(mu: np.ndarray, sigma: float, log_c: np.ndarray) -> np.ndarray:
    """P(X >= c) for log X ~ N(mu, sigma²), given ln c: Φ((mu − ln c) / sigma)."""
    return normal_cdf((mu - log_c) / sigma)


def lognormal_capped_mean(mu: np.ndarray, sigma: float, c: np.ndarray, log_c: np.ndarray):
    """E[min(X, c)] for log X ~ N(mu, sigma²), given c and ln c.

    E[min(X, c)] = exp(mu + sigma²/2) Φ((ln c − mu)/sigma − sigma) + c Φ((mu − ln c)/sigma).
    """
    head = np.exp(mu + 0.5 * sigma * sigma) * normal_cdf((log_c - mu) / sigma - sigma)
    return head + c * normal_cdf((mu - log_c) / sigma)


_TABLE_BITS = 12
_NORMAL_TABLE = normal_ppf((np.arange(1 << _TABLE_BITS) + 0.5) / (1 << _TABLE_BITS))


def normal_from_hash(h: np.ndarray, shift: int = 52) -> np.ndarray:
    """A coarse N(0, 1) draw from 12 bits of a uint64 hash (bits shift..shift+11), by table.

    Φ⁻¹ at the 4,096 bin midpoints: |z| <= 3.67, for noise that needs no tails (ranker error);
    one table lookup instead of a rational approximation per draw.
    """
    index = (h >> np.uint64(shift)) & np.uint64((1 << _TABLE_BITS) - 1)
    return _NORMAL_TABLE[index.astype(np.intp)]
