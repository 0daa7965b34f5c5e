"""RetrievalModelHandler: Beam RunInference over the exported retrieval index, per session.

An element is one SessionRecord; RunInference hands the handler a batch of sessions, and
the handler queries the index once for all their steps together (step t's query is the
in-session history before t, tscac_tf/retrieval/session_queries.py), so a batch of a few
dozen sessions is one model call of a few hundred to a few thousand queries.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from apache_beam.ml.inference.base import ModelHandler, PredictionResult

from beam_pipelines.candidates.session_record import SessionRecord


class RetrievalModelHandler(ModelHandler[SessionRecord, PredictionResult, Any]):
    """Loads MODEL_DIR/index once per worker and retrieves top-k videos for every step.

    Args:
      index_dir: the exported RetrievalIndex SavedModel.
      history_length: H of the queries.
      top_k: videos retrieved per step.
      sessions_per_batch: the most sessions RunInference puts in one batch.
      max_queries_per_call: steps are sent to the model in chunks of at most this many.

    The PredictionResult of a session has inference = int64 [T, top_k] video ids, best
    first, -1 padding.
    """

    def __init__(
        self,
        index_dir: str,
        history_length: int,
        top_k: int,
        sessions_per_batch: int = 64,
        max_queries_per_call: int = 8192,
    ):
        super().__init__(min_batch_size=1, max_batch_size=sessions_per_batch)
        self._index_dir = index_dir
        self._history_length = history_length
        self._top_k = top_k
        self._max_queries = max_queries_per_call

    def load_model(self):
        # tscac_tf first: it sets TF_USE_LEGACY_KERAS before TensorFlow loads on the worker.
        from tscac_tf.retrieval import retrieval_index

        return retrieval_index.load(self._index_dir)

    def run_inference(
        self,
        batch: Sequence[SessionRecord],
        model: Any,
        inference_args: dict[str, Any] | None = None,
    ) -> Iterable[PredictionResult]:
        from tscac_tf.retrieval import session_queries

        queries = [
            session_queries.session_queries(
                {**record.steps, "user_id": record.context["user_id"]}, self._history_length
            )
            for record in batch
        ]
        stacked = {
            key: np.concatenate([q[key] for q in queries]) for key in session_queries.QUERY_KEYS
        }
        retrieved = self._retrieve(model, stacked)
        results, start = [], 0
        for record in batch:
            end = start + record.num_steps
            results.append(PredictionResult(record, retrieved[start:end]))
            start = end
        return results

    def _retrieve(self, model: Any, queries: dict) -> np.ndarray:
        total = len(queries["user_id"])
        parts = [np.zeros([0, self._top_k], np.int64)]
        for start in range(0, total, self._max_queries):
            part = slice(start, start + self._max_queries)
            out = model.top_k(
                queries["user_id"][part],
                queries["history_video_ids"][part],
                queries["history_play_time_ms"][part],
                np.int32(self._top_k),
            )
            parts.append(out["video_ids"].numpy())
        return np.concatenate(parts)

    def get_num_bytes(self, batch: Sequence[SessionRecord]) -> int:
        return sum(sum(v.nbytes for v in record.steps.values()) for record in batch)

    def get_metrics_namespace(self) -> str:
        return "tscac.candidates.RunInference"
