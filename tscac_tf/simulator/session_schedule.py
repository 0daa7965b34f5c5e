"""The calendar of the logged period: which days each user opens the app, how often, in which tab.

A user's first active day is uniform over the first `entry_days` days; from there, the
days between consecutive active days follow the real KuaiRand-Pure return-gap distribution
(1 day 61.7%, 2 days 16.5%, 3 days 7.9%, 4 days 4.7%, 5+ days the rest, geometric tail), until
the period ends. An active day holds 1 + Poisson(λ_u) sessions (capped), more for more
active users. The first session of a day starts at an hour drawn from `hour_weights`; the
next ones start a gap (minimum > 30 minutes, so the 30-minute sessionisation rule separates
them) after the previous session ends, which the log generator decides as it plays them.

Time zone: Asia/Shanghai (UTC+8), the platform's local time; `date` and `hourmin` are
local, `time_ms` is true epoch milliseconds. `hourmin` is the hour times 100 (minutes 00),
as in the real KuaiRand logs.
"""

from __future__ import annotations

import dataclasses
import datetime

import numpy as np

from tscac_tf.simulator import random_streams as rs
from tscac_tf.simulator.world_config import ScheduleConfig
from tscac_tf.specs import kuairand_schema as ks

TIMEZONE = datetime.timezone(datetime.timedelta(hours=8), "Asia/Shanghai")
DAY_MS = 86_400_000
HOUR_MS = 3_600_000


def _as_date(yyyymmdd: int) -> datetime.date:
    return datetime.date(yyyymmdd // 10000, yyyymmdd // 100 % 100, yyyymmdd % 100)


FIRST_DAY = _as_date(ks.TRAIN_PERIOD[0])
NUM_DAYS = (_as_date(ks.EVAL_PERIOD[1]) - FIRST_DAY).days + 1


def day_dates() -> np.ndarray:
    """int64 [NUM_DAYS] yyyymmdd of each day of the period."""
    days = (FIRST_DAY + datetime.timedelta(days=d) for d in range(NUM_DAYS))
    return np.array([d.year * 10000 + d.month * 100 + d.day for d in days], np.int64)


def day_start_ms() -> np.ndarray:
    """int64 [NUM_DAYS] epoch milliseconds of each day's local midnight."""
    midnight = datetime.datetime.combine(FIRST_DAY, datetime.time(), TIMEZONE)
    first = int(midnight.timestamp()) * 1000
    return first + DAY_MS * np.arange(NUM_DAYS, dtype=np.int64)


@dataclasses.dataclass(frozen=True)
class Schedule:
    """Every user's planned sessions in time order; user u's are rows offsets[u]:offsets[u+1].

    Attributes:
      offsets: int64 [U + 1]; day: int64 [S] day index; slot: int64 [S] session number
      within the day; first_start_ms: int64 [S] planned start after local midnight (used
      for slot 0); tab: int64 [S].
    """

    offsets: np.ndarray
    day: np.ndarray
    slot: np.ndarray
    first_start_ms: np.ndarray
    tab: np.ndarray

    @property
    def num_sessions(self) -> int:
        return int(self.day.size)


def return_gaps(u: np.ndarray, config: ScheduleConfig) -> np.ndarray:
    """Inverse CDF of the return gap in days: P(g) = shares[g-1] for g <= 4, then geometric.

    P(g = 5 + j) = rest · (1 − r) r^j with rest = 1 − Σ shares and r = return_tail_ratio.
    """
    cum = np.cumsum(config.return_gap_shares)
    head = 1 + np.sum(u[..., None] >= cum, axis=-1)
    rest = max(1.0 - cum[-1], 1e-12)
    tail_u = np.clip((u - cum[-1]) / rest, 0.0, 1.0 - 1e-12)
    tail = len(cum) + 1 + np.floor(np.log1p(-tail_u) / np.log(config.return_tail_ratio))
    return np.where(u < cum[-1], head, tail).astype(np.int64)


def _poisson(u: np.ndarray, lam: np.ndarray, cap: int) -> np.ndarray:
    """Inverse CDF of Poisson(λ) truncated at cap."""
    k = np.arange(cap + 1)
    log_pmf = -lam[:, None] + k * np.log(np.maximum(lam[:, None], 1e-300))
    log_pmf -= np.cumsum(np.log(np.maximum(k, 1)))
    cum = np.cumsum(np.exp(log_pmf), axis=1)
    return np.minimum(np.sum(u[:, None] >= cum, axis=1), cap)


def _categorical(u: np.ndarray, weights) -> np.ndarray:
    cum = np.cumsum(weights) / np.sum(weights)
    return np.minimum(np.searchsorted(cum, u, side="right"), len(cum) - 1)


def build_schedule(user_ids, activity, config: ScheduleConfig, seed: int) -> Schedule:
    """Plans every user's active days and sessions over the period.

    Args:
      user_ids: int64 [U] real ids (the draws' keys); activity: float64 [U] activity level.
    """
    user_ids = np.asarray(user_ids, np.int64)
    key = user_ids[:, None]
    first = np.floor(rs.uniform(seed, rs.Stream.SCHEDULE, user_ids, 0) * config.entry_days)
    gaps = return_gaps(rs.uniform(seed, rs.Stream.SCHEDULE, key, 1, np.arange(NUM_DAYS)), config)
    days = first.astype(np.int64)[:, None] + np.cumsum(gaps, axis=1) - gaps[:, :1]
    active = days < NUM_DAYS
    user_of, day = np.nonzero(active)[0], days[active]
    lam = (config.sessions_per_day - 1.0) * np.exp(config.sessions_activity * activity[user_of])
    u_count = rs.uniform(seed, rs.Stream.SCHEDULE, user_ids[user_of], 2, day)
    count = 1 + _poisson(u_count, lam, config.max_sessions_per_day - 1)
    user_of, day = np.repeat(user_of, count), np.repeat(day, count)
    slot = np.arange(day.size) - np.repeat(np.cumsum(count) - count, count)
    hours = np.array(config.hour_weights[: config.last_start_hour])
    u_hour, u_minute = rs.to_uniform_pair(
        rs.hash_keys(seed, rs.Stream.SCHEDULE, user_ids[user_of], 3, day)
    )
    start = (_categorical(u_hour, hours) + u_minute) * HOUR_MS
    u_tab = rs.uniform(seed, rs.Stream.SCHEDULE, user_ids[user_of], 4, day, slot)
    offsets = np.concatenate([[0], np.cumsum(np.bincount(user_of, minlength=user_ids.size))])
    return Schedule(
        offsets=offsets.astype(np.int64),
        day=day.astype(np.int64),
        slot=slot.astype(np.int64),
        first_start_ms=start.astype(np.int64),
        tab=_categorical(u_tab, config.tab_weights).astype(np.int64),
    )


def next_start_ms(seed: int, user_ids, day, slot, previous_end_ms, config: ScheduleConfig):
    """Start of a later session of a day: previous end + min gap + Exp(mean gap) minutes."""
    u = rs.uniform(seed, rs.Stream.SESSION_START, user_ids, day, slot)
    minutes = config.min_session_gap_min - config.mean_session_gap_min * np.log(u)
    return previous_end_ms + (minutes * 60_000.0).astype(np.int64)
