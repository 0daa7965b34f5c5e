"""Counter-based random numbers: every draw is a pure function of (seed, keys).

A draw is a hash of (seed, stream, user, session, step, slot) mapped into (0, 1), so the
same (user, session, step) always meets the same draw, whatever else runs in the batch and
in whatever order. That gives byte-identical files for a seed, and common random numbers in
evaluation: every policy meets the same users, session starts and per-step draws.

The hash is the SplitMix64 finaliser (Steele, Lea & Flood, "Fast splittable pseudorandom
number generators", OOPSLA 2014) applied to the running combination of keys; one 64-bit
hash gives one double-precision uniform, or two 32-bit ones.
"""

from __future__ import annotations

import enum
import zlib

import numpy as np

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S32, _S11 = (np.uint64(s) for s in (30, 27, 31, 32, 11))
_LOW32 = np.uint64(0xFFFFFFFF)


class Stream(enum.IntEnum):
    """One independent stream of draws per purpose (its value is part of the hash)."""

    # World construction.
    USER_NOISE = 1
    VIDEO_NOISE = 2
    CATEGORY_EFFECT = 3
    SUBSET = 4
    # Calendar.
    SCHEDULE = 10
    SESSION_START = 11
    # One exposure.
    CANDIDATE_INTEREST = 20
    CANDIDATE_POPULAR = 21
    CANDIDATE_FILL = 22
    BEHAVIOR_PICK = 23
    BEHAVIOR_RANDOM = 24
    PREDICTION_NOISE = 25
    ATTENTION = 26
    INTERACTION = 27
    LEAVE = 28
    THINK_TIME = 29
    SIDE_COLUMNS = 30


def mix(x: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser: a bijection of uint64 with good avalanche."""
    with np.errstate(over="ignore"):
        x = (x ^ (x >> _S30)) * _M1
        x = (x ^ (x >> _S27)) * _M2
    return x ^ (x >> _S31)


def _as_u64(value) -> np.ndarray:
    array = np.asarray(value)
    if array.dtype.kind == "u":
        return array.astype(np.uint64)
    return array.astype(np.int64).astype(np.uint64)  # negative keys wrap, still distinct


def hash_keys(seed: int, *keys) -> np.ndarray:
    """uint64 hash of (seed, *keys); keys broadcast against each other like numpy arrays."""
    h = mix(_as_u64(seed) + _GOLDEN)
    for key in keys:
        with np.errstate(over="ignore"):
            h = mix(h ^ (_as_u64(key) + _GOLDEN))
    return h


def extend(base: np.ndarray, *keys) -> np.ndarray:
    """Hash of (base, *keys): derive sub-streams from a precomputed per-row hash cheaply."""
    h = np.asarray(base, np.uint64)
    for key in keys:
        with np.errstate(over="ignore"):
            h = mix(h ^ (_as_u64(key) + _GOLDEN))
    return h


def to_uniform(h: np.ndarray) -> np.ndarray:
    """float64 in (0, 1) from the top 53 bits of a hash."""
    return ((h >> _S11).astype(np.float64) + 0.5) * (1.0 / 9007199254740992.0)


def to_uniform_pair(h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two float64 in (0, 1) from the two 32-bit halves of a hash (32-bit resolution)."""
    scale = 1.0 / 4294967296.0
    high = ((h >> _S32).astype(np.float64) + 0.5) * scale
    low = ((h & _LOW32).astype(np.float64) + 0.5) * scale
    return high, low


def to_uniform_triple(h: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Three float64 in (0, 1) from three 21-bit fields of a hash (21-bit resolution)."""
    scale, mask = 1.0 / 2097152.0, np.uint64((1 << 21) - 1)
    return tuple(
        (((h >> np.uint64(shift)) & mask).astype(np.float64) + 0.5) * scale for shift in (43, 22, 1)
    )


def uniform(seed: int, *keys) -> np.ndarray:
    """float64 uniforms in (0, 1), one per broadcast element of the keys."""
    return to_uniform(hash_keys(seed, *keys))


def request_hash(seed: int, user_ids, session_keys, positions) -> np.ndarray:
    """uint64 [n] hash of one request (user, session, position in session).

    Every draw of the request (candidates, ranking noise, responses, leave) derives from it
    with `extend`, so it depends on nothing else in the batch.
    """
    return hash_keys(seed, user_ids, session_keys, positions)


def category_key(column: str, value: object) -> int:
    """A stable integer key for a categorical value (Python's hash() is salted per process)."""
    return zlib.crc32(f"{column}={value}".encode())
