"""Training on sessions with learnable preferences: recall beats popularity; seeded runs agree."""

import dataclasses

import numpy as np
import pytest

from tscac_tf.retrieval import config, evaluation, trainer
from tscac_tf.testing import fake_sessions


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("data"))
    fake_sessions.write_fake_sessions(path)  # 60 users, 300 videos, 10 preferred categories
    return path


def test_recall_beats_popularity_and_random(data_dir):
    cfg = config.preset("small")
    trained = trainer.fit(data_dir, cfg)
    losses = trained.metrics["loss_per_epoch"]
    assert len(losses) == cfg.training.epochs and losses[-1] < losses[0]
    assert trained.metrics["indexed_videos"] == 300
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
