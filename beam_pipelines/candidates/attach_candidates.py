"""AttachCandidates: UserSessions -> (split, serialised session with C_t in every step).

RunInference retrieves the top K videos for every step of a user's sessions
(RetrievalModelHandler); then the logged video is forced into each set
(tscac_tf/retrieval/candidate_set.py), with the insertion position drawn from a generator
seeded by (seed, session_id), so the output does not depend on batching, worker count or
order.
"""

from __future__ import annotations

import apache_beam as beam
from apache_beam.metrics import Metrics
from apache_beam.ml.inference.base import RunInference

from beam_pipelines.candidates.read_sessions import NAMESPACE
from beam_pipelines.candidates.retrieval_model_handler import RetrievalModelHandler
from beam_pipelines.candidates.session_record import encode_with_candidates


class InsertLoggedVideoFn(beam.DoFn):
    """PredictionResult(UserSessions, [retrieved [T, K]] per session) -> (split, bytes) per session."""

    def __init__(self, num_candidates: int, seed: int):
        self._num_candidates = num_candidates
        self._seed = seed
        self._sessions = Metrics.counter(NAMESPACE, "sessions")
        self._steps = Metrics.counter(NAMESPACE, "steps")
        self._inserted = Metrics.counter(NAMESPACE, "logged_video_inserted")

    def process(self, result):
        from tscac_tf.retrieval import candidate_set

        user = result.example
        for split, record, retrieved in zip(
            user.splits, user.records, result.inference, strict=True
        ):
            candidates, index, inserted = candidate_set.attach_logged(
                retrieved,
                record.steps["video_id"],
                self._num_candidates,
                candidate_set.session_rng(self._seed, record.session_id),
            )
            self._sessions.inc()
            self._steps.inc(record.num_steps)
            self._inserted.inc(int(inserted.sum()))
            yield split, encode_with_candidates(record, candidates, index, inserted)


class AttachCandidates(beam.PTransform):
    """UserSessions -> (split, serialised session with candidate_video_ids [T, K], ...)."""

    def __init__(self, handler: RetrievalModelHandler, num_candidates: int, seed: int):
        super().__init__()
        self._handler = handler
        self._num_candidates = num_candidates
        self._seed = seed

    def expand(self, sessions):
        return (
            sessions
            | "RetrieveCandidates" >> RunInference(self._handler)
            | "InsertLoggedVideos"
            >> beam.ParDo(InsertLoggedVideoFn(self._num_candidates, self._seed))
        )
