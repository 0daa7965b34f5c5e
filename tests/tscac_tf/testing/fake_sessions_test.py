"""The fake ExampleGen directory: contract-valid sessions with the promised structure."""

import os

import numpy as np

from tscac_tf.data import session_io
from tscac_tf.features.feature_tables import FeatureTables
from tscac_tf.specs import session_schema as ss
from tscac_tf.testing import fake_sessions


def test_fake_directory_is_a_valid_examplegen_output(tmp_path):
    world = fake_sessions.FakeWorld(num_users=10, num_videos=30, num_tags=3)
    tables = fake_sessions.write_fake_sessions(str(tmp_path), world)
    assert os.path.exists(tmp_path / fake_sessions.STATS_FILE)
    assert len(FeatureTables.load(str(tmp_path)).video_ids) == 31 == len(tables.video_ids)
    train = session_io.read_sessions_numpy(session_io.session_files(str(tmp_path), ss.TRAIN_SPLIT))
    evals = session_io.read_sessions_numpy(session_io.session_files(str(tmp_path), ss.EVAL_SPLIT))
    assert len(train) == 10 * world.train_sessions
    assert len(evals) == (10 + world.cold_users) * world.eval_sessions
    assert {int(s["user_id"]) for s in evals} - {int(s["user_id"]) for s in train}  # cold
    # Preferred-category exposures are mostly positives, the others mostly not.
    tag_of = dict(zip(tables.video_ids[1:].tolist(), range(30), strict=True))
    user_index = {u: i for i, u in enumerate(tables.user_ids[1:].tolist())}
    liked, other = [], []
    for s in train:
        for video, positive in zip(s["video_id"], s["long_view"] | s["is_click"], strict=True):
            if video in tag_of:
                preferred = tag_of[video] % 3 == user_index[int(s["user_id"])] % 3
                (liked if preferred else other).append(positive)
    assert np.mean(liked) > 0.8 and np.mean(other) < 0.3
