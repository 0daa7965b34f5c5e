"""Fake logged transitions with learnable structure, for agent and trainer tests.

Feature tables are the first rows of the real KuaiRand-Pure tables shipped with the package.
Every user belongs to a group (their `follow_user_num_range` code mod G) and every video
to a group (its `first_tag` code mod G); a video *matches* a user when the groups agree.
Matching exposures are watched longer (so they are clicks and long views by KuaiRand's
own definitions), liked, followed, commented and forwarded more, and hated less. The
logging policy picks among the K candidates with a softmax that mildly prefers matches,
and logs its exact propensity. So a learner moves in the right direction when the
probability mass it puts on matching candidates rises.

The same sessions can be had as an in-memory `tf.data.Dataset` of transitions
(`session_schema.transition_spec(H, K)`) or written to disk as session SequenceExamples
with candidates, the format the transitions reader consumes (`write_fake_candidate_sessions`).
"""

from __future__ import annotations

import dataclasses
import importlib.resources
import os

import numpy as np
import pandas as pd
import tensorflow as tf

from tscac_tf.data import session_io
from tscac_tf.features.feature_tables import USER_CATEGORICAL, VIDEO_CATEGORICAL, FeatureTables
from tscac_tf.specs import kuairand_schema as ks
from tscac_tf.specs import responses
from tscac_tf.specs import session_schema as ss

_USER_GROUP_COLUMN = USER_CATEGORICAL.index("follow_user_num_range")
_VIDEO_GROUP_COLUMN = VIDEO_CATEGORICAL.index("first_tag")
UNKNOWN_USER_BASE = 10**12  # ids from here on are not in the user table


@dataclasses.dataclass(frozen=True)
class FakeTransitionsConfig:
    """Size and behaviour of the fake log.

    Attributes:
      num_users, num_videos: rows taken from the shipped user and video tables.
      num_sessions: sessions generated.
      session_length: (min, max) steps per session.
      history_length, num_candidates: H and K.
      num_groups: G, user/video groups; a video matches a user when the groups agree.
      logging_preference: logit bonus of a matching candidate in the logging policy.
      padded_share: share of steps whose candidate set ends with padding (-1).
      unknown_user_share: share of sessions of a user absent from the user table.
      seed: makes the log reproducible.
    """

    num_users: int = 120
    num_videos: int = 200
    num_sessions: int = 150
    session_length: tuple[int, int] = (2, 8)
    history_length: int = 5
    num_candidates: int = 8
    num_groups: int = 3
    logging_preference: float = 1.0
    padded_share: float = 0.2
    unknown_user_share: float = 0.05
    seed: int = 0


def fake_feature_tables(num_users: int = 120, num_videos: int = 200) -> FeatureTables:
    """FeatureTables encoded from the first rows of the shipped KuaiRand-Pure tables."""
    base = importlib.resources.files("tscac_tf") / "datasets" / "kuairand_pure"
    users = pd.read_csv(base / "user_features_pure.csv", nrows=num_users)
    videos = pd.read_csv(base / "video_features_basic_pure.csv", nrows=num_videos)
    return FeatureTables.from_frames(users, videos)


def matches(tables: FeatureTables, user_ids, video_ids, num_groups: int) -> np.ndarray:
    """True where a video matches a user (broadcasting); padding (-1) never matches."""
    user_ids, video_ids = np.asarray(user_ids), np.asarray(video_ids)
    user_group = tables.user_categorical[tables.user_rows(user_ids), _USER_GROUP_COLUMN]
    video_group = tables.video_categorical[tables.video_rows(video_ids), _VIDEO_GROUP_COLUMN]
    same = (user_group % num_groups) == (video_group % num_groups)
    return same & (video_ids != ss.PADDING_ID)


