"""RetrievalModelHandler: per-step retrieval for a batch of sessions, equal to the index."""

import numpy as np
import tensorflow as tf

from beam_pipelines.candidates.retrieval_model_handler import RetrievalModelHandler
from beam_pipelines.candidates.session_record import decode_session
from tscac_tf.data import session_io
from tscac_tf.retrieval import model_dir, session_queries
from tscac_tf.specs import session_schema as ss


def _records(data_dir, count):
    files = session_io.session_files(data_dir, ss.TRAIN_SPLIT)
    dataset = tf.data.TFRecordDataset(files, compression_type="GZIP").take(count)
    return [decode_session(r) for r in dataset.as_numpy_iterator()]


def test_batch_of_sessions_equals_per_step_queries(inputs):
    handler = RetrievalModelHandler(
        model_dir.index_path(inputs.model_dir), 20, 10, max_queries_per_call=7
    )
    model = handler.load_model()
    records = _records(inputs.data_dir, 3)
    results = list(handler.run_inference(records, model))
    assert [r.example.session_id for r in results] == [r.session_id for r in records]
    for record, result in zip(records, results, strict=True):
        assert result.inference.shape == (record.num_steps, 10)
        session = {**record.steps, "user_id": record.context["user_id"]}
        q = session_queries.session_queries(session, 20)
        expected = inputs.index.top_k(
            q["user_id"], q["history_video_ids"], q["history_play_time_ms"], np.int32(10)
        )["video_ids"].numpy()
        np.testing.assert_array_equal(result.inference, expected)
    assert handler.batch_elements_kwargs()["max_batch_size"] == 64
