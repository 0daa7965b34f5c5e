"""Retrieval examples: one (query, logged video) pair per positive logged step.

Read with the trainers' own reader (tscac_tf/data/reader.py), so the retrieval query of a
step is exactly the history the policies see: user_id, history_video_ids and
history_play_time_ms of s_t, with the logged video as the label. A positive is a long
view or a click (or, with `positives=EXPOSURES`, any logged exposure). Training also drops positives whose video is not in the feature table: a
video outside the table can never be retrieved, so it cannot be a target (evaluation keeps
them, as misses).
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from tscac_tf.data import reader
from tscac_tf.features.feature_tables import FeatureTables
from tscac_tf.retrieval import config as config_lib

EXAMPLE_KEYS = ("user_id", "history_video_ids", "history_play_time_ms", "video_id")
_READ_BATCH = 1024  # transitions per reader batch before positives are selected


def is_positive(batch: dict) -> tf.Tensor:
    """bool [B]: the reader batch's steps that are positives (a long view or a click)."""
    return batch["long_view"] | (batch["reward"]["click"] > 0)


def positive_examples(
    data_dir: str,
    split: str,
    history_length: int,
    shuffle: bool = False,
    seed: int = 0,
    shuffle_buffer: int = 10_000,
    positives: str = config_lib.ENGAGED,
) -> tf.data.Dataset:
    """Unbatched positives {user_id [], history_video_ids [H], history_play_time_ms [H], video_id []}.

    Args:
      data_dir: an ExampleGen output directory.
      split: the split to read.
      history_length: H.
      shuffle, seed, shuffle_buffer: passed to the reader (steps shuffled across sessions).
      positives: config.ENGAGED (long views and clicks) or config.EXPOSURES (every step).

    Raises:
      FileNotFoundError: the split has no session files.
      ValueError: `positives` is neither.
    """
    if positives not in config_lib.POSITIVES:
        raise ValueError(f"positives must be one of {config_lib.POSITIVES}, got {positives!r}")
    every_step = positives == config_lib.EXPOSURES

    def select(batch):
        video_id = batch["logged_video_id"]
        keep = is_positive(batch) | every_step
        fields = {k: batch["observation"][k] for k in EXAMPLE_KEYS[:3]}
        fields["video_id"] = video_id
        return {k: tf.boolean_mask(v, keep) for k, v in fields.items()}

    transitions = reader.transitions_dataset(
        data_dir,
        split,
        batch_size=_READ_BATCH,
        history_length=history_length,
        shuffle=shuffle,
        seed=seed,
        shuffle_buffer_size=shuffle_buffer,
    )
    return transitions.map(select, num_parallel_calls=tf.data.AUTOTUNE).unbatch()


def in_table(examples: dict, tables: FeatureTables) -> dict:
    """The collected examples whose video has a row in the video table (order kept)."""
    known = tables.video_rows(examples["video_id"]) > 0
    return {key: values[known] for key, values in examples.items()}


def collect(examples: tf.data.Dataset) -> dict:
    """An unbatched example dataset as {key: numpy array [N, ...]}."""
    parts: dict[str, list] = {}
    for batch in examples.batch(8192).as_numpy_iterator():
        for key, value in batch.items():
            parts.setdefault(key, []).append(value)
    if not parts:
        raise ValueError("no positive examples: the split has no long views or clicks")
    return {key: np.concatenate(values) for key, values in parts.items()}


def training_batches(examples: tf.data.Dataset, batch_size: int, count: int) -> tf.data.Dataset:
    """Full batches of `batch_size` positives (every batch has as many in-batch negatives).

    Args:
      examples: positive_examples(..., shuffle=True).
      batch_size: B.
      count: the number of examples, to refuse data smaller than one batch.

    Raises:
      ValueError: count < batch_size.
    """
    if count < batch_size:
        raise ValueError(
            f"retrieval training has {count} positives, fewer than one batch of "
            f"{batch_size}: lower the batch size or add data"
        )
    return examples.batch(batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)
