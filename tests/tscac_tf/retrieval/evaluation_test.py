"""Retrieval metrics against hand-worked numbers and a simulated random ranking."""

import types

import numpy as np
import pytest

from tscac_tf.retrieval import evaluation


def test_hit_ranks_and_ranks_in_list():
    retrieved = np.array([[4, 5, 6], [7, 8, 9], [1, 2, 3]])
    np.testing.assert_array_equal(evaluation.hit_ranks(retrieved, np.array([6, 1, 1])), [2, -1, 0])
    np.testing.assert_array_equal(
        evaluation.ranks_in_list(np.array([9, 4]), np.array([4, 3, 9])), [1, -1, 0]
    )


def test_recall_and_ndcg_by_hand():
    ranks = np.array([0, 1, 3, -1])
    assert evaluation.recall_at_k(ranks, 2) == pytest.approx(0.5)
    assert evaluation.recall_at_k(ranks, 4) == pytest.approx(0.75)
    # (1/log2(2) + 1/log2(3) + 1/log2(5) + 0) / 4
    expected = (1.0 + 1.0 / np.log2(3) + 1.0 / np.log2(5)) / 4
    assert evaluation.ndcg_at_k(ranks, 4) == pytest.approx(expected)
    assert evaluation.ndcg_at_k(ranks, 1) == pytest.approx(0.25)


def test_random_ranking_metrics_match_simulation():
    exact = evaluation.random_ranking_metrics(0.8, 40, (5, 50), 10)
    assert exact["recall@5"] == pytest.approx(0.8 * 5 / 40)
    assert exact["recall@50"] == pytest.approx(0.8)  # k beyond V: every indexed target
    rng = np.random.default_rng(0)
    n = 20000
    targets = np.where(rng.random(n) < 0.8, rng.integers(0, 40, n), -5)
    rankings = np.argsort(rng.random((n, 40)), axis=1)
    ranks = evaluation.hit_ranks(rankings, targets)
    assert evaluation.recall_at_k(ranks, 5) == pytest.approx(exact["recall@5"], abs=0.01)
    assert evaluation.ndcg_at_k(ranks, 10) == pytest.approx(exact["ndcg@10"], abs=0.01)


def test_random_filtered_metrics_match_simulation():
    rng = np.random.default_rng(1)
    n, num_videos = 20000, 40
    excluded = rng.integers(0, 30, n)
    target_ok = rng.random(n) < 0.7
    exact = evaluation.random_filtered_metrics(target_ok, excluded, num_videos, (5, 20), 10)
    # A uniformly random order of the 40 - e remaining videos puts the target at each of
    # its positions with the same probability.
    ranks = np.where(target_ok, rng.integers(0, num_videos - excluded), -1)
    assert evaluation.recall_at_k(ranks, 5) == pytest.approx(exact["recall@5"], abs=0.01)
    assert evaluation.recall_at_k(ranks, 20) == pytest.approx(exact["recall@20"], abs=0.01)
    assert evaluation.ndcg_at_k(ranks, 10) == pytest.approx(exact["ndcg@10"], abs=0.01)


def test_model_ranking_asks_each_batch_for_its_own_widest_query():
    """Per-query k: a batch asks the index for its queries' largest k, not every query's."""
    asked = []

    class CountingIndex:  # video ids 100, 101, ... in order; records the k it was asked
        def top_k(self, user_id, history_video_ids, history_play_time_ms, k):
            asked.append(int(k))
            ranked = np.tile(np.arange(100, 100 + k), (len(user_id), 1))
            return {"video_ids": types.SimpleNamespace(numpy=lambda: ranked)}  # a tensor's API

    n = 5
    queries = {
        "video_id": np.arange(n),
        "user_id": np.arange(n),
        "history_video_ids": np.zeros((n, 2), np.int64),
        "history_play_time_ms": np.zeros((n, 2), np.int64),
    }
    need = np.array([3, 7, 2, 2, 4])
    got = list(evaluation.model_ranking(CountingIndex(), queries, need, batch_size=2))
    assert asked == [7, 2, 4]
    assert [(p.start, p.stop) for p, _ in got] == [(0, 2), (2, 4), (4, 6)]
    assert [r.shape for _, r in got] == [(2, 7), (2, 2), (1, 4)]
    # an int k is every query's
    asked.clear()
    widths = [r.shape[1] for _, r in evaluation.model_ranking(CountingIndex(), queries, 6, 2)]
    assert widths == asked == [6, 6, 6]
