"""The tf.data reader: session SequenceExamples -> batched transitions and TF-Agents trajectories.

One transition per logged exposure (ARCHITECTURE §2): s_t is the user, the last H videos
of the session with their play times (most recent first) and, after the candidates step,
the candidate set C_t; a_t is the index of the logged video in C_t; the reward is the
vector of every response in registry order, each `ResponseSpec.reward_from_raw` of its log
column (sign and scale applied, never summed); is_last ends the episode (the session).

History windows are built per session with one gather (vectorised in TF), then sessions
are unbatched into steps, shuffled and batched. The batched dicts follow
`session_schema.transition_spec(H, K)` exactly (with a leading batch dimension).

Sessions are read in one fixed order, whatever order the files hold them in (sorted by
the MD5 of their session id, which also spreads a user's sessions over the split): Beam
writes its bundles in an order that can change from run to run (under load it did,
RESULTS.md), and a seeded shuffle over that order, or the first batches of a split, would
then differ between runs of the same data. So the same sessions give the same transitions
in the same order, and the same shuffled batches for the same seed.
"""

from __future__ import annotations

import hashlib

import numpy as np
import tensorflow as tf

from tscac_tf.data import session_io
from tscac_tf.specs import responses
from tscac_tf.specs import session_schema as ss

HISTORY_KEYS = ("user_id", "history_video_ids", "history_play_time_ms")
# Sessions in the session-level shuffle buffer of a cached reader (transitions_dataset).
SESSION_SHUFFLE_BUFFER = 2_000


def history_windows(values: tf.Tensor, history_length: int, include_current: bool, pad_value):
    """The H most recent values before (or up to) each step of one session.

    window[t, j] = values[t - 1 - j]  (include_current: values[t - j]),  pad where < 0

    Args:
      values: [T] one value per step of a session.
      history_length: H.
      include_current: count step t itself (the history of s_{t+1}).
      pad_value: the value where the session has fewer than j + 1 earlier steps.

    Returns:
      [T, H], most recent first.
    """
    steps = tf.range(tf.shape(values, out_type=tf.int64)[0], dtype=tf.int64)[:, None]
    lags = tf.range(history_length, dtype=tf.int64)[None, :]
    index = steps - lags - (0 if include_current else 1)
    gathered = tf.gather(values, tf.maximum(index, 0))
    return tf.where(index >= 0, gathered, tf.cast(pad_value, values.dtype))


def _reward(raw: tf.Tensor, spec: responses.ResponseSpec) -> tf.Tensor:
    # In float64 so that e.g. 12000 ms * 1e-3 is 12.0 exactly before the float32 cast.
    return tf.cast(spec.reward_from_raw(tf.cast(raw, tf.float64)), tf.float32)


def session_transitions(session: dict, history_length: int, with_candidates: bool) -> dict:
    """One parsed session ({name: [T] or [T, K] tensor}) -> transitions with leading dim T.

    Returns:
      transition_spec(H, K) structure with [T, ...] tensors; without candidates, no
      `action` and no `observation.candidate_video_ids`.
    """
    video, play = session["video_id"], session["play_time_ms"]
    length = tf.shape(video, out_type=tf.int64)[0]
    position = tf.range(length, dtype=tf.int64)
    user = tf.fill([length], session["user_id"])

    def history(include_current: bool) -> dict:
        return {
            "user_id": user,
            "history_video_ids": history_windows(
                video, history_length, include_current, ss.PADDING_ID
            ),
            "history_play_time_ms": history_windows(play, history_length, include_current, 0),
        }

    observation = history(include_current=False)
    out = {
        "observation": observation,
        "behavior_propensity": tf.cast(session["behavior_propensity"], tf.float32),
        "reward": {r.name: _reward(session[r.log_column], r) for r in responses.RESPONSES},
        "is_last": tf.equal(position, length - 1),
        "next_observation": history(include_current=True),
        "position": position,
        "logged_video_id": video,
        "long_view": tf.cast(session["long_view"], tf.bool),
    }
    if with_candidates:
        observation["candidate_video_ids"] = session[ss.STEP_CANDIDATE_IDS]
        out["action"] = session[ss.STEP_LOGGED_INDEX]
    return out


_SESSION_ID_SPEC = {"session_id": tf.io.FixedLenFeature([], tf.string)}


