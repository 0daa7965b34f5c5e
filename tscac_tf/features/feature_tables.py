"""Encoded user and video feature tables: what every model looks up by id.

The KuaiRand user and video tables (tscac_tf/specs/kuairand_schema.py) are encoded once
into integer categorical codes and standardised numeric columns. Row 0 of each table is
the unknown entity (cold start / out-of-vocabulary): every categorical code 0, every
numeric value 0 (the mean). Models bake these arrays into the SavedModel (ARCHITECTURE §4:
a request carries ids only) and map an id to its row with a hash table whose default is 0.

Categorical code 0 always means "missing or unseen"; vocabularies are ordered by
frequency (ties by value), so they are deterministic for a given table.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Sequence

import numpy as np
import pandas as pd

from tscac_tf.specs import kuairand_schema as ks

USER_CATEGORICAL = (
    "user_active_degree",
    "is_lowactive_period",
    "is_live_streamer",
    "is_video_author",
    "follow_user_num_range",
    "fans_user_num_range",
    "friend_user_num_range",
    "register_days_range",
    *(f"onehot_feat{i}" for i in range(18)),
)
USER_NUMERIC = (
    "follow_user_num",
    "fans_user_num",
    "friend_user_num",
    "register_days",
)  # log1p, standardised
VIDEO_CATEGORICAL = ("author_id", "video_type", "upload_type", "first_tag", "music_type")
VIDEO_NUMERIC = ("log_duration", "duration_missing", "aspect_ratio")
TAG_VOCABULARY = "tag"  # vocabularies[TAG_VOCABULARY]: every tag id of `video_tags`
# Bumped whenever the tables gain or change an array: part of the preprocess step's
# parameters, so a pipeline workdir written by an older version recomputes its tables.
VERSION = 2

_TABLES_FILE = "feature_tables.npz"
_VOCAB_FILE = "feature_vocabularies.json"


def _category_strings(values: pd.Series, missing_codes: Sequence[float] = ()) -> pd.Series:
    """Canonical strings of a categorical column; None where missing."""

    def canon(v):
        if v is None or (isinstance(v, float) and np.isnan(v)):
            return None
        if isinstance(v, (int, float, np.integer, np.floating)):
            if float(v) in missing_codes:
                return None
            if float(v).is_integer():
                return str(int(v))
        s = str(v).strip()
        return None if s in ("", ks.UNKNOWN, "nan") else s

    return values.map(canon)


def build_vocabulary(values: pd.Series) -> list[str]:
    """Distinct non-missing strings by descending frequency, ties by value."""
    counts = values.dropna().value_counts()
    return sorted(counts.index.tolist(), key=lambda v: (-counts[v], v))


def _encode(values: pd.Series, vocab: Sequence[str]) -> np.ndarray:
    index = {v: i + 1 for i, v in enumerate(vocab)}
    return np.array([index.get(v, 0) if v is not None else 0 for v in values], dtype=np.int64)


def tags(tag: object) -> list[str]:
    """The category ids of a KuaiRand `tag` value ("20,43" -> ["20", "43"]), [] when empty."""
    if tag is None or (isinstance(tag, float) and np.isnan(tag)):
        return []
    if isinstance(tag, (int, float, np.integer, np.floating)) and float(tag).is_integer():
        return [str(int(tag))]  # a one-tag column that a CSV reader parsed as numbers
    return [t for t in (part.strip() for part in str(tag).split(",")) if t]


def first_tag(tag: object) -> str | None:
    """The first category id of a KuaiRand `tag` value ("20,43" -> "20"), None when empty."""
    listed = tags(tag)
    return listed[0] if listed else None


def _encode_tag_lists(lists: Sequence[list[str]]) -> tuple[np.ndarray, list[str]]:
    """int64 [N, max tags] codes (0 = no tag in that slot) and the tag vocabulary."""
    vocab = build_vocabulary(pd.Series([t for listed in lists for t in listed], dtype=object))
    index = {t: i + 1 for i, t in enumerate(vocab)}
    codes = np.zeros((len(lists), max([len(listed) for listed in lists], default=0) or 1), np.int64)
    for row, listed in enumerate(lists):
        codes[row, : len(listed)] = [index[t] for t in listed]
    return codes, vocab


@dataclasses.dataclass
class FeatureTables:
    """Encoded feature tables; row 0 of each is the unknown entity.

    Attributes:
      user_ids: int64 [U+1], user_ids[0] = -1 (unknown).
      user_categorical: int64 [U+1, len(USER_CATEGORICAL)], codes in [0, vocab size].
      user_numeric: float32 [U+1, len(USER_NUMERIC)].
      video_ids, video_categorical, video_numeric: the same for videos.
      video_tags: int64 [V+1, max tags per video], every tag of a video (KuaiRand's `tag`
        lists up to three; `first_tag` above keeps only the first), as codes of
        vocabularies[TAG_VOCABULARY], 0 in unused slots and for the unknown row.
      video_duration_ms: float32 [V+1], raw duration (0 where unknown), for watch ratios.
      vocabularies: {column: [value, ...]}; code i >= 1 is vocabularies[column][i - 1].
      numeric_stats: {column: (mean, std)} used for standardisation (before it, log1p).
    """

    user_ids: np.ndarray
    user_categorical: np.ndarray
    user_numeric: np.ndarray
    video_ids: np.ndarray
    video_categorical: np.ndarray
    video_numeric: np.ndarray
    video_duration_ms: np.ndarray
    video_tags: np.ndarray
    vocabularies: dict[str, list[str]]
    numeric_stats: dict[str, tuple[float, float]]

    def vocab_size(self, column: str) -> int:
        """Number of codes of a categorical column, including code 0."""
        return len(self.vocabularies[column]) + 1

    @property
    def num_tag_codes(self) -> int:
        """Number of codes of `video_tags`, including 0 (no tag)."""
        return self.vocab_size(TAG_VOCABULARY)

    @property
    def user_vocab_sizes(self) -> list[int]:
        return [self.vocab_size(c) for c in USER_CATEGORICAL]

    @property
    def video_vocab_sizes(self) -> list[int]:
        return [self.vocab_size(c) for c in VIDEO_CATEGORICAL]

    def user_rows(self, user_ids: np.ndarray) -> np.ndarray:
        """Row of each id in the user table; 0 for unknown ids."""
        return _rows(self.user_ids, user_ids)

    def video_rows(self, video_ids: np.ndarray) -> np.ndarray:
        """Row of each id in the video table; 0 for unknown ids and padding (-1)."""
        return _rows(self.video_ids, video_ids)

    @classmethod
    def from_frames(cls, users: pd.DataFrame, videos: pd.DataFrame) -> FeatureTables:
        """Encodes a KuaiRand user table and video table (columns as in kuairand_schema)."""
        vocabularies: dict[str, list[str]] = {}
        stats: dict[str, tuple[float, float]] = {}
        missing = {c.name: c.missing_codes for c in ks.USER_COLUMNS}

        user_cat = []
        for col in USER_CATEGORICAL:
            strings = _category_strings(users[col], missing.get(col, ()))
            vocabularies[col] = build_vocabulary(strings)
            user_cat.append(_encode(strings, vocabularies[col]))
        user_num = []
        for col in USER_NUMERIC:
            x = np.log1p(
                np.clip(
                    pd.to_numeric(users[col], errors="coerce").fillna(0).to_numpy(float), 0, None
                )
            )
            stats[col] = (float(x.mean()), float(x.std() or 1.0))
            user_num.append((x - stats[col][0]) / stats[col][1])

        video_strings = {
            "author_id": _category_strings(videos["author_id"]),
            "video_type": _category_strings(videos["video_type"]),
            "upload_type": _category_strings(videos["upload_type"]),
            "first_tag": videos["tag"].map(first_tag),
            "music_type": _category_strings(videos["music_type"]),
        }
        tag_codes, vocabularies[TAG_VOCABULARY] = _encode_tag_lists(videos["tag"].map(tags))
        video_cat = []
        for col in VIDEO_CATEGORICAL:
            vocabularies[col] = build_vocabulary(video_strings[col])
            video_cat.append(_encode(video_strings[col], vocabularies[col]))
        duration = pd.to_numeric(videos["video_duration"], errors="coerce").to_numpy(float)
        dur_missing = np.isnan(duration)
        log_dur = np.log1p(np.where(dur_missing, 0.0, duration) / 1000.0)
        known = log_dur[~dur_missing]
        stats["log_duration"] = (
            float(known.mean()) if known.size else 0.0,
            float(known.std() or 1.0) if known.size else 1.0,
        )
        log_dur = np.where(
            dur_missing, 0.0, (log_dur - stats["log_duration"][0]) / stats["log_duration"][1]
        )
        width = pd.to_numeric(videos["server_width"], errors="coerce").to_numpy(float)
        height = pd.to_numeric(videos["server_height"], errors="coerce").to_numpy(float)
        aspect = np.where(
            (width > 0) & (height > 0), np.log(np.maximum(height, 1) / np.maximum(width, 1)), 0.0
        )
        video_num = [log_dur, dur_missing.astype(float), aspect]

        def with_unknown_row(ids, cat, num):
            ids = np.concatenate([[-1], np.asarray(ids, np.int64)])
            cat = np.vstack([np.zeros((1, len(cat)), np.int64), np.stack(cat, axis=1)])
            num = np.vstack(
                [np.zeros((1, len(num)), np.float32), np.stack(num, axis=1).astype(np.float32)]
            )
            return ids, cat, num

        u_ids, u_cat, u_num = with_unknown_row(users["user_id"].to_numpy(), user_cat, user_num)
        v_ids, v_cat, v_num = with_unknown_row(videos["video_id"].to_numpy(), video_cat, video_num)
        v_duration = np.concatenate([[0.0], np.where(dur_missing, 0.0, duration)]).astype(
            np.float32
        )
        v_tags = np.vstack([np.zeros((1, tag_codes.shape[1]), np.int64), tag_codes])
        return cls(
            u_ids, u_cat, u_num, v_ids, v_cat, v_num, v_duration, v_tags, vocabularies, stats
        )

    @classmethod
    def from_csv(cls, user_csv: str, video_csv: str) -> FeatureTables:
        """Reads and encodes a KuaiRand user_features*.csv and video_features_basic*.csv."""
        return cls.from_frames(pd.read_csv(user_csv), pd.read_csv(video_csv))

    def save(self, directory: str) -> None:
        """Writes feature_tables.npz and feature_vocabularies.json into `directory`."""
        os.makedirs(directory, exist_ok=True)
        np.savez_compressed(
            os.path.join(directory, _TABLES_FILE),
            **{
                f.name: getattr(self, f.name)
                for f in dataclasses.fields(self)
                if isinstance(getattr(self, f.name), np.ndarray)
            },
        )
        with open(os.path.join(directory, _VOCAB_FILE), "w") as f:
            json.dump(
                {"vocabularies": self.vocabularies, "numeric_stats": self.numeric_stats},
                f,
                indent=1,
                sort_keys=True,
            )

    @classmethod
    def load(cls, directory: str) -> FeatureTables:
        """Reads what `save` wrote; FileNotFoundError names the missing file."""
        tables_path = os.path.join(directory, _TABLES_FILE)
        vocab_path = os.path.join(directory, _VOCAB_FILE)
        for path in (tables_path, vocab_path):
            if not os.path.exists(path):
                raise FileNotFoundError(
                    f"feature tables: {path} does not exist (written by `tscac preprocess`)"
                )
        with np.load(tables_path) as arrays:
            data = {k: arrays[k] for k in arrays.files}
        expected = [
            f.name
            for f in dataclasses.fields(cls)
            if f.name not in ("vocabularies", "numeric_stats")
        ]
        missing = [name for name in expected if name not in data]
        if missing:
            raise ValueError(
                f"feature tables: {tables_path} has no {', '.join(missing)}: it was written by "
                f"an older `tscac preprocess` (tables version < {VERSION}); run preprocess again"
            )
        with open(vocab_path) as f:
            meta = json.load(f)
        stats = {k: tuple(v) for k, v in meta["numeric_stats"].items()}
        return cls(vocabularies=meta["vocabularies"], numeric_stats=stats, **data)


def _rows(table_ids: np.ndarray, ids: np.ndarray) -> np.ndarray:
    ids = np.asarray(ids, np.int64)
    order = np.argsort(table_ids[1:], kind="stable")
    sorted_ids = table_ids[1:][order]
    pos = np.searchsorted(sorted_ids, ids)
    pos = np.clip(pos, 0, len(sorted_ids) - 1)
    found = sorted_ids[pos] == ids if len(sorted_ids) else np.zeros_like(ids, bool)
    return np.where(found, order[pos] + 1, 0).astype(np.int64)
