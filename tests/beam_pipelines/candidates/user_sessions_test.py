"""GroupUserSessions: one element per user, sessions in time order, earlier videos seen."""

import apache_beam as beam
import tensorflow as tf
from apache_beam.testing import test_pipeline
from apache_beam.testing.util import assert_that

from beam_pipelines.candidates.session_record import decode_session
from beam_pipelines.candidates.user_sessions import GroupUserSessions, user_sessions
from tscac_tf.data import session_io
from tscac_tf.specs import session_schema as ss


def _split_records(data_dir):
    pairs = []
    for split in (ss.EVAL_SPLIT, ss.TRAIN_SPLIT):  # eval first: order must not matter
        files = session_io.session_files(data_dir, split)
        dataset = tf.data.TFRecordDataset(files, compression_type="GZIP")
        pairs += [(split, decode_session(r)) for r in dataset.as_numpy_iterator()]
    return pairs


def test_sessions_are_in_time_order_with_every_earlier_video(inputs):
    pairs = _split_records(inputs.data_dir)
    users = {p[1].context["user_id"] for p in pairs}
    for user_id in users:
        mine = [p for p in pairs if p[1].context["user_id"] == user_id]
        grouped = user_sessions(mine[::-1])
        dates = [r.context["date"] for r in grouped.records]
        assert dates == sorted(dates) and len(dates) == len(mine)
        # Train sessions come before eval sessions in the fake world's calendar.
        assert grouped.splits == sorted(grouped.splits, key=[ss.TRAIN_SPLIT, ss.EVAL_SPLIT].index)
        shown = set()
        for record, seen in zip(grouped.records, grouped.seen_before, strict=True):
            assert seen.tolist() == sorted(shown)
            shown |= set(record.steps["video_id"].tolist())
        assert grouped.num_steps == sum(r.num_steps for r in grouped.records)
        if len(mine) > 1:  # cold users have one eval session only
            assert len(grouped.seen_before[-1]) > 0


def test_beam_transform_groups_each_user_once(inputs):
    pairs = _split_records(inputs.data_dir)
    expected = {}
    for split, record in pairs:
        expected.setdefault(record.context["user_id"], []).append((split, record.session_id))

    def check(groups):
        got = {
            g.records[0].context["user_id"]: sorted(
                zip(g.splits, [r.session_id for r in g.records], strict=True)
            )
            for g in groups
        }
        assert got == {user: sorted(sessions) for user, sessions in expected.items()}

    with test_pipeline.TestPipeline() as p:
        out = p | beam.Create(pairs) | GroupUserSessions()
        assert_that(out, check)