def sessions_in_fixed_order(files: list[str]) -> tf.data.Dataset:
    """The serialised sessions of `files`, sorted by the MD5 of their session id.

    Holds the split's serialised sessions in memory (their uncompressed size, about a
    third of what `cache_in_memory` holds for the same split).
    """

    def with_id(record):
        context = tf.io.parse_single_sequence_example(record, context_features=_SESSION_ID_SPEC)[0]
        return record, context["session_id"]

    # One pass over the files: each record comes with its parsed id.
    records = tf.data.TFRecordDataset(files, compression_type="GZIP")
    pairs = records.map(with_id, num_parallel_calls=tf.data.AUTOTUNE)
    serialized, keys = [], []
    for batch, batch_ids in pairs.batch(8192):
        serialized.append(batch.numpy())
        keys.append(batch_ids.numpy())
    if not serialized:
        return tf.data.Dataset.from_tensor_slices(tf.constant([], tf.string))
    serialized = np.concatenate(serialized)
    keys = np.array([hashlib.md5(k).digest() for k in np.concatenate(keys)], dtype=object)
    # Two sessions with one id (ExampleGen never writes them) go by their bytes.
    order = np.lexsort((serialized, keys))
    return tf.data.Dataset.from_tensor_slices(serialized[order])


def _retrieved_logged_video(session: dict) -> tf.Tensor:
    """bool [T]: retrieval itself ranked the logged video into C_t (it was not inserted)."""
    return tf.equal(session[ss.STEP_CANDIDATE_INSERTED], 0)


def transitions_dataset(
    data_dir: str,
    split: str,
    batch_size: int,
    history_length: int = ss.DEFAULT_HISTORY_LENGTH,
    num_candidates: int | None = None,
    shuffle: bool = True,
    repeat: bool = False,
    seed: int = 0,
    drop_remainder: bool = False,
    shuffle_buffer_size: int = 10_000,
    retrieved_steps_only: bool = False,
    cache_in_memory: bool = False,
) -> tf.data.Dataset:
    """Batched transitions of one split of an ExampleGen (or candidates step) output.

    Args:
      data_dir: the output directory of `tscac preprocess` (num_candidates None) or of the
        retrieval candidates step (num_candidates K): DIR/<split>/sessions-*.tfrecord.gz.
      split: session_schema.TRAIN_SPLIT or EVAL_SPLIT.
      batch_size: B.
      history_length: H, videos in the state's history.
      num_candidates: K when the sessions carry candidates; None when they do not (then
        no `action` key and no `observation.candidate_video_ids`).
      shuffle: shuffle sessions and steps (seeded by `seed`, reshuffled every epoch).
        Without it, the sessions come in their fixed order (module docstring), not in
        the files' order.
      repeat: repeat forever.
      seed: the shuffle seed.
      drop_remainder: drop the last batch when smaller than B.
      shuffle_buffer_size: steps in the shuffle buffer.
      retrieved_steps_only: keep only the steps whose logged video retrieval ranked into
        C_t itself (`candidate_inserted` = 0). On an inserted step the logged video is the
        one candidate retrieval did not choose, so every other candidate is one that
        retrieval scored higher: a learner that contrasts the logged video with the rest
        learns to prefer what retrieval (and so the user) likes least. The training
        readers of the policies set this (see `TscacConfig.retrieved_steps_only`).
        Needs num_candidates.
      cache_in_memory: keep every session's transitions in memory after the first pass, so
        that later epochs skip decompression, parsing and the history windows (about 85%
        of the reader's CPU time per batch; see RESULTS.md). It holds the whole split:
        about 1 KB per transition at H = 20, K = 50. With shuffle, the cached sessions are
        reshuffled every epoch (a buffer of SESSION_SHUFFLE_BUFFER sessions) before the
        step-level shuffle, as the parsed sessions are when nothing is cached.

    Returns:
      A dataset of {key: [B, ...]} per session_schema.transition_spec(H, K).

    Raises:
      FileNotFoundError: the split has no session files (the message names the pattern).
      ValueError: a non-positive batch_size, history_length or num_candidates.
    """
    for name, value in (("batch_size", batch_size), ("history_length", history_length)):
        if value < 1:
            raise ValueError(f"{name} must be >= 1, got {value}")
    if num_candidates is not None and num_candidates < 1:
        raise ValueError(f"num_candidates must be >= 1 or None, got {num_candidates}")
    if retrieved_steps_only and num_candidates is None:
        raise ValueError("retrieved_steps_only needs sessions with candidates (num_candidates)")
    files = session_io.session_files(data_dir, split)
    with_candidates = num_candidates is not None
    dataset = sessions_in_fixed_order(files)
    if shuffle and not cache_in_memory:
        dataset = dataset.shuffle(SESSION_SHUFFLE_BUFFER, seed=seed, reshuffle_each_iteration=True)

    def to_transitions(serialized):
        session = session_io.parse_session(serialized, with_candidates, num_candidates or 1)
        transitions = session_transitions(session, history_length, with_candidates)
        if retrieved_steps_only:
            keep = _retrieved_logged_video(session)
            transitions = tf.nest.map_structure(lambda t: tf.boolean_mask(t, keep), transitions)
        return transitions

    dataset = dataset.map(to_transitions, num_parallel_calls=tf.data.AUTOTUNE)
    if cache_in_memory:
        dataset = dataset.cache()
        if shuffle:
            dataset = dataset.shuffle(
                SESSION_SHUFFLE_BUFFER, seed=seed, reshuffle_each_iteration=True
            )
    dataset = dataset.unbatch()
    if shuffle:
        dataset = dataset.shuffle(shuffle_buffer_size, seed=seed, reshuffle_each_iteration=True)
    if repeat:
        dataset = dataset.repeat()
    return dataset.batch(batch_size, drop_remainder=drop_remainder).prefetch(tf.data.AUTOTUNE)


