"""RetrievalModelHandler: Beam RunInference over the exported retrieval index, per user.

An element is one user's sessions in time order (user_sessions.UserSessions). The handler
queries the index for every step of the user's sessions (step t's query is the in-session
history before t, tscac_tf/retrieval/session_queries.py) in model calls that hold that
user's steps only, in that order (chunks of at most `max_queries_per_call`): a step's
float scores then do not depend on which other users RunInference batched it with, so
near-tied videos keep their order from one run to the next.

With `exclude_seen`, each step's query carries everything its user was shown before it
(the user's earlier sessions and the session's earlier steps) as the index's
`top_k_excluding` exclusion list, and the index returns the first K videos not in it. The
top k stays K wide; the cost is one scatter of the exclusion lists, which are cut into
calls of at most `max_excluded_per_call` entries. An index exported before
`top_k_excluding` existed is asked instead for as many more videos than K as a step could
have to drop, and the first K not shown are kept (tscac_tf/retrieval/candidate_set.py
`without_shown`); both give the same candidates.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from apache_beam.ml.inference.base import ModelHandler, PredictionResult

from beam_pipelines.candidates.user_sessions import UserSessions


class RetrievalModelHandler(ModelHandler[UserSessions, PredictionResult, Any]):
    """Loads MODEL_DIR/index once per worker and retrieves top-k videos for every step.

    Args:
      index_dir: the exported RetrievalIndex SavedModel.
      history_length: H of the queries.
      top_k: videos retrieved per step.
      users_per_batch: the most users RunInference puts in one batch.
      max_queries_per_call: a user's steps go to the model in chunks of at most this many.
      exclude_seen: drop the videos each step's user was shown before it.
      max_excluded_per_call: with exclude_seen, a chunk holds fewer steps when their
        exclusion lists ([steps, E] int64) would have more entries than this (memory).

    The PredictionResult of a user has example = the UserSessions and inference = one
    int64 [T, top_k] array per session (video ids, best first, -1 padding).
    """

    def __init__(
        self,
        index_dir: str,
        history_length: int,
        top_k: int,
        users_per_batch: int = 8,
        max_queries_per_call: int = 4096,
        exclude_seen: bool = True,
        max_excluded_per_call: int = 1 << 22,
    ):
        super().__init__(min_batch_size=1, max_batch_size=users_per_batch)
        self._index_dir = index_dir
        self._history_length = history_length
        self._top_k = top_k
        self._max_queries = max_queries_per_call
        self._exclude_seen = exclude_seen
        self._max_excluded = max_excluded_per_call

    def load_model(self):
        # tscac_tf first: it sets TF_USE_LEGACY_KERAS before TensorFlow loads on the worker.
        from tscac_tf.retrieval import retrieval_index

        return retrieval_index.load(self._index_dir)

    def run_inference(
        self,
        batch: Sequence[UserSessions],
        model: Any,
        inference_args: dict[str, Any] | None = None,
    ) -> Iterable[PredictionResult]:
        return [PredictionResult(user, self._user_candidates(user, model)) for user in batch]

    def _user_candidates(self, user: UserSessions, model: Any) -> list[np.ndarray]:
        from tscac_tf.retrieval import session_queries

        queries = [
            session_queries.session_queries(
                {**r.steps, "user_id": r.context["user_id"]}, self._history_length
            )
            for r in user.records
        ]
        stacked = {
            key: np.concatenate([q[key] for q in queries]) for key in session_queries.QUERY_KEYS
        }
        if not self._exclude_seen:
            return self._per_session(user, self._retrieve(model, stacked, self._max_queries))
        if not hasattr(model, "top_k_excluding"):
            return self._widened(user, model, stacked)
        rows = max(1, min(self._max_queries, self._max_excluded // max(1, most_shown(user))))
        excluded = functools.partial(shown_before_steps, user)
        return self._per_session(user, self._retrieve(model, stacked, rows, excluded))

    def _widened(self, user: UserSessions, model: Any, stacked: dict) -> list[np.ndarray]:
        """exclude_seen on an index without top_k_excluding: step t of a session can drop at
        most |seen before| + t videos, so the top k widens by the most any step can drop."""
        from tscac_tf.retrieval import candidate_set

        pairs = list(zip(user.seen_before, user.records, strict=True))
        wanted = self._top_k + most_shown(user)
        rankings = self._per_session(
            user, self._retrieve(model, stacked, self._max_queries, k=wanted)
        )
        return [
            candidate_set.without_shown(ranking, record.steps["video_id"], seen, self._top_k)
            for ranking, (seen, record) in zip(rankings, pairs, strict=True)
        ]

    @staticmethod
    def _per_session(user: UserSessions, stacked: np.ndarray) -> list[np.ndarray]:
        """The user's stacked [steps, ...] rows, cut into one array per session."""
        bounds = np.cumsum([r.num_steps for r in user.records])[:-1]
        return np.split(stacked, bounds)

    def _retrieve(self, model: Any, queries: dict, rows: int, excluded=None, k=None) -> np.ndarray:
        """int64 [steps, K] (or [steps, k] without exclusion lists), in calls of `rows`.

        `excluded(start, stop)` gives the exclusion lists of steps start..stop-1: they are
        built one call at a time, so memory holds one call's lists, not the user's.
        """
        k = np.int32(self._top_k if k is None else k)
        total = len(queries["user_id"])
        parts = [np.zeros([0, k], np.int64)]
        for start in range(0, total, rows):
            part = slice(start, start + rows)
            args = (
                queries["user_id"][part],
                queries["history_video_ids"][part],
                queries["history_play_time_ms"][part],
            )
            if excluded is None:
                out = model.top_k(*args, k)
            else:
                out = model.top_k_excluding(*args, excluded(start, start + rows), k)
            parts.append(out["video_ids"].numpy())
        return np.concatenate(parts)

    def get_num_bytes(self, batch: Sequence[UserSessions]) -> int:
        return sum(sum(v.nbytes for v in r.steps.values()) for u in batch for r in u.records)

    def get_metrics_namespace(self) -> str:
        return "tscac.candidates.RunInference"


