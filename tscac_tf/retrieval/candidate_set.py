"""The candidate set C_t of a logged step: retrieval's top K, with the logged video forced in.

Off-policy corrections need π(a_t|s_t) for the logged action, which is only defined when
a_t ∈ C_t. When retrieval missed the logged video, it replaces the lowest-ranked candidate
and is put at a uniformly random position (seeded per session, so reruns agree), and the
step records `candidate_inserted = 1`; position must not give the logged video away.
"""

from __future__ import annotations

import zlib

import numpy as np

from tscac_tf.specs import session_schema as ss


def session_rng(seed: int, session_id: str) -> np.random.Generator:
    """A generator that depends only on (seed, session_id): stable across runs and workers."""
    return np.random.default_rng([seed, zlib.crc32(session_id.encode())])


def attach_logged(
    retrieved: np.ndarray, logged: np.ndarray, num_candidates: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Candidate sets of every step of one session.

    Args:
      retrieved: int64 [T, N], retrieval's ranking per step, best first, -1 padding, N >= K.
      logged: int64 [T], the video shown at each step.
      num_candidates: K.
      rng: draws the insertion positions (session_rng).

    Returns:
      (candidate_video_ids int64 [T, K] with -1 padding at the end,
       logged_candidate_index int64 [T], the logged video's position,
       candidate_inserted int64 [T], 1 where the logged video was put in).

    Raises:
      ValueError: the shapes disagree, or N < K.
    """
    retrieved = np.asarray(retrieved, np.int64)
    logged = np.asarray(logged, np.int64)
    if retrieved.ndim != 2 or retrieved.shape[0] != logged.shape[0] or logged.ndim != 1:
        raise ValueError(
            f"attach_logged expects retrieved [T, N] and logged [T], got {retrieved.shape} "
            f"and {logged.shape}"
        )
    if retrieved.shape[1] < num_candidates:
        raise ValueError(
            f"retrieval returned {retrieved.shape[1]} videos per step, fewer than the "
            f"{num_candidates} candidates asked for"
        )
    top = retrieved[:, :num_candidates]
    # One draw per step, whether used or not, so a step's position does not depend on
    # which other steps needed an insertion.
    uniforms = rng.random(len(logged))
    hits = top == logged[:, None]
    inserted = ~hits.any(axis=1)
    # Retrieval pads only at the end; a miss keeps the best min(n, K - 1) of its n videos
    # (dropping the lowest ranked only when the set is full) and puts the logged video at
    # a uniform position p in [0, kept]:  row = kept[:p] ++ [logged] ++ kept[p:].
    kept = np.minimum((top != ss.PADDING_ID).sum(axis=1), num_candidates - 1)
    position = np.minimum((uniforms * (kept + 1)).astype(np.int64), kept)
    column = np.arange(num_candidates)[None, :]
    source = np.where(column < position[:, None], column, column - 1)
    shifted = np.take_along_axis(top, np.clip(source, 0, num_candidates - 1), axis=1)
    with_logged = np.where(column == position[:, None], logged[:, None], shifted)
    with_logged = np.where(column <= kept[:, None], with_logged, ss.PADDING_ID)
    candidates = np.where(inserted[:, None], with_logged, top)
    index = np.where(inserted, position, hits.argmax(axis=1))
    return candidates.astype(np.int64), index.astype(np.int64), inserted.astype(np.int64)


def without_shown(
    retrieved: np.ndarray,
    session_videos: np.ndarray,
    seen_before: np.ndarray,
    top_k: int,
    steps: np.ndarray | None = None,
) -> np.ndarray:
    """Each step's ranking without the videos its user had already been shown; best top_k.

    A feed does not show a user a video twice, so a video shown earlier (in an earlier
    session, or at an earlier step of this one) can never be the step's logged video, and
    a candidate set that keeps it wastes a slot: the candidates step drops them before
    forcing the logged video in (CandidatesConfig.exclude_seen).

    Args:
      retrieved: int64 [T, N], retrieval's ranking per step of one session, best first,
        -1 padding at the end.
      session_videos: int64 [T], the session's logged videos (step t excludes those of
        steps < t).
      seen_before: int64 [S], the videos the user was shown in earlier sessions.
      top_k: the videos to keep per step.
      steps: int64 [R], when only some steps are ranked: the step of each row of
        `retrieved` (then [R, N]); by default row t is step t.

    Returns:
      int64 [T (or R), top_k], the first top_k retrieved videos of each step that were not
      shown before it, in retrieval's order, -1 padded when fewer remain.
    """
    retrieved = np.asarray(retrieved, np.int64)
    session_videos = np.asarray(session_videos, np.int64)
    if steps is None:
        steps = np.arange(len(session_videos))
    steps = np.asarray(steps, np.int64)
    if (
        retrieved.ndim != 2
        or session_videos.ndim != 1
        or retrieved.shape[0] != len(steps)
        or ((steps < 0) | (steps >= len(session_videos))).any()
    ):
        raise ValueError(
            f"without_shown expects retrieved [R, N], session_videos [T] and R steps in "
            f"[0, T), got {retrieved.shape}, {session_videos.shape} and steps {steps.tolist()}"
        )
    drop = (retrieved == ss.PADDING_ID) | np.isin(retrieved, np.asarray(seen_before, np.int64))
    if len(steps):
        # A video is dropped from step t when its first step in the session is before t.
        videos, first_step = np.unique(session_videos, return_index=True)
        at = np.clip(np.searchsorted(videos, retrieved), 0, len(videos) - 1)
        in_session = videos[at] == retrieved
        drop |= in_session & (first_step[at] < steps[:, None])
    order = np.argsort(drop, axis=1, kind="stable")[:, :top_k]  # kept ones first, in order
    kept = np.take_along_axis(retrieved, order, axis=1)
    kept = np.where(np.take_along_axis(drop, order, axis=1), ss.PADDING_ID, kept)
    if kept.shape[1] < top_k:
        kept = np.pad(kept, [(0, 0), (0, top_k - kept.shape[1])], constant_values=ss.PADDING_ID)
    return kept
