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

The counted profile is noisy: a user has about fifty train exposures (47 on the default
preset) over 46 tags. The default (`TowerConfig.tag_profile_method = "fitted"`) fits it
instead, as the user's tag scores θ_u of a log-linear model of the same exposures,

    P(v | u) = softmax over the videos of  a_v + Σ_t s_vt θ_ut,   θ_u = x_u W + δ_u,

with x_u the one-hot of the user's categorical features, by maximum likelihood with L2
penalties on W and δ (fitted_log_profile): users who share features share tastes, so a
user's sparse counts are pooled with those of users like them, and a user with no
exposure gets the features' prediction. The query then carries θ_u in place of
log P̂(· | u); a_v is not kept (the candidate tower has its own prior).

Measured on the default preset (RESULTS.md, Retrieval): the counted profile took recall@50
from 1.50x to 1.71x popularity's (session 13; 1.785x with session 14's popularity prior
and one epoch), the fitted one to 1.835x (session 15).
"""

from __future__ import annotations

import dataclasses
import logging

import numpy as np

from tscac_tf.features.feature_tables import FeatureTables
from tscac_tf.retrieval import eval_queries
from tscac_tf.retrieval.config import PROFILE_FITTED, TowerConfig
from tscac_tf.specs import session_schema as ss

# The fit's Adam step size and the users scored at a time (memory: users × tag rows floats).
FIT_LEARNING_RATE = 0.05
FIT_USERS_PER_CHUNK = 2048
# A progress line every this many steps of the fit.
FIT_LOG_EVERY = 25

_LOG = logging.getLogger(__name__)


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


def feature_indicators(tables: FeatureTables) -> np.ndarray:
    """float32 [U+1, F]: x_u, the one-hot of each user's categorical codes, the columns'
    codes side by side (F = Σ vocabulary sizes, code 0 included)."""
    codes = tables.user_categorical
    sizes = np.asarray(tables.user_vocab_sizes, np.int64)
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    out = np.zeros((codes.shape[0], int(sizes.sum())), np.float32)
    out[np.arange(codes.shape[0])[:, None], codes + offsets] = 1.0
    return out


def fitted_log_profile(
    tables: FeatureTables,
    user_ids: np.ndarray,
    video_ids: np.ndarray,
    l2_user: float,
    l2_features: float,
    steps: int,
) -> np.ndarray:
    """float32 [U+1, T]: θ_u by user-table row, fitted to the exposures
    (user_ids[i], video_ids[i]) (fit_tag_model).

    A user without exposures gets x_u W, the prediction of its features; row 0 (unknown
    users) the mean θ of the users with exposures.

    Raises:
      ValueError: as fit_tag_model.
    """
    return _profile_of(fit_tag_model(tables, user_ids, video_ids, l2_user, l2_features, steps))


def _profile_of(model: dict) -> np.ndarray:
    """fitted_log_profile's table from fit_tag_model's output."""
    theta, seen = model["theta"], model["exposures"] > 0
    theta[0] = theta[seen].mean(axis=0) if seen.any() else 0.0
    return theta


def fit_tag_model(
    tables: FeatureTables,
    user_ids: np.ndarray,
    video_ids: np.ndarray,
    l2_user: float,
    l2_features: float,
    steps: int,
) -> dict[str, np.ndarray]:
    """The log-linear model of the exposures behind the fitted profile.

    Maximises Σ_i log P(v_i | u_i) − l2_features/2 ‖W‖² − l2_user/2 ‖δ‖² with
    P(v | u) = softmax_v(a_v + Σ_t s_vt θ_ut) over the table's videos and
    θ_u = x_u W + δ_u (feature_indicators), by `steps` full-batch Adam steps from
    W = δ = 0 and a = log(n_v + 0.1) (deterministic). Exposures of unknown users or videos
    are left out.

    The fit stops after `steps` and returns the parameters of the step (0..steps) with
    the smallest gradient: Adam at a fixed step size goes unstable once the gradient is
    tiny (on the default preset its norm falls to 0.2% of the start by step 150 and 0.1%
    by step 300, then jumps back to 46% by step 350), and the smallest gradient is the
    nearest to the optimum. "gradient_norm" is the L2 norm of the penalised objective's
    gradient in all parameters at every step (before each update and after the last),
    logged every FIT_LOG_EVERY steps; "best_step" the step returned.

    Returns:
      float32 {"a": [V] by video-table row − 1, "w": [F, T], "delta": [U+1, T],
      "theta": [U+1, T] (x W + δ), "exposures": [U+1] n_u, "tag_counts": [U+1, T]
      Σ_i s_{v_i t} per user}, float64 "gradient_norm" [steps + 1] and int "best_step".

    Raises:
      ValueError: the id arrays differ in length, a penalty is <= 0, or steps < 1.
    """
    user_ids, video_ids = np.asarray(user_ids), np.asarray(video_ids)
    if user_ids.shape != video_ids.shape:
        raise ValueError(
            f"tag profile: user_ids {user_ids.shape} and video_ids {video_ids.shape} must "
            "have the same shape"
        )
    if not (l2_user > 0 and l2_features > 0):
        raise ValueError(
            f"tag profile: the penalties must be > 0, got l2_user={l2_user}, "
            f"l2_features={l2_features}"
        )
    if steps < 1:
        raise ValueError(f"tag profile: steps must be >= 1, got {steps}")
    shares = video_tag_shares(tables)[1:].astype(np.float32)  # [V, T], known videos only
    user_rows, video_rows = tables.user_rows(user_ids), tables.video_rows(video_ids)
    known = (user_rows > 0) & (video_rows > 0)
    user_rows, video_rows = user_rows[known], video_rows[known] - 1
    num_users = len(tables.user_ids)
    exposures = np.bincount(user_rows, minlength=num_users).astype(np.float32)  # n_u
    video_counts = np.bincount(video_rows, minlength=shares.shape[0]).astype(np.float32)
    tag_counts = np.zeros((num_users, shares.shape[1]), np.float32)  # Σ_i s_{v_i t}
    np.add.at(tag_counts, user_rows, shares[video_rows])
    x = feature_indicators(tables)
    # a_v starts at the log frequency, so the first steps go to the tastes.
    params = {
        "a": np.log(video_counts + 0.1),
        "w": np.zeros((x.shape[1], shares.shape[1]), np.float32),
        "delta": np.zeros((num_users, shares.shape[1]), np.float32),
    }

    # Videos with the same tag shares differ only in a_v, so the softmax over the V videos
    # factors into one over their G distinct share rows (111 of 7,583 on the default
    # preset): P(v | u) = P(g | u) · exp(a_v − A_g), with A_g = log Σ_{v in g} exp(a_v) and
    # P(g | u) = softmax_g(A_g + Σ_t s_gt θ_ut). Each step then scores users × G, not
    # users × V. (Exact; only the float rounding differs from the sum over the videos.)
    group_shares, group_of = np.unique(shares, axis=0, return_inverse=True)
    group_of = group_of.reshape(-1)
    num_groups = len(group_shares)

    def gradients() -> dict:
        """∂(−objective) in every parameter at `params`."""
        a = params["a"]
        top = np.full(num_groups, -np.inf, a.dtype)
        np.maximum.at(top, group_of, a)
        within = np.exp(a - top[group_of])  # exp(a_v − max of its group)
        group_log_sum = top + np.log(np.bincount(group_of, within, num_groups)).astype(a.dtype)
        theta = x @ params["w"] + params["delta"]
        group_mass = np.zeros(num_groups, np.float64)  # Σ_u n_u P(g | u)
        grad_theta = np.empty_like(theta)
        for start in range(0, num_users, FIT_USERS_PER_CHUNK):
            rows = slice(start, start + FIT_USERS_PER_CHUNK)
            logits = group_log_sum + theta[rows] @ group_shares.T  # [n, G]
            p = np.exp(logits - logits.max(axis=1, keepdims=True))
            p *= (exposures[rows] / p.sum(axis=1))[:, None]  # n_u · P(g | u)
            group_mass += p.sum(axis=0)
            grad_theta[rows] = p @ group_shares - tag_counts[rows]
        # Σ_u n_u P(v | u) = exp(a_v − A_g) Σ_u n_u P(g | u)
        share_of_group = np.exp(a - group_log_sum[group_of])
        grad_a = (share_of_group * group_mass[group_of]).astype(a.dtype) - video_counts
        return {
            "a": grad_a,
            "w": x.T @ grad_theta + l2_features * params["w"],
            "delta": grad_theta + l2_user * params["delta"],
        }

    adam = _Adam(params, FIT_LEARNING_RATE)
    norms, best = [], (np.inf, -1, params)
    for step in range(steps + 1):
        grads = gradients()
        norms.append(
            float(np.sqrt(sum(np.sum(np.square(g, dtype=np.float64)) for g in grads.values())))
        )
        if norms[-1] < best[0]:
            best = (norms[-1], step, {k: v.copy() for k, v in params.items()})
        if step % FIT_LOG_EVERY == 0 or step == steps:
            _LOG.info(
                "tag profile fit: step %d/%d, gradient norm %.4g (%.2f%% of the start)",
                step, steps, norms[-1], 100.0 * norms[-1] / max(norms[0], 1e-30),
            )  # fmt: skip
        if step < steps:
            adam.step(grads)
    _, best_step, params = best
    if best_step < steps:
        _LOG.info("tag profile fit: keeping step %d, the smallest gradient", best_step)
    theta = (x @ params["w"] + params["delta"]).astype(np.float32)
    return {
        **params,
        "theta": theta,
        "exposures": exposures,
        "tag_counts": tag_counts,
        "gradient_norm": np.asarray(norms, np.float64),
        "best_step": best_step,
    }


class _Adam:
    """Adam (β = 0.9, 0.999) on a dict of NumPy arrays, updated in place."""

    def __init__(self, params: dict, learning_rate: float):
        self._params, self._rate, self._t = params, learning_rate, 0
        self._m = {k: np.zeros_like(v) for k, v in params.items()}
        self._v = {k: np.zeros_like(v) for k, v in params.items()}

    def step(self, grads: dict) -> None:
        self._t += 1
        for k, g in grads.items():
            self._m[k] = 0.9 * self._m[k] + 0.1 * g
            self._v[k] = 0.999 * self._v[k] + 0.001 * g * g
            m_hat = self._m[k] / (1 - 0.9**self._t)
            v_hat = self._v[k] / (1 - 0.999**self._t)
            self._params[k] -= (self._rate * m_hat / (np.sqrt(v_hat) + 1e-8)).astype(
                self._params[k].dtype
            )


def split_exposures(data_dir: str, split: str = ss.TRAIN_SPLIT) -> tuple[np.ndarray, np.ndarray]:
    """(user_ids, video_ids) int64 of every exposure of DATA_DIR's `split`."""
    sessions = eval_queries.read_sessions(data_dir, split)
    if not sessions:
        return np.zeros([0], np.int64), np.zeros([0], np.int64)
    users = np.concatenate([np.full(len(s["video_id"]), s["user_id"]) for s in sessions])
    videos = np.concatenate([s["video_id"] for s in sessions])
    return users.astype(np.int64), videos.astype(np.int64)


