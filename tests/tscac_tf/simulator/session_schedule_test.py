"""The calendar: real return gaps, Asia/Shanghai days, sessions per active day."""

import datetime

import numpy as np
import pytest

from tscac_tf.simulator import kuairand_reference as ref
from tscac_tf.simulator import session_schedule as ss
from tscac_tf.simulator.world_config import ScheduleConfig


def test_period_and_time_zone():
    dates = ss.day_dates()
    assert dates[0] == 20220408 and dates[-1] == 20220508 and dates.size == 31
    # 2022-04-08 00:00 in Shanghai is 2022-04-07 16:00 UTC.
    utc = datetime.datetime(2022, 4, 7, 16, tzinfo=datetime.UTC)
    assert ss.day_start_ms()[0] == int(utc.timestamp()) * 1000
    assert np.all(np.diff(ss.day_start_ms()) == 86_400_000)


def test_return_gaps_follow_the_configured_distribution():
    config = ScheduleConfig(return_gap_shares=ref.RETURN_GAP_SHARES[:4], return_tail_ratio=0.5)
    gaps = ss.return_gaps(np.random.default_rng(0).random(400_000), config)
    shares = [np.mean(gaps == g) for g in (1, 2, 3, 4)] + [np.mean(gaps >= 5)]
    np.testing.assert_allclose(shares, ref.RETURN_GAP_SHARES, atol=0.003)
    # geometric tail: P(6) / P(5) = ratio
    assert np.mean(gaps == 6) / np.mean(gaps == 5) == pytest.approx(0.5, rel=0.05)


def test_schedule_is_ordered_and_within_the_period():
    user_ids = np.arange(500)
    activity = np.linspace(-1, 1, 500)
    config = ScheduleConfig()
    schedule = ss.build_schedule(user_ids, activity, config, seed=0)
    assert schedule.offsets[-1] == schedule.num_sessions
    for u in range(500):
        lo, hi = schedule.offsets[u], schedule.offsets[u + 1]
        assert hi > lo  # everyone starts within entry_days
        day, slot = schedule.day[lo:hi], schedule.slot[lo:hi]
        assert day[0] < config.entry_days and np.all(np.diff(day * 16 + slot) > 0)
    assert schedule.day.max() < 31 and schedule.slot.max() < config.max_sessions_per_day
    start_hours = schedule.first_start_ms / 3_600_000
    assert start_hours.min() >= 0 and start_hours.max() < config.last_start_hour
    active = np.bincount(np.repeat(np.arange(500), np.diff(schedule.offsets)), minlength=500)
    assert active[activity > 0.5].mean() > active[activity < -0.5].mean()  # more sessions
    assert set(np.unique(schedule.tab).tolist()) <= set(range(15))


def test_later_sessions_start_more_than_30_minutes_after_the_previous_one():
    config = ScheduleConfig()
    starts = ss.next_start_ms(0, np.arange(1000), 3, 1, np.zeros(1000, np.int64), config)
    assert starts.min() >= 31 * 60_000
