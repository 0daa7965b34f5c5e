"""Session SequenceExamples: encode one session, parse them back into tensors.

The byte format is defined by tscac_tf/specs/session_schema.py. SequenceExamples are built
directly with `tf.train` protos (tf-agents' own TFRecord encoder is broken on NumPy 2, see
BUILD_NOTES.md), and encoding does not import TensorFlow's runtime beyond the protos, so
Beam workers stay light.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import tensorflow as tf

from tscac_tf.specs import session_schema as ss


def _append_steps(feature_list: tf.train.FeatureList, kind: str, values) -> None:
    """One Feature per step holding one value, built in place.

    Appending into the message is ~3x faster than constructing Feature objects and copying
    them into the list (upb), which matters at hundreds of thousands of steps.
    """
    features = feature_list.feature
    if kind == "int64_list":
        for value in values:
            features.add().int64_list.value.append(int(value))
    else:
        for value in values:
            features.add().float_list.value.append(float(value))


def _append_vectors(feature_list: tf.train.FeatureList, values) -> None:
    """One int64 Feature per step holding a list of values (candidate ids), built in place."""
    features = feature_list.feature
    for value in values:
        features.add().int64_list.value.extend([int(v) for v in value])


def encode_session(
    context: Mapping[str, object],
    steps: Mapping[str, Sequence],
    candidates: Sequence[Sequence[int]] | None = None,
    extra_context: Mapping[str, tf.train.Feature] | None = None,
    extra_steps: Mapping[str, Sequence[tf.train.Feature]] | None = None,
) -> bytes:
    """Serialises one session.

    Args:
      context: {name: value} for every name in CONTEXT_INT64 and CONTEXT_BYTES.
      steps: {name: [T values]} for every name in STEP_INT64 and STEP_FLOAT.
      candidates: optional [T][K] candidate ids per step; when given, `steps` must also
        hold STEP_LOGGED_INDEX and STEP_CANDIDATE_INSERTED.
      extra_context, extra_steps: further features (joined user/video features) written
        as they are.

    Returns:
      The serialised tf.train.SequenceExample.

    Raises:
      KeyError: a required field is missing (the message names it).
      ValueError: the step lists have different lengths.
    """
    example = tf.train.SequenceExample()
    feature = example.context.feature
    for name in ss.CONTEXT_INT64:
        feature[name].int64_list.value.append(int(context[name]))
    for name in ss.CONTEXT_BYTES:
        value = context[name]
        feature[name].bytes_list.value.append(value.encode() if isinstance(value, str) else value)
    for name, value in (extra_context or {}).items():
        feature[name].CopyFrom(value)

    lengths = {name: len(steps[name]) for name in ss.STEP_INT64 + ss.STEP_FLOAT}
    if len(set(lengths.values())) != 1:
        raise ValueError(f"session steps have different lengths: {lengths}")
    lists = example.feature_lists.feature_list
    for name in ss.STEP_INT64:
        _append_steps(lists[name], "int64_list", steps[name])
    for name in ss.STEP_FLOAT:
        _append_steps(lists[name], "float_list", steps[name])
    if candidates is not None:
        if len(candidates) != lengths["video_id"]:
            raise ValueError(
                f"candidates has {len(candidates)} steps, the session has {lengths['video_id']}"
            )
        _append_vectors(lists[ss.STEP_CANDIDATE_IDS], candidates)
        for name in (ss.STEP_LOGGED_INDEX, ss.STEP_CANDIDATE_INSERTED):
            _append_steps(lists[name], "int64_list", steps[name])
    for name, feats in (extra_steps or {}).items():
        lists[name].feature.extend(feats)
    return example.SerializeToString()


def parse_spec(with_candidates: bool = False, num_candidates: int = ss.DEFAULT_NUM_CANDIDATES):
    """(context_features, sequence_features) for tf.io.parse_single_sequence_example."""
    context = {name: tf.io.FixedLenFeature([], tf.int64) for name in ss.CONTEXT_INT64}
    context.update({name: tf.io.FixedLenFeature([], tf.string) for name in ss.CONTEXT_BYTES})
    sequence = {name: tf.io.FixedLenSequenceFeature([], tf.int64) for name in ss.STEP_INT64}
    sequence.update({name: tf.io.FixedLenSequenceFeature([], tf.float32) for name in ss.STEP_FLOAT})
    if with_candidates:
        sequence[ss.STEP_CANDIDATE_IDS] = tf.io.FixedLenSequenceFeature([num_candidates], tf.int64)
        sequence[ss.STEP_LOGGED_INDEX] = tf.io.FixedLenSequenceFeature([], tf.int64)
        sequence[ss.STEP_CANDIDATE_INSERTED] = tf.io.FixedLenSequenceFeature([], tf.int64)
    return context, sequence


def parse_session(
    serialized: tf.Tensor,
    with_candidates: bool = False,
    num_candidates: int = ss.DEFAULT_NUM_CANDIDATES,
) -> dict[str, tf.Tensor]:
    """One serialised session -> {name: tensor}: context scalars and [T] / [T, K] steps."""
    context_spec, sequence_spec = parse_spec(with_candidates, num_candidates)
    context, sequence = tf.io.parse_single_sequence_example(
        serialized, context_features=context_spec, sequence_features=sequence_spec
    )
    return {**context, **sequence}


def session_files(directory: str, split: str) -> list[str]:
    """The sorted session shard paths of one split; FileNotFoundError when there are none."""
    pattern = f"{directory.rstrip('/')}/{split}/{ss.SESSION_FILE_GLOB}"
    files = sorted(tf.io.gfile.glob(pattern))
    if not files:
        raise FileNotFoundError(f"no session files match {pattern} (written by `tscac preprocess`)")
    return files


def read_sessions_numpy(
    files: Sequence[str], with_candidates: bool = False, num_candidates: int = 50
):
    """Eagerly reads session files into a list of {name: numpy array} (tests, small data)."""
    dataset = tf.data.TFRecordDataset(list(files), compression_type="GZIP")
    out = []
    for serialized in dataset:
        parsed = parse_session(serialized, with_candidates, num_candidates)
        out.append(
            {
                k: (v.numpy().decode() if v.dtype == tf.string else np.asarray(v))
                for k, v in parsed.items()
            }
        )
    return out