def to_trajectory(batch: dict):
    """A batch of transitions as a TF-Agents Trajectory with time dimension 2 (s_t, s_{t+1}).

    Time 0 carries the transition: step_type FIRST at position 0 else MID, action (the
    candidate index; the logged video id when the batch has no candidates), reward
    [B, m] in registry order, discount 0 where is_last else 1, policy_info
    {"behavior_propensity": [B]}. Time 1 is s_{t+1}: step_type LAST where is_last else
    MID; its action, reward and propensity are placeholders (0, 0, NO_PROPENSITY) that
    `trajectory.to_transition` ignores, and its candidates (unknown) are PADDING_ID.

    Args:
      batch: one element of transitions_dataset.

    Returns:
      tf_agents.trajectories.Trajectory with [B, 2, ...] fields (reward [B, 2, m]).
    """
    # Imported here: tf_agents pulls in TensorFlow Probability (seconds) and only
    # TF-Agents users need it.
    from tf_agents.trajectories import time_step as ts
    from tf_agents.trajectories import trajectory

    def pair(first, second):
        return tf.stack([first, second], axis=1)

    obs = batch["observation"]
    next_obs = dict(batch["next_observation"])
    if "candidate_video_ids" in obs:
        candidates = obs["candidate_video_ids"]
        next_obs["candidate_video_ids"] = tf.fill(
            tf.shape(candidates), tf.constant(ss.PADDING_ID, candidates.dtype)
        )
    is_last = batch["is_last"]
    mid = tf.fill(tf.shape(is_last), ts.StepType.MID)
    step_0 = tf.where(tf.equal(batch["position"], 0), ts.StepType.FIRST, mid)
    step_1 = tf.where(is_last, ts.StepType.LAST, mid)
    after_1 = tf.where(is_last, ts.StepType.FIRST, mid)
    action = batch["action"] if "action" in batch else batch["logged_video_id"]
    reward = tf.stack([batch["reward"][name] for name in responses.RESPONSE_NAMES], axis=-1)
    propensity = batch["behavior_propensity"]
    return trajectory.Trajectory(
        step_type=pair(step_0, step_1),
        observation={k: pair(obs[k], next_obs[k]) for k in obs},
        action=pair(action, tf.zeros_like(action)),
        policy_info={
            "behavior_propensity": pair(propensity, tf.fill(tf.shape(propensity), ss.NO_PROPENSITY))
        },
        next_step_type=pair(step_1, after_1),
        reward=pair(reward, tf.zeros_like(reward)),
        discount=pair(1.0 - tf.cast(is_last, tf.float32), tf.ones_like(propensity)),
    )