def from_split(
    data_dir: str, tables: FeatureTables, smoothing: float, split: str = ss.TRAIN_SPLIT
) -> np.ndarray:
    """log_profile of every exposure of DATA_DIR's `split` (the train split by default)."""
    return log_profile(tables, *split_exposures(data_dir, split), smoothing)


@dataclasses.dataclass(frozen=True)
class TowerProfile:
    """The profile the towers carry, and how its fit ended.

    Attributes:
      table: float32 [U+1, T] by user-table row (fitted_log_profile or log_profile).
      gradient_norm, best_step: the fit's gradient norms and the step kept
        (fit_tag_model), None for counts.
    """

    table: np.ndarray
    gradient_norm: np.ndarray | None = None
    best_step: int | None = None

    def fit_summary(self) -> dict | None:
        """{"steps", "kept_step", "gradient_norm_start", "gradient_norm_kept",
        "gradient_norm_ratio" (kept / start)} of the fit (JSON-able), or None for a counted
        profile."""
        if self.gradient_norm is None:
            return None
        start, kept = float(self.gradient_norm[0]), float(self.gradient_norm[self.best_step])
        return {
            "steps": len(self.gradient_norm) - 1,
            "kept_step": int(self.best_step),
            "gradient_norm_start": start,
            "gradient_norm_kept": kept,
            "gradient_norm_ratio": kept / start if start > 0 else 0.0,
        }


def for_towers(
    data_dir: str, tables: FeatureTables, towers: TowerConfig, split: str = ss.TRAIN_SPLIT
) -> TowerProfile:
    """The profile `towers` asks for (fitted or counted), from DATA_DIR's `split` exposures."""
    users, videos = split_exposures(data_dir, split)
    if towers.tag_profile_method == PROFILE_FITTED:
        model = fit_tag_model(
            tables,
            users,
            videos,
            towers.tag_profile_l2,
            towers.tag_profile_feature_l2,
            towers.tag_profile_steps,
        )
        return TowerProfile(_profile_of(model), model["gradient_norm"], model["best_step"])
    return TowerProfile(log_profile(tables, users, videos, towers.tag_profile_smoothing))
