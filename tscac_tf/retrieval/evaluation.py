"""Offline evaluation of retrieval: recall@k and NDCG@k against popularity and random.

Every positive step of the evaluation split (long view or click) is one query: the
in-session history before it, with the logged video as the single relevant item. The
baselines are the most frequent training positives and a uniformly random ranking of the
indexed videos, whose metrics are computed exactly in expectation rather than sampled.

Already-seen filter (`RetrievalConfig.eval_exclude_seen`, on by default): a feed does not
show a user a video again, so every method's ranking of a query drops the videos its user
had been shown before the step (every video of the user's earlier sessions in either split,
and the session's earlier steps; tscac_tf/retrieval/eval_queries.py) before the top k is
cut, as a production retrieval stage would and as the candidates step does. The same filter
applies to the model and both baselines; a target the user had already been shown is then a
miss for every method (`share_of_targets_seen_before` reports how often). The unfiltered
metrics are always reported as well (`methods_without_seen_filter`).
"""

from __future__ import annotations

import logging
import time

import numpy as np

from tscac_tf.features.feature_tables import FeatureTables
from tscac_tf.retrieval import eval_queries, retrieval_index
from tscac_tf.retrieval import model_dir as model_dir_lib
from tscac_tf.retrieval.config import RetrievalConfig
from tscac_tf.retrieval.video_frequencies import VideoFrequencies
from tscac_tf.specs import session_schema as ss

TARGET_RATIO = 2.0  # recall@50 of the model vs the popularity baseline (issue target)

_LOG = logging.getLogger(__name__)


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


# Random ranking over the V − e_q indexed videos a query has not excluded: recall@k =
# mean_q s_q·min(k, V − e_q)/(V − e_q), with s_q = 1 when the target is indexed and not
# excluded; NDCG@k likewise with the sum of 1/log2(r + 2) over r < min(k, V − e_q).
def random_filtered_metrics(
    target_ok: np.ndarray, excluded: np.ndarray, num_videos: int, recall_ks, ndcg_k: int
) -> dict:
    remaining = np.maximum(num_videos - np.asarray(excluded, np.int64), 1)
    ok = np.asarray(target_ok, np.float64)
    out = {
        f"recall@{k}": float(np.mean(ok * np.minimum(k, remaining) / remaining)) if len(ok) else 0.0
        for k in recall_ks
    }
    gains = np.concatenate([[0.0], np.cumsum(1.0 / np.log2(np.arange(ndcg_k) + 2.0))])
    dcg = gains[np.minimum(ndcg_k, remaining)]
    out[f"ndcg@{ndcg_k}"] = float(np.mean(ok * dcg / remaining)) if len(ok) else 0.0
    return out


def metrics_from_ranks(ranks: np.ndarray, config: RetrievalConfig) -> dict:
    out = {f"recall@{k}": recall_at_k(ranks, k) for k in config.eval_recall_ks}
    out[f"ndcg@{config.eval_ndcg_k}"] = ndcg_at_k(ranks, config.eval_ndcg_k)
    return out


def model_ranking(index, queries: dict, k, batch_size: int = 2048):
    """Yields (slice, int64 [b, k_b] the index's top k_b) over the queries, in batches.

    k: the top k of every query (int), or int [N] each query's own k; a batch then asks
    for its queries' largest, k_b (a prefix of a longer top k is the shorter top k).
    """
    num = len(queries["video_id"])
    need = np.broadcast_to(np.asarray(k, np.int64), (num,))
    for start in range(0, num, batch_size):
        part = slice(start, start + batch_size)
        out = index.top_k(
            queries["user_id"][part],
            queries["history_video_ids"][part],
            queries["history_play_time_ms"][part],
            np.int32(need[part].max()),
        )
        yield part, out["video_ids"].numpy()


def model_ranks(index, queries: dict, k: int, batch_size: int = 2048) -> np.ndarray:
    """hit_ranks of the logged videos in the index's top k, queried in batches."""
    ranks = [
        hit_ranks(top, queries["video_id"][part])
        for part, top in model_ranking(index, queries, k, batch_size)
    ]
    return np.concatenate(ranks) if ranks else np.zeros([0], np.int64)


