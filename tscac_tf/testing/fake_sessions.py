"""Small ExampleGen-shaped data directories with learnable structure, for tests.

Writes what `tscac preprocess` writes (session SequenceExamples per split, the encoded
feature tables, a stats file) for a tiny world in which every user prefers one video
category (`first_tag`): exposures of preferred videos are mostly long views and clicks,
the others mostly skips. Video popularity is Zipf-distributed within each category, so a
popularity baseline is non-trivial but a model that learns preferences beats it.
"""

from __future__ import annotations

import dataclasses
import json
import os

import numpy as np
import pandas as pd
import tensorflow as tf

from tscac_tf.data import session_io
from tscac_tf.features.feature_tables import USER_CATEGORICAL, USER_NUMERIC, FeatureTables
from tscac_tf.specs import kuairand_schema as ks
from tscac_tf.specs import session_schema as ss

STATS_FILE = "fake_stats.json"


@dataclasses.dataclass(frozen=True)
class FakeWorld:
    """Sizes and behaviour of the fake world.

    Attributes:
      num_users, num_videos, num_tags: table sizes (videos are split evenly among tags).
      train_sessions, eval_sessions: sessions per user in each split.
      session_length: (min, max) steps per session.
      preferred_share: probability that an exposure comes from the user's category.
      cold_users: extra eval-only users that are not in the user table.
      unknown_videos: extra video ids shown in the logs but absent from the video table.
      seed: makes the world reproducible.
    """

    num_users: int = 60
    num_videos: int = 300
    num_tags: int = 10
    train_sessions: int = 4
    eval_sessions: int = 2
    session_length: tuple[int, int] = (4, 12)
    preferred_share: float = 0.6
    cold_users: int = 2
    unknown_videos: int = 2
    seed: int = 0


def _tables(world: FakeWorld, rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    users = {"user_id": np.arange(world.num_users) * 3 + 5}
    for col in USER_CATEGORICAL:
        users[col] = rng.integers(0, 3, world.num_users)
    users["user_active_degree"] = rng.choice(["high_active", "full_active"], world.num_users)
    for col in USER_NUMERIC:
        users[col] = rng.integers(0, 500, world.num_users)
    video_ids = np.arange(world.num_videos) * 7 + 11
    videos = pd.DataFrame(
        {
            "video_id": video_ids,
            "author_id": rng.integers(0, world.num_videos // 2, world.num_videos),
            "video_type": rng.choice(["NORMAL", "AD"], world.num_videos, p=[0.9, 0.1]),
            "upload_type": rng.choice(["ShortImport", "Web"], world.num_videos),
            "tag": [str(i % world.num_tags) for i in range(world.num_videos)],
            "music_type": rng.choice([4.0, 9.0, np.nan], world.num_videos),
            "video_duration": rng.integers(5_000, 60_000, world.num_videos).astype(float),
            "server_width": 720.0,
            "server_height": 1280.0,
        }
    )
    return pd.DataFrame(users), videos


def _session_steps(world, rng, user_tag, videos, popularity, time_ms) -> dict[str, list]:
    length = int(rng.integers(world.session_length[0], world.session_length[1] + 1))
    tags = videos["tag"].astype(int).to_numpy()
    steps: dict[str, list] = {name: [] for name in ss.STEP_INT64 + ss.STEP_FLOAT}
    for t in range(length):
        pool = (
            tags == user_tag if rng.random() < world.preferred_share else np.ones_like(tags, bool)
        )
        weights = np.where(pool, popularity, 0.0)
        row = int(rng.choice(len(tags), p=weights / weights.sum()))
        duration = int(videos["video_duration"].iloc[row])
        liked = tags[row] == user_tag
        ratio = rng.uniform(0.8, 1.6) if liked else rng.uniform(0.02, 0.25)
        play = int(duration * ratio)
        values = {
            "video_id": int(videos["video_id"].iloc[row]),
            "time_ms": time_ms + 60_000 * t,
            "hourmin": 1200,
            "play_time_ms": play,
            "duration_ms": duration,
            "is_click": int(ks.is_click(play, duration)),
            "long_view": int(ks.is_long_view(play, duration)),
            "is_like": int(liked and rng.random() < 0.2),
            "is_rand": 0,
            "tab": 1,
            "behavior_propensity": ss.NO_PROPENSITY,
        }
        for name in steps:
            steps[name].append(values.get(name, 0))
    return steps


def write_fake_sessions(directory: str, world: FakeWorld = FakeWorld()) -> FeatureTables:
    """Writes DIR/{train,eval}/sessions-*.tfrecord.gz, the feature tables and a stats file.

    Returns:
      The feature tables written to `directory`.
    """
    rng = np.random.default_rng(world.seed)
    users, videos = _tables(world, rng)
    tables = FeatureTables.from_frames(users, videos)
    tables.save(directory)
    popularity = 1.0 / rng.permutation(np.arange(1, world.num_videos + 1)) ** 1.1
    user_ids = list(users["user_id"]) + [10_000 + i for i in range(world.cold_users)]
    splits = {
        ss.TRAIN_SPLIT: (world.train_sessions, 20220410),
        ss.EVAL_SPLIT: (world.eval_sessions, 20220425),
    }
    counts = {}
    for split, (per_user, first_date) in splits.items():
        records = []
        for u, user_id in enumerate(user_ids):
            if u >= world.num_users and split == ss.TRAIN_SPLIT:
                continue  # cold users appear only at evaluation
            for s in range(per_user):
                steps = _session_steps(
                    world, rng, u % world.num_tags, videos, popularity, s * 10**7
                )
                if u < world.unknown_videos and s == 0:
                    steps["video_id"][-1] = 999_000 + u  # a video absent from the table
                context = {"user_id": int(user_id), "date": first_date + s, "session_index": 0}
                context["session_id"] = f"{user_id}-{context['date']}-0"
                records.append(session_io.encode_session(context, steps))
        _write_shards(os.path.join(directory, split), records, num_shards=2)
        counts[split] = len(records)
    with open(os.path.join(directory, STATS_FILE), "w") as f:
        json.dump({"sessions": counts}, f)
    return tables


def _write_shards(split_dir: str, records: list[bytes], num_shards: int) -> None:
    os.makedirs(split_dir, exist_ok=True)
    for shard in range(num_shards):
        path = os.path.join(split_dir, f"sessions-{shard:05d}-of-{num_shards:05d}.tfrecord.gz")
        with tf.io.TFRecordWriter(path, "GZIP") as writer:
            for record in records[shard::num_shards]:
                writer.write(record)
