"""The user's tag profile: a score term for what a feed's own candidate generator does.

A short-video feed, like the synthetic world and KuaiRand's, draws much of what it shows
from the user's interest tags. So the chance that video v is shown to user u, and then
watched, grows with how much of u's feed is v's tags. The profile estimates that share
from the train split's exposures (every logged step, not only the long views and clicks:
each one says which tags the feed drew for the user, and there are twice as many):

    n_ut = Σ over u's exposures of s_vt      (s_vt: v's share of tag t, 1/|tags(v)| each)
    P̂(t | u) = (n_ut + a·g_t) / (n_u + a)    (g_t: tag t's share of all exposures, add-one
                                             smoothed, so no tag's log is -inf)

and the two-tower score gains  w · Σ_t s_vt log P̂(t | u),  a learned weight w times the
video's tags' mean log share in the user's feed. It is an inner product, so the index
stays a brute-force inner-product search: the query carries log P̂(· | u) (a table baked
into the query tower, by user-table row; unknown users and users with no train exposure
get log g), the candidate its tag shares (tscac_tf/retrieval/candidate_tower.py).

Measured on the default preset (RESULTS.md, Retrieval, session 13): recall@50 from 1.50x
to 1.71x popularity's (1.785x with session 14's popularity prior and one epoch).
"""

from __future__ import annotations

import numpy as np

from tscac_tf.features.feature_tables import FeatureTables
from tscac_tf.retrieval import eval_queries
from tscac_tf.specs import session_schema as ss


def video_tag_shares(tables: FeatureTables) -> np.ndarray:
    """float64 [V+1, T]: s_vt, each of a video's tags 1/|tags(v)| (a row of 0 without tags).

    T = tables.num_tag_codes; code 0 (no tag) never gets a share.
    """
    codes = tables.video_tags
    present = (codes > 0).astype(np.float64)
    shares = present / np.maximum(present.sum(axis=1, keepdims=True), 1.0)
    out = np.zeros((codes.shape[0], tables.num_tag_codes))
    np.add.at(out, (np.arange(codes.shape[0])[:, None], codes), shares)
    return out


def log_profile(
    tables: FeatureTables, user_ids: np.ndarray, video_ids: np.ndarray, smoothing: float
) -> np.ndarray:
    """float32 [U+1, T]: log P̂(t | u) by user-table row, from the exposures
    (user_ids[i], video_ids[i]).

    Row 0 (unknown users) and every user without an exposure get log g. An exposure of an
    unknown user counts towards g only; one of an unknown video counts nowhere.

    Raises:
      ValueError: the id arrays differ in length, or smoothing <= 0.
    """
    user_ids, video_ids = np.asarray(user_ids), np.asarray(video_ids)
    if user_ids.shape != video_ids.shape:
        raise ValueError(
            f"tag profile: user_ids {user_ids.shape} and video_ids {video_ids.shape} must "
            "have the same shape"
        )
    if smoothing <= 0:
        raise ValueError(f"tag profile: smoothing must be > 0, got {smoothing}")
    shares = video_tag_shares(tables)[tables.video_rows(video_ids)]  # unknown videos: row 0
    counts = np.zeros((len(tables.user_ids), tables.num_tag_codes))
    np.add.at(counts, tables.user_rows(user_ids), shares)
    counts[0] = 0.0  # unknown users' exposures tell nothing about anyone in the table
    total = shares.sum(axis=0) + 1.0
    everyone = total / total.sum()
    profile = (counts + smoothing * everyone) / (counts.sum(axis=1, keepdims=True) + smoothing)
    return np.log(profile).astype(np.float32)


def from_split(
    data_dir: str, tables: FeatureTables, smoothing: float, split: str = ss.TRAIN_SPLIT
) -> np.ndarray:
    """log_profile of every exposure of DATA_DIR's `split` (the train split by default)."""
    sessions = eval_queries.read_sessions(data_dir, split)
    if not sessions:
        return log_profile(tables, np.zeros([0], np.int64), np.zeros([0], np.int64), smoothing)
    users = np.concatenate([np.full(len(s["video_id"]), s["user_id"]) for s in sessions])
    videos = np.concatenate([s["video_id"] for s in sessions])
    return log_profile(tables, users, videos, smoothing)
