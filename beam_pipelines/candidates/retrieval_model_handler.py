"""RetrievalModelHandler: Beam RunInference over the exported retrieval index, per user.

An element is one user's sessions in time order (user_sessions.UserSessions). The handler
queries the index for every step of the user's sessions (step t's query is the in-session
history before t, tscac_tf/retrieval/session_queries.py) in model calls that hold that
user's steps only, in that order (chunks of at most `max_queries_per_call`): a step's
float scores then do not depend on which other users RunInference batched it with, so
near-tied videos keep their order from one run to the next.

With `exclude_seen`, each step asks for as many more videos than K as it could have to
drop (everything shown before it: the user's earlier sessions and the session's earlier
steps) and keeps the first K it had not been shown (tscac_tf/retrieval/candidate_set.py
`without_shown`).
"""

from __future__ import annotations

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
    ):
        super().__init__(min_batch_size=1, max_batch_size=users_per_batch)
        self._index_dir = index_dir
        self._history_length = history_length
        self._top_k = top_k
        self._max_queries = max_queries_per_call
        self._exclude_seen = exclude_seen

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
        from tscac_tf.retrieval import candidate_set, session_queries

        queries = [
            session_queries.session_queries(
                {**r.steps, "user_id": r.context["user_id"]}, self._history_length
            )
            for r in user.records
        ]
        stacked = {
            key: np.concatenate([q[key] for q in queries]) for key in session_queries.QUERY_KEYS
        }
        wanted = self._top_k
        if self._exclude_seen:  # step t of a session drops at most |seen before| + t videos
            pairs = zip(user.seen_before, user.records, strict=True)
            wanted += max(len(seen) + record.num_steps - 1 for seen, record in pairs)
        retrieved = self._retrieve(model, stacked, wanted)
        out, start = [], 0
        for record, seen in zip(user.records, user.seen_before, strict=True):
            ranking = retrieved[start : start + record.num_steps]
            start += record.num_steps
            if self._exclude_seen:
                ranking = candidate_set.without_shown(
                    ranking, record.steps["video_id"], seen, self._top_k
                )
            out.append(ranking)
        return out

    def _retrieve(self, model: Any, queries: dict, k: int) -> np.ndarray:
        total = len(queries["user_id"])
        parts = [np.zeros([0, k], np.int64)]
        for start in range(0, total, self._max_queries):
            part = slice(start, start + self._max_queries)
            out = model.top_k(
                queries["user_id"][part],
                queries["history_video_ids"][part],
                queries["history_play_time_ms"][part],
                np.int32(k),
            )
            parts.append(out["video_ids"].numpy())
        return np.concatenate(parts)

    def get_num_bytes(self, batch: Sequence[UserSessions]) -> int:
        return sum(sum(v.nbytes for v in r.steps.values()) for u in batch for r in u.records)

    def get_metrics_namespace(self) -> str:
        return "tscac.candidates.RunInference"
