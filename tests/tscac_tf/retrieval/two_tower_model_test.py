"""TwoTowerModel: the loss is the log-Q corrected in-batch softmax, written out by hand;
the popularity prior is the centred log frequency, in b(v) only."""

import dataclasses

import numpy as np
import pytest
import tensorflow as tf

from tscac_tf.retrieval import config
from tscac_tf.retrieval.candidate_tower import CandidateTower
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


def test_popularity_prior_adds_the_centred_log_frequency_to_the_video_prior(tmp_path):
    world = fake_sessions.FakeWorld(num_users=4, num_videos=9, train_sessions=1, eval_sessions=1)
    tables = fake_sessions.write_fake_sessions(str(tmp_path), world)
    with_prior = config.preset("small")
    assert with_prior.towers.popularity_prior
    without = dataclasses.replace(
        with_prior, towers=dataclasses.replace(with_prior.towers, popularity_prior=False)
    )
    q_by_row = np.random.default_rng(1).uniform(0.01, 0.5, len(tables.video_ids))
    videos = tf.constant(np.append(tables.video_ids[1:], -1))  # and the unknown row
    embedded = {}
    for name, cfg in (("with", with_prior), ("without", without)):
        tf.keras.utils.set_random_seed(3)  # the same learned weights in both models
        model = TwoTowerModel(tables, cfg, q_by_row.astype(np.float32))
        embedded[name] = model.candidate_tower(videos).numpy()
    d = with_prior.towers.embedding_dim
    log_q = np.log(q_by_row.astype(np.float32).astype(np.float64))
    fixed = with_prior.training.temperature * (log_q - log_q[1:].mean())
    rows = np.append(np.arange(1, len(tables.video_ids)), 0)
    np.testing.assert_allclose(
        embedded["with"][:, d] - embedded["without"][:, d], fixed[rows], atol=1e-5
    )
    # only b(v) moves: the direction and the tag shares are the same
    np.testing.assert_array_equal(embedded["with"][:, :d], embedded["without"][:, :d])
    np.testing.assert_array_equal(embedded["with"][:, d + 1 :], embedded["without"][:, d + 1 :])


def test_candidate_tower_rejects_a_prior_of_the_wrong_size(tmp_path):
    world = fake_sessions.FakeWorld(num_users=3, num_videos=6, train_sessions=1, eval_sessions=1)
    tables = fake_sessions.write_fake_sessions(str(tmp_path), world)
    with pytest.raises(ValueError, match="popularity_prior must be"):
        CandidateTower(tables, config.preset("small").towers, popularity_prior=np.zeros(3))
