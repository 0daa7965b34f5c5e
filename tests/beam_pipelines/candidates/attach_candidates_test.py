"""AttachCandidates: RunInference + insertion give valid candidate sets in every step."""

import apache_beam as beam
import numpy as np
import tensorflow as tf
from apache_beam.testing import test_pipeline
from apache_beam.testing.util import assert_that

from beam_pipelines.candidates.attach_candidates import AttachCandidates
from beam_pipelines.candidates.retrieval_model_handler import RetrievalModelHandler
from beam_pipelines.candidates.session_record import decode_session
from beam_pipelines.candidates.user_sessions import user_sessions
from tscac_tf.data import session_io
from tscac_tf.retrieval import model_dir
from tscac_tf.specs import session_schema as ss


def _check(outputs):
    assert len(outputs) == 6
    assert {split for split, _ in outputs} == {ss.TRAIN_SPLIT}
    inserted_total = 0
    for _, serialized in outputs:
        s = session_io.parse_session(
            tf.constant(serialized), with_candidates=True, num_candidates=10
        )
        ids = s["candidate_video_ids"].numpy()
        index = s["logged_candidate_index"].numpy()
        inserted = s["candidate_inserted"].numpy()
        assert ids.shape == (len(s["video_id"]), 10)
        np.testing.assert_array_equal(ids[np.arange(len(index)), index], s["video_id"].numpy())
        assert set(np.unique(inserted)) <= {0, 1}
        inserted_total += inserted.sum()
    assert inserted_total > 0  # K = 10 of 60 videos: an untrained index misses some


def test_every_step_gets_k_candidates_with_the_logged_video(inputs):
    files = session_io.session_files(inputs.data_dir, ss.TRAIN_SPLIT)
    records = [
        decode_session(r)
        for r in tf.data.TFRecordDataset(files, compression_type="GZIP").take(6).as_numpy_iterator()
    ]
    # Three "users" of two sessions each (grouping is user_sessions_test's business).
    users = [user_sessions([(ss.TRAIN_SPLIT, r) for r in records[i : i + 2]]) for i in (0, 2, 4)]
    handler = RetrievalModelHandler(
        model_dir.index_path(inputs.model_dir), 20, 10, users_per_batch=2
    )
    with test_pipeline.TestPipeline() as p:
        out = p | beam.Create(users) | AttachCandidates(handler, num_candidates=10, seed=3)
        assert_that(out, _check)
