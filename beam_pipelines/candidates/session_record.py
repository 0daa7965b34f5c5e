"""SessionRecord: one session SequenceExample as Python values, and back with candidates.

Beam workers handle sessions as plain values (no TensorFlow runtime, only the protos).
Fields the contract does not name (joined features) are carried through untouched, and
candidate fields already present (a rerun on a candidates output) are replaced.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import tensorflow as tf
from google.protobuf.message import DecodeError

from tscac_tf.data import session_io
from tscac_tf.specs import session_schema as ss

CANDIDATE_FIELDS = (ss.STEP_CANDIDATE_IDS, ss.STEP_LOGGED_INDEX, ss.STEP_CANDIDATE_INSERTED)


class MalformedSession(ValueError):
    """A record that is not a session SequenceExample of the contract; says which field."""


@dataclasses.dataclass
class SessionRecord:
    """One session.

    Attributes:
      context: {name: value} for CONTEXT_INT64 (int) and CONTEXT_BYTES (str).
      steps: {name: [T] array} for STEP_INT64 (int64) and STEP_FLOAT (float32).
      extra_context: other context features, as protos.
      extra_steps: other feature lists, as lists of [T] protos.
    """

    context: dict
    steps: dict
    extra_context: dict
    extra_steps: dict

    @property
    def session_id(self) -> str:
        return self.context["session_id"]

    @property
    def num_steps(self) -> int:
        return len(self.steps["video_id"])


def _scalar(feature: tf.train.Feature, name: str, kind: str):
    values = getattr(feature, kind).value
    if len(values) != 1:
        raise MalformedSession(
            f"context feature {name!r}: expected 1 {kind} value, got {len(values)}"
        )
    return values[0]


def _step_values(feature_list: tf.train.FeatureList, name: str, kind: str) -> list:
    values = [getattr(feature, kind).value for feature in feature_list.feature]
    for t, value in enumerate(values):
        if len(value) != 1:
            raise MalformedSession(
                f"step feature {name!r} at step {t}: expected 1 {kind} value, got {len(value)}"
            )
    return [value[0] for value in values]


def decode_session(serialized: bytes) -> SessionRecord:
    """Parses one serialised session.

    Raises:
      MalformedSession: not a SequenceExample, or a contract field is missing, has the wrong
        type, or the step lists differ in length (the message names the field).
    """
    try:
        example = tf.train.SequenceExample.FromString(serialized)
    except DecodeError as e:
        raise MalformedSession(f"not a tf.train.SequenceExample: {e}") from None
    context_features = dict(example.context.feature)
    lists = dict(example.feature_lists.feature_list)
    context = {}
    for names, kind in ((ss.CONTEXT_INT64, "int64_list"), (ss.CONTEXT_BYTES, "bytes_list")):
        for name in names:
            if name not in context_features:
                raise MalformedSession(f"context feature {name!r} is missing")
            context[name] = _scalar(context_features.pop(name), name, kind)
    context["session_id"] = context["session_id"].decode()
    steps = {}
    for names, kind, dtype in (
        (ss.STEP_INT64, "int64_list", np.int64),
        (ss.STEP_FLOAT, "float_list", np.float32),
    ):
        for name in names:
            if name not in lists:
                raise MalformedSession(f"step feature {name!r} is missing")
            steps[name] = np.asarray(_step_values(lists.pop(name), name, kind), dtype)
    lengths = {name: len(v) for name, v in steps.items()}
    if len(set(lengths.values())) != 1:
        raise MalformedSession(f"step features have different lengths: {lengths}")
    for name in CANDIDATE_FIELDS:
        lists.pop(name, None)
    extra_steps = {name: list(fl.feature) for name, fl in lists.items()}
    return SessionRecord(context, steps, context_features, extra_steps)


def encode_with_candidates(
    record: SessionRecord,
    candidates: np.ndarray,
    logged_index: np.ndarray,
    inserted: np.ndarray,
) -> bytes:
    """The session serialised with its candidate fields (session_io.encode_session).

    Args:
      candidates: int64 [T, K]; logged_index, inserted: int64 [T].
    """
    steps = {name: values.tolist() for name, values in record.steps.items()}
    steps[ss.STEP_LOGGED_INDEX] = np.asarray(logged_index).tolist()
    steps[ss.STEP_CANDIDATE_INSERTED] = np.asarray(inserted).tolist()
    return session_io.encode_session(
        record.context,
        steps,
        candidates=np.asarray(candidates).tolist(),
        extra_context=record.extra_context,
        extra_steps=record.extra_steps,
    )
