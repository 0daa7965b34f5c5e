"""The world's users and videos: real KuaiRand-Pure rows with latents derived from features.

Users and videos are rows of the real tables shipped in tscac_tf/datasets/kuairand_pure/
(a seeded subset for small presets). Each gets latents from its real features plus seeded
noise, so that the features really predict behaviour:

- user: tag interests (every value of every `interest_columns` feature carries a random
  tag-interest effect, so users who share feature values share tastes), an activity level
  from user_active_degree (sessions, session length, interactions), patience (attention),
  and per-interaction propensities tied to follow / fan / friend counts and authorship;
- video: its real tags, duration and author; watch quality from upload_type, author and
  music_type effects; style (interactive +, immersive -) falling with log duration and set
  partly by upload_type; per-interaction appeal (authors carry follow charisma); popularity.

Category effects are N(0, 1) draws keyed by (seed, column, value), so a value keeps its
effect whichever subset of rows is sampled.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.resources
import os

import numpy as np
import pandas as pd

from tscac_tf.simulator import random_streams as rs
from tscac_tf.simulator.gaussian import normal_ppf
from tscac_tf.simulator.world_config import INTERACTIONS, PopulationConfig

USER_TABLE = "user_features_pure.csv"
VIDEO_TABLE = "video_features_basic_pure.csv"
MAX_TAGS = 3  # real videos carry 1..3 tags

# Activity level per user_active_degree (an ordering assumption: KuaiRand does not define
# the levels further); is_lowactive_period = 1 lowers it by 0.5.
ACTIVITY_LEVELS = {
    "high_active": 1.0,
    "full_active": 0.7,
    "middle_active": 0.0,
    "2_14_day_new": -0.3,
    "low_active": -0.6,
    "30day_retention": -0.6,
    "day_new": -0.8,
    "single_low_active": -1.0,
}
# Count feature whose log standardises into each interaction's propensity.
_PROPENSITY_FEATURE = {
    "like": "fans_user_num",
    "follow": "follow_user_num",
    "forward": "friend_user_num",
    "comment": "is_video_author",
}


def table_path(name: str) -> str:
    """Path of a real KuaiRand-Pure table shipped in the package."""
    root = importlib.resources.files("tscac_tf") / "datasets" / "kuairand_pure"
    return os.fspath(root / name)


@dataclasses.dataclass(frozen=True)
class Videos:
    """The world's videos, row v = world video index (sorted by real id).

    Attributes:
      ids: int64 [V] real video ids; table_rows: int64 [V] rows in the real table.
      tag_names: [T] tag ids as strings; tag_index: int64 [V, 3] (T = no tag);
      tag_weight: float64 [V, 3], 1/number of tags (0 where none).
      duration_ms: int64 [V] (imputed where the table has none); author: int64 [V] index.
      quality, style: float64 [V]; appeal: float64 [V, len(INTERACTIONS)], log-mean-exp 0.
      popularity: float64 [V], probabilities summing to 1.
    """

    ids: np.ndarray
    table_rows: np.ndarray
    tag_names: tuple[str, ...]
    tag_index: np.ndarray
    tag_weight: np.ndarray
    duration_ms: np.ndarray
    author: np.ndarray
    quality: np.ndarray
    style: np.ndarray
    appeal: np.ndarray
    popularity: np.ndarray

    @property
    def num_tags(self) -> int:
        return len(self.tag_names)

    @property
    def num_authors(self) -> int:
        return int(self.author.max()) + 1

    def index_of(self, video_ids: np.ndarray) -> np.ndarray:
        """World index of real video ids; -1 for ids that are not in the world."""
        return _index_of(self.ids, video_ids)


@dataclasses.dataclass(frozen=True)
class Users:
    """The world's users, row u = world user index (sorted by real id).

    Attributes:
      ids: int64 [U] real user ids; table_rows: int64 [U] rows in the real table.
      interest: float64 [U, T] initial tag interest (logits).
      activity: float64 [U]; patience: float64 [U] (log-seconds of attention).
      propensity: float64 [U, len(INTERACTIONS)], log-mean-exp 0 per interaction.
    """

    ids: np.ndarray
    table_rows: np.ndarray
    interest: np.ndarray
    activity: np.ndarray
    patience: np.ndarray
    propensity: np.ndarray

    def index_of(self, user_ids: np.ndarray) -> np.ndarray:
        """World index of real user ids; -1 for ids that are not in the world."""
        return _index_of(self.ids, user_ids)


@dataclasses.dataclass(frozen=True)
class Population:
    users: Users
    videos: Videos

    def fingerprint(self) -> str:
        """sha256 of the user and video ids: detects a rebuilt world that differs."""
        digest = hashlib.sha256(self.users.ids.tobytes())
        digest.update(self.videos.ids.tobytes())
        return digest.hexdigest()


def _index_of(sorted_ids: np.ndarray, ids: np.ndarray) -> np.ndarray:
    ids = np.asarray(ids, np.int64)
    pos = np.clip(np.searchsorted(sorted_ids, ids), 0, len(sorted_ids) - 1)
    return np.where(sorted_ids[pos] == ids, pos, -1).astype(np.int64)


def _sample_rows(ids: np.ndarray, count: int | None, seed: int, kind: int) -> np.ndarray:
    """Rows of the `count` ids with the smallest seeded hash (all rows when None), by id."""
    if count is None or count >= len(ids):
        return np.argsort(ids, kind="stable")
    rank = rs.hash_keys(seed, rs.Stream.SUBSET, kind, ids)
    chosen = np.argsort(rank, kind="stable")[:count]
    return chosen[np.argsort(ids[chosen], kind="stable")]


def category_effects(seed: int, column: str, values, width: int = 1) -> np.ndarray:
    """N(0, 1) effects [n, width] of each value of a categorical column, keyed by value."""
    strings = pd.Series(values).astype(object).map(str).to_numpy()
    distinct, inverse = np.unique(strings, return_inverse=True)
    keys = np.array([rs.category_key(column, v) for v in distinct], np.uint64)
    u = rs.uniform(seed, rs.Stream.CATEGORY_EFFECT, keys[:, None], np.arange(width)[None, :])
    return normal_ppf(u)[inverse]


def _noise(seed: int, stream: int, ids: np.ndarray, purpose: int, width: int = 1) -> np.ndarray:
    """N(0, 1) noise [n, width] per id, keyed by (seed, stream, purpose, id, column)."""
    u = rs.uniform(seed, stream, purpose, np.asarray(ids)[:, None], np.arange(width)[None, :])
    return normal_ppf(u)


def _standardise(x: np.ndarray) -> np.ndarray:
    std = x.std()
    return (x - x.mean()) / (std if std > 0 else 1.0)


def _log_mean_exp_zero(x: np.ndarray) -> np.ndarray:
    """Shift each column so that mean(exp(column)) = 1."""
    top = x.max(axis=0)
    return x - (top + np.log(np.mean(np.exp(x - top), axis=0)))


def _tags(tag_column: pd.Series) -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    lists = [
        [t.strip() for t in str(v).split(",") if t.strip()] if isinstance(v, str) else []
        for v in tag_column
    ]
    names = tuple(sorted({t for tags in lists for t in tags}, key=lambda t: (len(t), t)))
    lookup = {t: i for i, t in enumerate(names)}
    index = np.full((len(lists), MAX_TAGS), len(names), np.int64)
    weight = np.zeros((len(lists), MAX_TAGS))
    for row, tags in enumerate(lists):
        tags = tags[:MAX_TAGS]
        index[row, : len(tags)] = [lookup[t] for t in tags]
        weight[row, : len(tags)] = 1.0 / max(len(tags), 1)
    return names, index, weight


def _durations(seed: int, ids: np.ndarray, raw: pd.Series) -> np.ndarray:
    """Duration in ms; missing ones drawn from a lognormal fitted to the known ones."""
    ms = pd.to_numeric(raw, errors="coerce").to_numpy(np.float64)
    known = ms[np.isfinite(ms) & (ms > 0)]
    logs = np.log(known)
    draw = np.exp(logs.mean() + logs.std() * _noise(seed, rs.Stream.VIDEO_NOISE, ids, 99)[:, 0])
    ms = np.where(np.isfinite(ms) & (ms > 0), ms, np.clip(draw, known.min(), known.max()))
    return np.round(ms).astype(np.int64)


def build_videos(config: PopulationConfig, seed: int, table: pd.DataFrame) -> Videos:
    """Samples the world's videos from the real table and derives their latents."""
    rows = _sample_rows(table["video_id"].to_numpy(np.int64), config.num_videos, seed, 2)
    df = table.iloc[rows].reset_index(drop=True)
    ids = df["video_id"].to_numpy(np.int64)
    tag_names, tag_index, tag_weight = _tags(df["tag"])
    duration_ms = _durations(seed, ids, df["video_duration"])
    _, author = np.unique(df["author_id"].to_numpy(np.int64), return_inverse=True)
    noise = _noise(seed, rs.Stream.VIDEO_NOISE, ids, 0, 3 + len(INTERACTIONS))

    effect = {c: category_effects(seed, c, df[c])[:, 0] for c in ("upload_type", "music_type")}
    author_effect = category_effects(seed, "author_id", df["author_id"], 2)
    shares = (config.quality_type_share, config.quality_author_share, config.quality_music_share)
    quality = config.quality_sd * (
        np.sqrt(shares[0]) * effect["upload_type"]
        + np.sqrt(shares[1]) * author_effect[:, 0]
        + np.sqrt(shares[2]) * effect["music_type"]
        + np.sqrt(max(0.0, 1.0 - sum(shares))) * noise[:, 0]
    )
    log_duration = _standardise(np.log(duration_ms))
    style_type = category_effects(seed, "style:upload_type", df["upload_type"])[:, 0]
    w, s = config.style_duration_weight, config.style_type_share
    rest = np.sqrt(max(0.0, 1.0 - w * w - s))
    style = -w * log_duration + np.sqrt(s) * style_type + rest * noise[:, 1]

    appeal = config.appeal_noise_sd * noise[:, 3:]
    follow, hate = INTERACTIONS.index("follow"), INTERACTIONS.index("hate")
    appeal[:, follow] += config.charisma_sd * author_effect[:, 1]
    appeal[:, hate] = config.offense_noise_sd * noise[:, 3 + hate]
    pop_logit = config.popularity_quality * quality + config.popularity_sd * noise[:, 2]
    popularity = np.exp(pop_logit - pop_logit.max())
    return Videos(
        ids=ids,
        table_rows=rows.astype(np.int64),
        tag_names=tag_names,
        tag_index=tag_index,
        tag_weight=tag_weight,
        duration_ms=duration_ms,
        author=author.astype(np.int64),
        quality=quality,
        style=style,
        appeal=_log_mean_exp_zero(appeal),
        popularity=popularity / popularity.sum(),
    )


