"""TwoTowerModel: the loss is the log-Q corrected in-batch softmax, written out by hand."""

import numpy as np
import pytest
import tensorflow as tf

from tscac_tf.retrieval import config
from tscac_tf.retrieval.two_tower_model import TwoTowerModel
from tscac_tf.testing import fake_sessions


def test_loss_is_the_corrected_in_batch_softmax(tmp_path):
    world = fake_sessions.FakeWorld(num_users=5, num_videos=12, train_sessions=1, eval_sessions=1)
    tables = fake_sessions.write_fake_sessions(str(tmp_path), world)
    cfg = config.preset("small")
    rng = np.random.default_rng(0)
    q_by_row = rng.uniform(0.01, 0.5, len(tables.video_ids)).astype(np.float32)
    tf.keras.utils.set_random_seed(0)
    model = TwoTowerModel(tables, cfg, q_by_row)
    videos = tables.video_ids[[1, 2, 1, 3]]  # rows 0 and 2 share a video: an accidental hit
    batch = {
        "user_id": tf.constant(tables.user_ids[[1, 2, 3, 4]]),
        "history_video_ids": tf.constant([[tables.video_ids[4], -1]] * 4),
        "history_play_time_ms": tf.constant([[5000, 0]] * 4, tf.int64),
        "video_id": tf.constant(videos),
    }
    loss = model.compute_loss(batch).numpy()

    u = model.query_tower(batch).numpy()
    e = model.candidate_tower(tf.constant(videos)).numpy()
    log_q = np.log(q_by_row[tables.video_rows(videos)])
    # logits[b, c] = <u_b, e_c> / τ - log q(c); other copies of b's own video are masked.
    logits = u @ e.T / cfg.training.temperature - log_q[None, :]
    same = videos[:, None] == videos[None, :]
    logits = np.where(same & ~np.eye(4, dtype=bool), -1e30, logits)
    log_softmax = (
        logits
        - np.log(np.exp(logits - logits.max(1, keepdims=True)).sum(1, keepdims=True))
        - logits.max(1, keepdims=True)
    )
    expected = -np.trace(log_softmax)
    assert loss == pytest.approx(expected, rel=1e-4)


def test_rejects_sampling_probabilities_of_the_wrong_size(tmp_path):
    world = fake_sessions.FakeWorld(num_users=3, num_videos=6, train_sessions=1, eval_sessions=1)
    tables = fake_sessions.write_fake_sessions(str(tmp_path), world)
    with pytest.raises(ValueError, match="one value per video-table row"):
        TwoTowerModel(tables, config.preset("small"), np.ones(3, np.float32))
