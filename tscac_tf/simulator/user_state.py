"""The user's changing state: interest drift, saturation, satisfaction, annoyance, follows.

What is shown changes the user (this is what makes the problem sequential):
- affinity A(u, v) = Σ_tags w_t (interest_t − saturation_t) + follow_bonus · [author followed];
- saturation: a shown video adds `gain · w_t` to each of its tags; all of it decays by
  `saturation_decay` per exposure, and `saturation_session_carry` of it survives into the
  next session (repeated tags bore the user within a session);
- experience e = experience_stages[stage] + experience_delight · delight + experience_hate · hate,
  with delight = style + delight_affinity · A (fun, social content is what users enjoy);
- satisfaction sat' = ρ sat + (1 − ρ) e (reset to 0 at a session start);
- interest drift: interest_t += interest_drift · e · w_t for the shown tags (clipped to
  ±interest_limit): enjoyed topics become more interesting; at each session start the
  drift shrinks towards the user's base interest by `interest_session_carry`, so it lasts
  for several sessions but does not run away;
- a hate adds 1 to annoyance (decaying per exposure); a follow adds the author for good.

Leave model, after each exposure:
  P(leave) = σ(ℓ0 − ℓ_a·activity + ℓ_n·position' − ℓ_s·sat' + ℓ_b·boredom + ℓ_ann·ann' + ℓ_h·hate)
with boredom the saturation of the shown video's tags before it was shown.

The history in the observation is the current session's exposures only (most recent first,
-1 padded); the previous sessions act through the lasting state (interest, follows). The
state also remembers every video a lane has been shown, in all sessions (`seen`), for the
candidate generator's already-seen filter.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from tscac_tf.simulator.population import Population, Videos
from tscac_tf.simulator.world_config import DynamicsConfig


@dataclasses.dataclass
class UserState:
    """Mutable state of a batch of user lanes (one row per lane).

    Attributes:
      user: int64 [B] world user index.
      interest, saturation: float64 [B, T + 1] (the last column is "no tag", always 0).
      base_interest: float64 [B, T + 1], the user's interest before any drift.
      satisfaction, annoyance: float64 [B]; position: int64 [B], exposures this session.
      history_video: int64 [B, H] world video index, most recent first, -1 padded.
      history_play_ms: int64 [B, H], 0 where padded.
      seen: uint8 [B, ⌈V / 8⌉] bit v of the lane's row: video v was shown to it (any session).
      followed: int64 [F] sorted keys user * num_authors + author (lasting follows).
      num_authors: int.
    """

    user: np.ndarray
    interest: np.ndarray
    base_interest: np.ndarray
    saturation: np.ndarray
    satisfaction: np.ndarray
    annoyance: np.ndarray
    position: np.ndarray
    history_video: np.ndarray
    history_play_ms: np.ndarray
    seen: np.ndarray
    followed: np.ndarray
    num_authors: int

    @classmethod
    def initial(cls, population: Population, user: np.ndarray, history_length: int):
        """Fresh state of the given users (world indices): initial interest, nothing seen."""
        user = np.asarray(user, np.int64)
        b, t = len(user), population.videos.num_tags
        interest = np.zeros((b, t + 1))
        interest[:, :t] = population.users.interest[user]
        return cls(
            user=user,
            interest=interest,
            base_interest=interest.copy(),
            saturation=np.zeros((b, t + 1)),
            satisfaction=np.zeros(b),
            annoyance=np.zeros(b),
            position=np.zeros(b, np.int64),
            history_video=np.full((b, history_length), -1, np.int64),
            history_play_ms=np.zeros((b, history_length), np.int64),
            seen=np.zeros((b, seen_bytes(population.videos.ids.size)), np.uint8),
            followed=np.zeros(0, np.int64),
            num_authors=population.videos.num_authors,
        )

    def select(self, rows: np.ndarray) -> UserState:
        """A copy holding only the given lanes (follows are shared by key)."""
        arrays = {
            f.name: getattr(self, f.name)[rows].copy()
            for f in dataclasses.fields(self)
            if f.name not in ("followed", "num_authors")
        }
        return UserState(**arrays, followed=self.followed.copy(), num_authors=self.num_authors)

    def is_followed(self, rows: np.ndarray, author: np.ndarray) -> np.ndarray:
        """bool [n, ...]: lane rows[i] follows author[i, ...]."""
        if self.followed.size == 0:
            return np.zeros(np.shape(author), bool)
        keys = self.user[rows].reshape((-1,) + (1,) * (np.ndim(author) - 1)) * self.num_authors
        keys = keys + author
        pos = np.clip(np.searchsorted(self.followed, keys), 0, self.followed.size - 1)
        return self.followed[pos] == keys


def tag_sums(state: UserState, rows: np.ndarray, video: np.ndarray, videos: Videos):
    """(Σ_t w_t interest_t, Σ_t w_t saturation_t) over each video's tags, [n, ...] each.

    Args:
      rows: int64 [n] lanes; video: int64 [n, ...] world video indices.
    """
    tags, weight = videos.tag_index[video], videos.tag_weight[video]  # [n, ..., 3]
    lane = rows.reshape((-1,) + (1,) * (tags.ndim - 1))
    interest = np.einsum("...j,...j->...", weight, state.interest[lane, tags])
    saturation = np.einsum("...j,...j->...", weight, state.saturation[lane, tags])
    return interest, saturation


def affinity_terms(state: UserState, rows, video, videos: Videos, config: DynamicsConfig):
    """(A, boredom, followed) for lanes `rows` [n] and videos [n, ...].

    A = Σ_tags w_t (interest_t − saturation_t) + follow_bonus · followed, boredom =
    Σ_tags w_t saturation_t, followed = the lane's user follows the video's author.
    """
    interest, boredom = tag_sums(state, rows, video, videos)
    followed = state.is_followed(rows, videos.author[video])
    return interest - boredom + config.follow_bonus * followed, boredom, followed


def experience(stage, delight, hate, config: DynamicsConfig):
    """e = experience_stages[stage] + experience_delight · delight + experience_hate · hate."""
    stage_value = np.asarray(config.experience_stages)[stage]
    return stage_value + config.experience_delight * delight + config.experience_hate * hate


def leave_logit(activity, position, satisfaction, boredom, annoyance, hate, config: DynamicsConfig):
    """ℓ0 − ℓ_a·activity + ℓ_n·position − ℓ_s·sat + ℓ_b·boredom + ℓ_ann·ann + ℓ_h·hate.

    All arguments are post-exposure values except boredom (the shown video's tag
    saturation before it was shown).
    """
    return (
        config.leave_intercept
        - config.leave_activity * activity
        + config.leave_position * position
        - config.leave_satisfaction * satisfaction
        + config.leave_boredom * boredom
        + config.leave_annoyance * annoyance
        + config.leave_hate * hate
    )


def seen_bytes(num_videos: int) -> int:
    """Bytes per lane of the `seen` bitmap."""
    return (num_videos + 7) // 8


def start_sessions(state: UserState, rows: np.ndarray, config: DynamicsConfig) -> None:
    """A new session for the lanes: carried-over saturation, neutral mood, empty history."""
    state.saturation[rows] *= config.saturation_session_carry
    base = state.base_interest[rows]
    state.interest[rows] = base + config.interest_session_carry * (state.interest[rows] - base)
    state.satisfaction[rows] = 0.0
    state.annoyance[rows] = 0.0
    state.position[rows] = 0
    state.history_video[rows] = -1
    state.history_play_ms[rows] = 0


def apply_exposure(state: UserState, rows, video, play_ms, exp, hate, follow, videos, config):
    """Updates the lanes after showing `video` [n] with experience `exp` [n] (in place)."""
    tags, weight = videos.tag_index[video], videos.tag_weight[video]
    lane = rows[:, None]
    drift = config.interest_drift * exp[:, None] * weight
    state.interest[lane, tags] = np.clip(
        state.interest[lane, tags] + drift, -config.interest_limit, config.interest_limit
    )
    state.interest[:, -1] = 0.0
    state.saturation[rows] *= config.saturation_decay
    state.saturation[lane, tags] += config.saturation_gain * weight
    state.saturation[:, -1] = 0.0
    rho = config.satisfaction_memory
    state.satisfaction[rows] = rho * state.satisfaction[rows] + (1.0 - rho) * exp
    state.annoyance[rows] = config.annoyance_decay * state.annoyance[rows] + hate
    state.position[rows] += 1
    state.history_video[rows] = np.concatenate(
        [video[:, None], state.history_video[rows, :-1]], axis=1
    )
    state.history_play_ms[rows] = np.concatenate(
        [play_ms[:, None], state.history_play_ms[rows, :-1]], axis=1
    )
    state.seen[rows, video >> 3] |= (1 << (video & 7)).astype(np.uint8)
    new = state.user[rows][follow == 1] * state.num_authors + videos.author[video[follow == 1]]
    if new.size:
        state.followed = np.union1d(state.followed, new)
