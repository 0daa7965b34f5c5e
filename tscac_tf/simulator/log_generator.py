"""Logs the behaviour policy in the world over the KuaiRand period: one row per exposure.

Every user is a lane that plays its planned sessions (session_schedule.py) one after the
other; each iteration serves one request for every lane in session, vectorised across users:
candidates -> true expected responses -> behaviour policy (with uniform random exposures)
-> `World.step`. Time advances by the play time plus a short pause; a session ends when the
user leaves or at local midnight. Draws are keyed by (world seed, user, day·16 + slot,
position), so the log is a pure function of the world config.
"""

from __future__ import annotations

import numpy as np
from tqdm import tqdm

from tscac_tf.simulator import gaussian
from tscac_tf.simulator import random_streams as rs
from tscac_tf.simulator import session_schedule as sched
from tscac_tf.simulator import user_state as us
from tscac_tf.simulator.world import Exposure, World
from tscac_tf.specs import kuairand_schema as ks

LOG_COLUMNS = ks.LOG_COLUMN_NAMES + (ks.PROPENSITY_COLUMN.name,)
_SLOTS_PER_DAY = 16  # session key = day * 16 + slot


def _side_columns(world: World, exposure: Exposure, base: np.ndarray) -> dict[str, np.ndarray]:
    """is_profile_enter, profile_stay_time, comment_stay_time (log-only, uncalibrated)."""
    cfg = world.config.responses
    u = rs.to_uniform(rs.extend(base[:, None], rs.Stream.SIDE_COLUMNS, np.arange(4)))
    p_profile = np.where(
        exposure.flags["is_follow"] == 1,
        cfg.profile_enter_given_follow,
        np.asarray(cfg.profile_enter_rates)[exposure.stage],
    )
    profile = u[:, 0] < p_profile
    viewed = (exposure.flags["is_comment"] == 1) | (
        (exposure.flags["is_click"] == 1) & (u[:, 1] < cfg.comment_view_rate)
    )

    def stay(enabled, uniform):
        ms = cfg.stay_median_ms * np.exp(gaussian.normal_ppf(uniform))
        return np.where(enabled, np.maximum(np.round(ms), 1), 0).astype(np.int64)

    return {
        "is_profile_enter": profile.astype(np.int64),
        "profile_stay_time": stay(profile, u[:, 2]),
        "comment_stay_time": stay(viewed, u[:, 3]),
    }


class _Lanes:
    """Calendar bookkeeping of every user lane during generation."""

    def __init__(self, world: World, schedule: sched.Schedule):
        self.world, self.schedule = world, schedule
        self.user_ids = world.population.users.ids
        n = self.user_ids.size
        self.next = schedule.offsets[:-1].copy()  # next planned session of each lane
        self.in_session = np.zeros(n, bool)
        self.clock = np.zeros(n, np.int64)  # epoch ms of the lane's next exposure
        self.last_end = np.zeros(n, np.int64)
        self.day = np.zeros(n, np.int64)
        self.key = np.zeros(n, np.int64)
        self.tab = np.zeros(n, np.int64)
        self.day_start = sched.day_start_ms()
        self.dates = sched.day_dates()

    @property
    def sessions_done(self) -> int:
        """Planned sessions played or skipped so far."""
        return int(np.sum(self.next - self.schedule.offsets[:-1]))

    def start_sessions(self, state: us.UserState) -> None:
        """Opens the next feasible planned session of every idle lane."""
        s, cfg, seed = self.schedule, self.world.config.schedule, self.world.config.seed
        while True:
            idle = np.nonzero(~self.in_session & (self.next < s.offsets[1:]))[0]
            if idle.size == 0:
                return
            entry = self.next[idle]
            day, slot = s.day[entry], s.slot[entry]
            later = sched.next_start_ms(
                seed, self.user_ids[idle], day, slot, self.last_end[idle], cfg
            )
            start = np.where(slot == 0, self.day_start[day] + s.first_start_ms[entry], later)
            feasible = start < self.day_start[day] + cfg.last_start_hour * sched.HOUR_MS
            self.next[idle[~feasible]] += 1  # too late in the day: skip that session
            go = idle[feasible]
            if go.size == 0:
                continue
            entry = entry[feasible]
            self.in_session[go] = True
            self.clock[go] = start[feasible]
            self.day[go], self.tab[go] = s.day[entry], s.tab[entry]
            self.key[go] = s.day[entry] * _SLOTS_PER_DAY + s.slot[entry]
            us.start_sessions(state, go, self.world.config.dynamics)

    def advance(self, rows, exposure: Exposure, base: np.ndarray) -> None:
        """Moves the lanes' clocks past the play and closes the sessions that ended."""
        low, mean = self.world.config.schedule.think_time_ms
        u = rs.to_uniform(rs.extend(base, rs.Stream.THINK_TIME))
        pause = (low - (mean - low) * np.log(u)).astype(np.int64)
        self.clock[rows] += exposure.play_ms + pause
        midnight = self.day_start[self.day[rows]] + sched.DAY_MS
        ended = rows[exposure.leave | (self.clock[rows] >= midnight)]
        self.in_session[ended] = False
        self.last_end[ended] = self.clock[ended]
        self.next[ended] += 1


