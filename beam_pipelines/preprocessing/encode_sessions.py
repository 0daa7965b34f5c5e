"""EncodeSessions: SessionBatches -> one serialised SequenceExample per session, by split.

The contract fields (session_schema: ids, time, every response signal kept separate, the
behaviour propensity) are written by `session_io.encode_session`. The joined features are
written beside them as extra fields, exactly as the models see them (FeatureTables codes
and standardised numbers), so a consumer that does not bake the tables can still use them:

  context  user_categorical   int64   [len(USER_CATEGORICAL)]   FeatureTables codes
           user_numeric       float   [len(USER_NUMERIC)]
  step     video_categorical  int64   [len(VIDEO_CATEGORICAL)]  per step
           video_numeric      float   [len(VIDEO_NUMERIC)]      per step
           watch_ratio        float   play_time_ms / duration_ms (0 where duration is 0)
"""

from __future__ import annotations

import apache_beam as beam
import numpy as np
import tensorflow as tf

from beam_pipelines.preprocessing import event_batch as eb
from beam_pipelines.preprocessing.sessionize import SPLIT_CODES
from beam_pipelines.preprocessing.sessionize_events import SessionBatch
from tscac_tf.data import session_io
from tscac_tf.features.feature_tables import FeatureTables
from tscac_tf.specs import session_schema as ss

USER_CATEGORICAL = "user_categorical"
USER_NUMERIC = "user_numeric"
VIDEO_CATEGORICAL = "video_categorical"
VIDEO_NUMERIC = "video_numeric"
WATCH_RATIO = "watch_ratio"


def watch_ratio(play_time_ms: np.ndarray, duration_ms: np.ndarray) -> np.ndarray:
    """play_time_ms / duration_ms, 0 where the duration is 0 (float64 [n])."""
    play, duration = np.asarray(play_time_ms, np.float64), np.asarray(duration_ms, np.float64)
    return np.divide(play, duration, out=np.zeros_like(play), where=duration > 0)


def _int64_feature(values) -> tf.train.Feature:
    return tf.train.Feature(int64_list=tf.train.Int64List(value=values))


def _float_feature(values) -> tf.train.Feature:
    return tf.train.Feature(float_list=tf.train.FloatList(value=values))


def _step_features(rows: list, kind: str):
    """[T] Features from [T] python values or [T][d] lists (appended in place: fast)."""
    feature_list = tf.train.FeatureList()
    for row in rows:
        values = getattr(feature_list.feature.add(), kind).value
        if isinstance(row, list):
            values.extend(row)
        else:
            values.append(row)
    return feature_list.feature


def serialize_session(
    context: dict,
    steps: dict,
    user_features: tuple[list, list],
    video_features: tuple[list, list],
    ratios: list,
) -> bytes:
    """One session SequenceExample: the contract fields plus the joined features.

    Args:
      context: session_schema context fields (user_id, date, session_index, session_id).
      steps: {name: [T values]} for session_schema.STEP_INT64 and STEP_FLOAT.
      user_features: (categorical codes, numeric values) of the user's FeatureTables row.
      video_features: ([T][5] categorical codes, [T][3] numeric values) per step.
      ratios: [T] watch ratios.
    """
    extra_context = {
        USER_CATEGORICAL: _int64_feature(user_features[0]),
        USER_NUMERIC: _float_feature(user_features[1]),
    }
    extra_steps = {
        VIDEO_CATEGORICAL: _step_features(video_features[0], "int64_list"),
        VIDEO_NUMERIC: _step_features(video_features[1], "float_list"),
        WATCH_RATIO: _step_features(ratios, "float_list"),
    }
    return session_io.encode_session(
        context, steps, extra_context=extra_context, extra_steps=extra_steps
    )


def encode_batch(batch: SessionBatch, tables: FeatureTables):
    """Yields (split name, serialised SequenceExample) for every session of the batch."""
    events = batch.events
    columns = {name: events[name].tolist() for name in ss.STEP_INT64}
    columns["behavior_propensity"] = events[eb.PROPENSITY].tolist()
    video_rows = events[eb.VIDEO_ROW]
    video_cat = tables.video_categorical[video_rows].tolist()
    video_num = tables.video_numeric[video_rows].tolist()
    ratio = watch_ratio(events["play_time_ms"], events["duration_ms"]).tolist()
    user_ids = events["user_id"].tolist()
    dates = events["date"].tolist()
    user_rows = events[eb.USER_ROW]
    for s in range(batch.num_sessions):
        begin = int(batch.starts[s])
        end = begin + int(batch.lengths[s])
        user, date, index = user_ids[begin], dates[begin], int(batch.index[s])
        context = {
            "user_id": user,
            "date": date,
            "session_index": index,
            "session_id": f"{user}-{date}-{index}",
        }
        row = user_rows[begin]
        serialized = serialize_session(
            context,
            {name: values[begin:end] for name, values in columns.items()},
            (tables.user_categorical[row].tolist(), tables.user_numeric[row].tolist()),
            (video_cat[begin:end], video_num[begin:end]),
            ratio[begin:end],
        )
        yield SPLIT_CODES[int(batch.split[s])], serialized


class _Encode(beam.DoFn):
    def process(self, batch: SessionBatch, tables: FeatureTables):
        for split, serialized in encode_batch(batch, tables):
            yield beam.pvalue.TaggedOutput(split, serialized)


class EncodeSessions(beam.PTransform):
    """SessionBatch -> serialised session SequenceExamples, one output per split.

    Args:
      tables: a PCollection holding one FeatureTables (ReadFeatureTables' `tables`).

    Outputs a dict {"train": PCollection[bytes], "eval": PCollection[bytes]}.
    """

    def __init__(self, tables):
        super().__init__()
        self._tables = tables

    def expand(self, sessions):
        splits = list(SPLIT_CODES.values())
        encoded = sessions | "SerializeSessions" >> beam.ParDo(
            _Encode(), tables=beam.pvalue.AsSingleton(self._tables)
        ).with_outputs(*splits)
        return {split: encoded[split] for split in splits}


class WriteSessions(beam.PTransform):
    """Writes each split's sessions as gzip TFRecord shards OUT/<split>/sessions-*.tfrecord.gz."""

    def __init__(self, out_dir: str, num_shards: int = 0):
        super().__init__()
        self._out_dir = out_dir
        self._num_shards = num_shards

    def expand(self, encoded):
        written = {}
        for split, records in encoded.items():
            written[split] = records | f"Write{split.capitalize()}" >> beam.io.WriteToTFRecord(
                f"{self._out_dir.rstrip('/')}/{split}/sessions",
                file_name_suffix=".tfrecord.gz",
                num_shards=self._num_shards,
                compression_type=beam.io.filesystem.CompressionTypes.GZIP,
            )
        return written
