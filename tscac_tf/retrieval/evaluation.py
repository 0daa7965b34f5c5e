"""Offline evaluation of retrieval: recall@k and NDCG@k against popularity and random.

Every positive step of the evaluation split (long view or click) is one query: the
in-session history before it, with the logged video as the single relevant item. The
baselines are the most frequent training positives (the same list for every query,
excluding nothing) and a uniformly random ranking of the indexed videos, whose metrics are
computed exactly in expectation rather than sampled.
"""

from __future__ import annotations

import numpy as np

from tscac_tf.features.feature_tables import FeatureTables
from tscac_tf.retrieval import model_dir as model_dir_lib
from tscac_tf.retrieval import retrieval_index, training_data
from tscac_tf.retrieval.config import RetrievalConfig
from tscac_tf.retrieval.video_frequencies import VideoFrequencies
from tscac_tf.specs import session_schema as ss

TARGET_RATIO = 2.0  # recall@50 of the model vs the popularity baseline (issue target)


def hit_ranks(retrieved: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """int64 [N]: the 0-based position of targets[n] in retrieved[n] ([N, k]), -1 if absent."""
    hits = np.asarray(retrieved) == np.asarray(targets)[:, None]
    return np.where(hits.any(axis=1), hits.argmax(axis=1), -1).astype(np.int64)


def ranks_in_list(ranking: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """hit_ranks for one ranking [k] shared by every query (the popularity baseline)."""
    position = {int(v): i for i, v in enumerate(ranking)}
    return np.array([position.get(int(t), -1) for t in targets], np.int64)


# recall@k = (1/N) Σ_n 1[0 <= rank_n < k]
def recall_at_k(ranks: np.ndarray, k: int) -> float:
    return float(np.mean((ranks >= 0) & (ranks < k))) if len(ranks) else 0.0


# NDCG@k with one relevant item: DCG_n = 1 / log2(rank_n + 2) when rank_n < k, IDCG = 1.
def ndcg_at_k(ranks: np.ndarray, k: int) -> float:
    if not len(ranks):
        return 0.0
    hit = (ranks >= 0) & (ranks < k)
    return float(np.mean(np.where(hit, 1.0 / np.log2(np.maximum(ranks, 0) + 2.0), 0.0)))


# A uniformly random ranking of V videos puts an indexed target at each rank r < V with
# probability 1/V: recall@k = s·min(k, V)/V, NDCG@k = s·(1/V)·Σ_{r<min(k,V)} 1/log2(r+2),
# with s the share of targets that are indexed at all.
def random_ranking_metrics(
    share_indexed: float, num_videos: int, recall_ks: tuple[int, ...], ndcg_k: int
) -> dict:
    out = {f"recall@{k}": share_indexed * min(k, num_videos) / num_videos for k in recall_ks}
    gains = 1.0 / np.log2(np.arange(min(ndcg_k, num_videos)) + 2.0)
    out[f"ndcg@{ndcg_k}"] = float(share_indexed * gains.sum() / num_videos)
    return out


def metrics_from_ranks(ranks: np.ndarray, config: RetrievalConfig) -> dict:
    out = {f"recall@{k}": recall_at_k(ranks, k) for k in config.eval_recall_ks}
    out[f"ndcg@{config.eval_ndcg_k}"] = ndcg_at_k(ranks, config.eval_ndcg_k)
    return out


def model_ranks(index, queries: dict, k: int, batch_size: int = 2048) -> np.ndarray:
    """hit_ranks of the logged videos in the index's top k, queried in batches."""
    ranks = []
    for start in range(0, len(queries["video_id"]), batch_size):
        part = slice(start, start + batch_size)
        out = index.top_k(
            queries["user_id"][part],
            queries["history_video_ids"][part],
            queries["history_play_time_ms"][part],
            np.int32(k),
        )
        ranks.append(hit_ranks(out["video_ids"].numpy(), queries["video_id"][part]))
    return np.concatenate(ranks) if ranks else np.zeros([0], np.int64)


def evaluate(index, data_dir: str, config: RetrievalConfig, split: str = ss.EVAL_SPLIT) -> dict:
    """Metrics of `index` (anything with RetrievalIndex.top_k) and both baselines on `split`.

    Returns:
      {"split", "queries", "indexed_videos", "methods": {"two_tower" | "popularity" |
      "random": {"recall@k": ..., "ndcg@k": ...}}, "recall@50_vs_popularity", "target_met"}.
    """
    tables = FeatureTables.load(data_dir)
    history = config.towers.history_length
    train = training_data.collect(
        training_data.positive_examples(data_dir, ss.TRAIN_SPLIT, history)
    )
    queries = training_data.collect(training_data.positive_examples(data_dir, split, history))
    top = max(*config.eval_recall_ks, config.eval_ndcg_k)
    popular = VideoFrequencies.from_ids(train["video_id"]).most_popular(top)
    num_videos = len(tables.video_ids) - 1
    share_indexed = (
        float(np.mean(tables.video_rows(queries["video_id"]) > 0))
        if len(queries["video_id"])
        else 0.0
    )
    methods = {
        "two_tower": metrics_from_ranks(model_ranks(index, queries, top), config),
        "popularity": metrics_from_ranks(ranks_in_list(popular, queries["video_id"]), config),
        "random": random_ranking_metrics(
            share_indexed, num_videos, config.eval_recall_ks, config.eval_ndcg_k
        ),
    }
    model_r50 = methods["two_tower"].get("recall@50")
    pop_r50 = methods["popularity"].get("recall@50")
    ratio = model_r50 / pop_r50 if model_r50 is not None and pop_r50 else None
    return {
        "split": split,
        "queries": int(len(queries["video_id"])),
        "indexed_videos": int(num_videos),
        "share_of_targets_indexed": share_indexed,
        "methods": methods,
        "recall@50_vs_popularity": ratio,
        "target_ratio": TARGET_RATIO,
        "target_met": bool(ratio is not None and ratio >= TARGET_RATIO),
    }


def evaluate_model_dir(
    data_dir: str, model_dir: str, metrics_file: str, split: str = ss.EVAL_SPLIT
) -> dict:
    """Loads MODEL_DIR's exported index and config, evaluates, writes the metrics JSON."""
    config = model_dir_lib.read_config(model_dir)
    index = retrieval_index.load(model_dir_lib.index_path(model_dir))
    metrics = evaluate(index, data_dir, config, split)
    model_dir_lib.write_json(metrics_file, metrics)
    return metrics