def _responses(rng, matched: bool) -> dict[str, int]:
    """Logged responses of one exposure; play time does not depend on the duration."""
    play = int(rng.lognormal(np.log(20_000 if matched else 4_000), 0.4))
    p = (0.3, 0.1, 0.1, 0.1, 0.01) if matched else (0.03, 0.01, 0.01, 0.01, 0.1)
    flags = rng.random(5) < np.asarray(p)
    names = ("is_like", "is_follow", "is_comment", "is_forward", "is_hate")
    return {"play_time_ms": play, **{n: int(f) for n, f in zip(names, flags, strict=True)}}


def _session(tables, config, rng, user_id: int, start_ms: int) -> dict:
    """One session: {"user_id", "steps": {name: [T]}, "candidates": [T, K] int64}."""
    known_videos = tables.video_ids[1:]
    k = config.num_candidates
    length = int(rng.integers(config.session_length[0], config.session_length[1] + 1))
    steps = {name: [] for name in ss.STEP_INT64 + ss.STEP_FLOAT}
    steps.update({ss.STEP_LOGGED_INDEX: [], ss.STEP_CANDIDATE_INSERTED: []})
    candidates = np.full([length, k], ss.PADDING_ID, np.int64)
    for t in range(length):
        size = k - int(rng.integers(1, k // 2 + 1)) if rng.random() < config.padded_share else k
        candidates[t, :size] = rng.choice(known_videos, size, replace=False)
        matched = matches(tables, user_id, candidates[t], config.num_groups)
        logits = np.where(candidates[t] == ss.PADDING_ID, -np.inf, 0.0)
        logits = logits + config.logging_preference * matched
        probs = np.exp(logits - logits.max())
        probs /= probs.sum()
        action = int(rng.choice(k, p=probs))
        video = int(candidates[t, action])
        duration = int(tables.video_duration_ms[tables.video_rows([video])[0]])
        values = _responses(rng, bool(matched[action]))
        play = values["play_time_ms"]
        values.update(
            video_id=video,
            time_ms=start_ms + 30_000 * t,
            hourmin=1200,
            duration_ms=duration,
            is_click=int(ks.is_click(play, duration)),
            long_view=int(ks.is_long_view(play, duration)),
            is_rand=0,
            tab=1,
            behavior_propensity=float(probs[action]),
        )
        values[ss.STEP_LOGGED_INDEX] = action
        values[ss.STEP_CANDIDATE_INSERTED] = 0
        for name in steps:
            steps[name].append(values[name])
    return {"user_id": user_id, "steps": steps, "candidates": candidates}


def fake_sessions(tables: FeatureTables, config: FakeTransitionsConfig) -> list[dict]:
    """The generated sessions, each {"user_id", "steps", "candidates"}."""
    rng = np.random.default_rng(config.seed)
    out = []
    for s in range(config.num_sessions):
        if rng.random() < config.unknown_user_share:
            user_id = UNKNOWN_USER_BASE + s
        else:
            user_id = int(rng.choice(tables.user_ids[1:]))
        out.append(_session(tables, config, rng, user_id, start_ms=s * 10**7))
    return out


def _history(ids: list[int], plays: list[int], h: int) -> tuple[np.ndarray, np.ndarray]:
    """Most recent first, padded with -1 / 0 to H."""
    hist_ids = np.full(h, ss.PADDING_ID, np.int64)
    hist_play = np.zeros(h, np.int64)
    recent_ids, recent_play = ids[::-1][:h], plays[::-1][:h]
    hist_ids[: len(recent_ids)] = recent_ids
    hist_play[: len(recent_play)] = recent_play
    return hist_ids, hist_play


def _session_transitions(session: dict, h: int) -> list[dict]:
    steps, rows = session["steps"], []
    for t in range(len(steps["video_id"])):
        hist = _history(steps["video_id"][:t], steps["play_time_ms"][:t], h)
        nxt = _history(steps["video_id"][: t + 1], steps["play_time_ms"][: t + 1], h)
        state = {
            "user_id": session["user_id"],
            "history_video_ids": hist[0],
            "history_play_time_ms": hist[1],
        }
        next_state = {
            "user_id": session["user_id"],
            "history_video_ids": nxt[0],
            "history_play_time_ms": nxt[1],
        }
        reward = {
            r.name: float(r.reward_from_raw(steps[r.log_column][t])) for r in responses.RESPONSES
        }
        rows.append(
            {
                "observation": {**state, "candidate_video_ids": session["candidates"][t]},
                "action": steps[ss.STEP_LOGGED_INDEX][t],
                "behavior_propensity": steps["behavior_propensity"][t],
                "reward": reward,
                "is_last": t == len(steps["video_id"]) - 1,
                "next_observation": next_state,
                "position": t,
                "logged_video_id": steps["video_id"][t],
                "long_view": bool(steps["long_view"][t]),
            }
        )
    return rows


def fake_transitions(tables: FeatureTables, config: FakeTransitionsConfig) -> dict:
    """All transitions as a nest of numpy arrays with a leading [N] dimension.

    The nest and dtypes are exactly `session_schema.transition_spec(H, K)`'s.
    """
    rows = [
        row
        for session in fake_sessions(tables, config)
        for row in _session_transitions(session, config.history_length)
    ]
    spec = ss.transition_spec(config.history_length, config.num_candidates)
    return tf.nest.map_structure(
        lambda s, *values: np.asarray(values, dtype=s.dtype.as_numpy_dtype), spec, *rows
    )


def fake_transitions_dataset(
    tables: FeatureTables,
    config: FakeTransitionsConfig,
    batch_size: int,
    shuffle: bool = True,
    repeat: bool = False,
    drop_remainder: bool = True,
) -> tf.data.Dataset:
    """Batched transitions, shaped like the transitions reader's output."""
    dataset = tf.data.Dataset.from_tensor_slices(fake_transitions(tables, config))
    if shuffle:
        dataset = dataset.shuffle(4096, seed=config.seed, reshuffle_each_iteration=True)
    if repeat:
        dataset = dataset.repeat()
    return dataset.batch(batch_size, drop_remainder=drop_remainder)


def write_fake_candidate_sessions(directory: str, config: FakeTransitionsConfig) -> FeatureTables:
    """Writes DIR/train and DIR/eval session shards with candidates, and the feature tables.

    Sessions alternate between the two splits. Returns the tables written.
    """
    tables = fake_feature_tables(config.num_users, config.num_videos)
    tables.save(directory)
    records = {ss.TRAIN_SPLIT: [], ss.EVAL_SPLIT: []}
    for i, session in enumerate(fake_sessions(tables, config)):
        context = {"user_id": session["user_id"], "date": 20220410 + i % 7, "session_index": i}
        context["session_id"] = f"{context['user_id']}-{context['date']}-{i}"
        encoded = session_io.encode_session(
            context, session["steps"], candidates=session["candidates"].tolist()
        )
        records[ss.TRAIN_SPLIT if i % 4 else ss.EVAL_SPLIT].append(encoded)
    for split, items in records.items():
        os.makedirs(os.path.join(directory, split), exist_ok=True)
        path = os.path.join(directory, split, "sessions-00000-of-00001.tfrecord.gz")
        with tf.io.TFRecordWriter(path, "GZIP") as writer:
            for record in items:
                writer.write(record)
    return tables


def match_mass(
    tables: FeatureTables, logits: np.ndarray, observation: dict, num_groups: int
) -> float:
    """Mean probability a candidate softmax puts on candidates that match the user.

    Args:
      tables: the tables the data was generated with.
      logits: [N, K] masked candidate logits of some policy.
      observation: the N observations (numpy or tensors) the logits were computed on.
      num_groups: G of the fake log.
    """
    logits = np.asarray(logits, np.float64)
    probs = np.exp(logits - logits.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    user = np.asarray(observation["user_id"])[:, None]
    matched = matches(tables, user, np.asarray(observation["candidate_video_ids"]), num_groups)
    return float((probs * matched).sum(axis=1).mean())