def most_shown(user: UserSessions) -> int:
    """The most videos any of the user's steps was shown before it: |seen before| + t at
    the last step t of a session (the widest exclusion list, the most a step can drop)."""
    pairs = zip(user.seen_before, user.records, strict=True)
    return max(len(seen) + record.num_steps - 1 for seen, record in pairs)


def shown_before_steps(user: UserSessions, start: int = 0, stop: int | None = None):
    """int64 [stop - start, E]: for the user's steps start..stop-1 (the sessions' steps
    stacked in order), the videos the user was shown before each (the earlier sessions'
    videos, then the session's earlier steps'), -1 padded to the longest of these lists
    (E >= 1)."""
    stop = user.num_steps if stop is None else min(stop, user.num_steps)
    blocks, first = [], 0
    for record, seen in zip(user.records, user.seen_before, strict=True):
        lo, hi = max(start, first) - first, min(stop, first + record.num_steps) - first
        first += record.num_steps
        if lo >= hi:
            continue
        steps = np.arange(lo, hi)  # the session's step t for each row
        videos = np.asarray(record.steps["video_id"], np.int64)[: hi - 1]
        in_session = np.where(np.arange(hi - 1)[None, :] < steps[:, None], videos[None, :], -1)
        blocks.append(np.concatenate([np.broadcast_to(seen, (hi - lo, len(seen))), in_session], 1))
    width = max([1] + [b.shape[1] for b in blocks])
    padded = [np.pad(b, [(0, 0), (0, width - b.shape[1])], constant_values=-1) for b in blocks]
    return np.concatenate(padded).astype(np.int64) if padded else np.zeros([0, 1], np.int64)