def _join(parts: list) -> np.ndarray:
    """The per-batch arrays of the queries, concatenated (empty int64 when there are none)."""
    return np.concatenate(parts) if parts else np.zeros([0], np.int64)


def evaluate(index, data_dir: str, config: RetrievalConfig, split: str = ss.EVAL_SPLIT) -> dict:
    """Metrics of `index` (anything with RetrievalIndex.top_k) and both baselines on `split`.

    Returns:
      {"split", "queries", "indexed_videos", "protocol", "methods": {"two_tower" |
      "popularity" | "random": {"recall@k": ..., "ndcg@k": ...}},
      "methods_without_seen_filter", "share_of_targets_seen_before",
      "recall@50_vs_popularity", "target_met"}. `methods` follows the config's protocol
      (the already-seen filter on or off).
    """
    tables = FeatureTables.load(data_dir)
    queries = eval_queries.read(data_dir, split, config.towers.history_length)
    targets = queries.inputs["video_id"]
    top = max(*config.eval_recall_ks, config.eval_ndcg_k)
    num_videos = len(tables.video_ids) - 1
    indexed = tables.video_rows(targets) > 0
    share_indexed = float(np.mean(indexed))
    shown = queries.shown_counts()
    # Wide enough that `top` unseen videos remain after the filter: per query, so that a
    # batch asks the index for no more than its own users need.
    wide = np.minimum(top + shown, num_videos)
    _LOG.info(
        "%d queries on the %s split; the index's top %d-%d a query (top %d after the filter)",
        len(queries), split, wide.min(initial=top), wide.max(initial=top), top,
    )  # fmt: skip
    # The train split's positives rank the popularity baseline.
    popular = VideoFrequencies.from_ids(queries.train_positive_videos).most_popular(
        int(wide.max(initial=top))
    )
    ranks = {"two_tower": [], "popularity": []}
    raw = {"two_tower": [], "popularity": []}
    start, done, next_log = time.monotonic(), 0, 0.1
    for part, ranked in model_ranking(index, queries.inputs, wide):
        shared = np.broadcast_to(popular, (len(ranked), len(popular)))
        for name, ranking in (("two_tower", ranked), ("popularity", shared)):
            raw[name].append(hit_ranks(ranking[:, :top], targets[part]))
            kept = queries.without_shown(ranking, part, top)
            ranks[name].append(hit_ranks(kept, targets[part]))
        done += len(ranked)
        if done >= next_log * len(queries):
            _LOG.info("ranked %d/%d queries (%.0f s)", done, len(queries), time.monotonic() - start)
            next_log += 0.1
    target_seen = queries.target_shown()
    unfiltered = {name: metrics_from_ranks(_join(r), config) for name, r in raw.items()}
    unfiltered["random"] = random_ranking_metrics(
        share_indexed, num_videos, config.eval_recall_ks, config.eval_ndcg_k
    )
    if config.eval_exclude_seen:
        methods = {name: metrics_from_ranks(_join(r), config) for name, r in ranks.items()}
        methods["random"] = random_filtered_metrics(
            indexed & ~target_seen, shown, num_videos, config.eval_recall_ks, config.eval_ndcg_k
        )
    else:
        methods = unfiltered
    model_r50 = methods["two_tower"].get("recall@50")
    pop_r50 = methods["popularity"].get("recall@50")
    ratio = model_r50 / pop_r50 if model_r50 is not None and pop_r50 else None
    if ratio is not None:
        _LOG.info(
            "recall@50: two-tower %.4f, popularity %.4f: %.3fx (target %gx: %s)",
            model_r50, pop_r50, ratio, TARGET_RATIO, "met" if ratio >= TARGET_RATIO else "not met",
        )  # fmt: skip
    return {
        "split": split,
        "queries": len(queries),
        "indexed_videos": int(num_videos),
        "share_of_targets_indexed": share_indexed,
        "protocol": "already-seen videos filtered" if config.eval_exclude_seen else "unfiltered",
        "share_of_targets_seen_before": float(np.mean(target_seen)),
        "methods": methods,
        "methods_without_seen_filter": unfiltered,
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