def _serve(world: World, state: us.UserState, lanes: _Lanes, rows: np.ndarray) -> dict:
    """One request for each lane in `rows`: the logged columns of the exposures."""
    base = rs.request_hash(
        world.config.seed, lanes.user_ids[rows], lanes.key[rows], state.position[rows]
    )
    candidates = world.candidates(state, rows, base)
    expected = world.expected_raw(state, rows, candidates)
    probs = world.behavior.rank_probabilities(
        expected, lanes.user_ids[rows], world.video_ids(candidates), base
    )
    video, is_rand, propensity = world.behavior.choose(probs, candidates, base)
    time_ms = lanes.clock[rows].copy()
    day = lanes.day[rows]
    exposure = world.step(state, rows, video, base)
    hour = (time_ms - lanes.day_start[day]) // sched.HOUR_MS
    columns = {
        "user_id": lanes.user_ids[rows],
        "video_id": world.video_ids(video),
        "date": lanes.dates[day],
        "hourmin": hour * 100,
        "time_ms": time_ms,
        **exposure.flags,
        "play_time_ms": exposure.play_ms,
        "duration_ms": exposure.duration_ms,
        **_side_columns(world, exposure, base),
        "is_rand": is_rand,
        "tab": lanes.tab[rows],
        ks.PROPENSITY_COLUMN.name: propensity,
    }
    lanes.advance(rows, exposure, base)
    return columns


def generate_log(world: World, progress: bool = False) -> dict[str, np.ndarray]:
    """Plays the behaviour policy over the whole period.

    Args:
      world: the world.
      progress: show a tqdm progress bar (sessions done).

    Returns:
      {column: np.ndarray [N]} for LOG_COLUMNS, rows sorted by (user_id, time_ms).
    """
    users = world.population.users
    schedule = sched.build_schedule(
        users.ids, users.activity, world.config.schedule, world.config.seed
    )
    state = us.UserState.initial(world.population, np.arange(users.ids.size), world.history_length)
    lanes = _Lanes(world, schedule)
    chunks = []
    bar = tqdm(
        total=schedule.num_sessions, unit="session", desc="generate", leave=False,
        disable=not progress,
    )  # fmt: skip
    while True:
        lanes.start_sessions(state)
        rows = np.nonzero(lanes.in_session)[0]
        if rows.size == 0:
            break
        chunks.append(_serve(world, state, lanes, rows))
        bar.update(lanes.sessions_done - bar.n)
    bar.update(lanes.sessions_done - bar.n)
    bar.close()
    log = {c: np.concatenate([chunk[c] for chunk in chunks]) for c in LOG_COLUMNS}
    order = np.lexsort((log["time_ms"], log["user_id"]))
    return {c: v[order] for c, v in log.items()}
