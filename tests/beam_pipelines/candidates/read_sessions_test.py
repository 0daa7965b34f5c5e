"""ReadSessions: valid records become SessionRecords, malformed ones dead letters."""

import apache_beam as beam
import tensorflow as tf
from apache_beam.testing import test_pipeline
from apache_beam.testing.util import assert_that, equal_to

from beam_pipelines.candidates.read_sessions import DEAD_LETTERS, SESSIONS, ReadSessions
from tscac_tf.data import session_io
from tscac_tf.specs import session_schema as ss


def _session(session_id: str) -> bytes:
    steps = {name: [1, 2] for name in ss.STEP_INT64}
    steps["behavior_propensity"] = [-1.0, -1.0]
    context = {"user_id": 1, "date": 20220410, "session_index": 0, "session_id": session_id}
    return session_io.encode_session(context, steps)


def test_good_records_pass_and_bad_ones_are_dead_letters(tmp_path):
    path = str(tmp_path / "sessions-00000-of-00001.tfrecord.gz")
    missing_field = tf.train.SequenceExample.FromString(_session("c"))
    del missing_field.feature_lists.feature_list["is_hate"]
    with tf.io.TFRecordWriter(path, "GZIP") as writer:
        for record in (
            _session("a"),
            b"\x08\xff\xff",
            _session("b"),
            missing_field.SerializeToString(),
        ):
            writer.write(record)
    with test_pipeline.TestPipeline() as p:
        out = p | ReadSessions(str(tmp_path / "sessions-*.tfrecord.gz"), "train")
        assert_that(
            out[SESSIONS] | beam.Map(lambda r: r.session_id), equal_to(["a", "b"]), label="Good"
        )
        assert_that(
            out[DEAD_LETTERS]
            | beam.Map(lambda d: (d["split"], d["reason"], "is_hate" in d["detail"])),
            equal_to([("train", "malformed_session", False), ("train", "malformed_session", True)]),
            label="Bad",
        )