def _activity(df: pd.DataFrame) -> np.ndarray:
    level = df["user_active_degree"].map(ACTIVITY_LEVELS).fillna(0.0).to_numpy(np.float64)
    low_period = pd.to_numeric(df["is_lowactive_period"], errors="coerce").fillna(0).to_numpy()
    return level - 0.5 * (low_period == 1)


def _interest(config: PopulationConfig, seed: int, df: pd.DataFrame, videos: Videos):
    num_tags = videos.num_tags
    features = np.zeros((len(df), num_tags))
    for column in config.interest_columns:
        features += category_effects(seed, f"interest:{column}", df[column], num_tags)
    features /= np.sqrt(max(len(config.interest_columns), 1))
    noise = _noise(seed, rs.Stream.USER_NOISE, df["user_id"].to_numpy(np.int64), 1, num_tags)
    share = config.interest_feature_share
    interest = config.interest_sd * (np.sqrt(share) * features + np.sqrt(1 - share) * noise)
    counts = np.bincount(videos.tag_index.ravel(), minlength=num_tags + 1)[:num_tags] + 1.0
    prior = np.log(counts / counts.sum())
    return interest + config.tag_prior_weight * (prior - prior.mean())


def build_users(config: PopulationConfig, seed: int, table: pd.DataFrame, videos: Videos) -> Users:
    """Samples the world's users from the real table and derives their latents."""
    rows = _sample_rows(table["user_id"].to_numpy(np.int64), config.num_users, seed, 1)
    df = table.iloc[rows].reset_index(drop=True)
    ids = df["user_id"].to_numpy(np.int64)
    activity = _activity(df)
    noise = _noise(seed, rs.Stream.USER_NOISE, ids, 0, 1 + len(INTERACTIONS))
    patience = config.patience_activity * activity + config.patience_noise_sd * noise[:, 0]
    propensity = (
        config.propensity_sd * noise[:, 1:] + config.propensity_activity * activity[:, None]
    )
    for name, column in _PROPENSITY_FEATURE.items():
        raw = pd.to_numeric(df[column], errors="coerce").fillna(0).clip(lower=0)
        feature = _standardise(np.log1p(raw.to_numpy(np.float64)))
        propensity[:, INTERACTIONS.index(name)] += config.propensity_feature_weight * feature
    return Users(
        ids=ids,
        table_rows=rows.astype(np.int64),
        interest=_interest(config, seed, df, videos),
        activity=activity,
        patience=patience,
        propensity=_log_mean_exp_zero(propensity),
    )


def read_table(name: str) -> pd.DataFrame:
    """A real table as shipped; ids as int64, everything else as pandas reads it."""
    return pd.read_csv(table_path(name), low_memory=False)


def build_population(config: PopulationConfig, seed: int) -> Population:
    """The world's users and videos, a pure function of (config, seed)."""
    videos = build_videos(config, seed, read_table(VIDEO_TABLE))
    return Population(
        users=build_users(config, seed, read_table(USER_TABLE), videos), videos=videos
    )
