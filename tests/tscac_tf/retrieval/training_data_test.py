"""Retrieval examples: positives with the reader's histories, known videos, full batches."""

import numpy as np
import pytest

from tscac_tf.data import session_io
from tscac_tf.retrieval import config, training_data
from tscac_tf.specs import session_schema as ss
from tscac_tf.testing import fake_sessions

WORLD = fake_sessions.FakeWorld(num_users=6, num_videos=20, train_sessions=2, eval_sessions=1)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("data"))
    return path, fake_sessions.write_fake_sessions(path, WORLD)


def test_positive_examples_are_the_long_views_and_clicks(data):
    path, _ = data
    sessions = session_io.read_sessions_numpy(session_io.session_files(path, ss.TRAIN_SPLIT))
    expected = sorted(
        (int(s["user_id"]), int(v))
        for s in sessions
        for v, lv, click in zip(s["video_id"], s["long_view"], s["is_click"], strict=True)
        if lv or click
    )
    got = training_data.collect(training_data.positive_examples(path, ss.TRAIN_SPLIT, 5))
    assert sorted(zip(got["user_id"].tolist(), got["video_id"].tolist(), strict=True)) == expected
    assert got["history_video_ids"].shape == (len(expected), 5)


def test_exposures_mode_keeps_every_step_in_order(data):
    path, _ = data
    sessions = session_io.read_sessions_numpy(session_io.session_files(path, ss.TRAIN_SPLIT))
    expected = sorted((int(s["user_id"]), int(v)) for s in sessions for v in s["video_id"])
    got = training_data.collect(
        training_data.positive_examples(path, ss.TRAIN_SPLIT, 5, positives=config.EXPOSURES)
    )
    assert sorted(zip(got["user_id"].tolist(), got["video_id"].tolist(), strict=True)) == expected
    engaged = training_data.collect(training_data.positive_examples(path, ss.TRAIN_SPLIT, 5))
    assert len(engaged["video_id"]) < len(expected)  # the fake world has unengaged steps
    with pytest.raises(ValueError, match="positives must be one of"):
        training_data.positive_examples(path, ss.TRAIN_SPLIT, 5, positives="clicks")


def test_in_table_keeps_the_known_videos_only(data):
    path, tables = data
    every = training_data.collect(training_data.positive_examples(path, ss.TRAIN_SPLIT, 5))
    known = training_data.in_table(every, tables)
    assert np.isin(known["video_id"], tables.video_ids[1:]).all()
    assert len(known["video_id"]) == np.isin(every["video_id"], tables.video_ids[1:]).sum()
    assert len(known["video_id"]) < len(every["video_id"])  # the world logs unknown videos


def test_training_batches_are_full_and_refuse_too_little_data(data):
    path, _ = data
    examples = training_data.positive_examples(path, ss.TRAIN_SPLIT, 4, shuffle=True, seed=1)
    batch = next(iter(training_data.training_batches(examples, 8, count=100)))
    assert batch["history_video_ids"].shape == (8, 4) and batch["video_id"].shape == (8,)
    assert sorted(batch) == sorted(training_data.EXAMPLE_KEYS)
    with pytest.raises(ValueError, match="fewer than one batch"):
        training_data.training_batches(examples, 10_000, count=300)
