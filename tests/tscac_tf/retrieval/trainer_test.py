"""Training on sessions with learnable preferences: recall beats popularity; seeded runs agree."""

import dataclasses
import logging

import numpy as np
import pytest

from tscac_tf.retrieval import config, evaluation, trainer
from tscac_tf.testing import fake_sessions


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("data"))
    fake_sessions.write_fake_sessions(path)  # 60 users, 300 videos, 10 preferred categories
    return path


def test_recall_beats_popularity_and_random(data_dir, caplog):
    cfg = config.preset("small")
    with caplog.at_level(logging.INFO, logger="tscac_tf.retrieval"):
        trained = trainer.fit(data_dir, cfg)
    losses = trained.metrics["loss_per_epoch"]
    assert len(losses) == cfg.training.epochs and losses[-1] < losses[0]
    assert trained.metrics["indexed_videos"] == 300
    # how far the tag profile's fit got, in the metrics and in the progress log
    fit = trained.metrics["tag_profile_fit"]
    assert fit["steps"] == cfg.towers.tag_profile_steps
    assert 0 < fit["gradient_norm_kept"] < fit["gradient_norm_start"]
    assert 0 <= fit["kept_step"] <= fit["steps"]
    assert fit["gradient_norm_ratio"] == pytest.approx(
        fit["gradient_norm_kept"] / fit["gradient_norm_start"]
    )
    logged = caplog.text
    assert f"tag profile fit: step {fit['steps']}/{fit['steps']}" in logged
    for epoch in range(1, cfg.training.epochs + 1):
        assert f"epoch {epoch}/{cfg.training.epochs}: loss" in logged
    assert "index over 300 videos" in logged
    metrics = evaluation.evaluate(trained.index, data_dir, cfg)
    model, popularity, random = (
        metrics["methods"][m] for m in ("two_tower", "popularity", "random")
    )
    assert metrics["queries"] > 300
    assert model["recall@10"] > 1.5 * popularity["recall@10"]
    assert model["recall@50"] > popularity["recall@50"] > random["recall@50"]
    assert model["ndcg@50"] > 1.5 * popularity["ndcg@50"]


def test_same_seed_same_index(data_dir):
    base = config.preset("small")
    cfg = dataclasses.replace(base, training=dataclasses.replace(base.training, epochs=1))
    a, b = trainer.fit(data_dir, cfg), trainer.fit(data_dir, cfg)
    query = (np.array([5, 8]), np.array([[11, -1], [-1, -1]]), np.array([[9000, 0], [0, 0]]))
    top_a = a.index.top_k(*query, np.int32(20))
    top_b = b.index.top_k(*query, np.int32(20))
    np.testing.assert_array_equal(top_a["video_ids"], top_b["video_ids"])
    np.testing.assert_allclose(top_a["scores"], top_b["scores"], rtol=1e-6)
