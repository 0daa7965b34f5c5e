"""Fits the two-tower retrieval model on the train split and exports its index.

`train(data_dir, model_dir, config)` is the pipeline step behind `tscac retrieval train`:
it reads an ExampleGen directory (sessions + feature tables) and writes a model directory
(tscac_tf/retrieval/model_dir.py).
"""

from __future__ import annotations

import dataclasses
import logging
import time

import tensorflow as tf

from tscac_tf.features.feature_tables import FeatureTables
from tscac_tf.retrieval import model_dir as model_dir_lib
from tscac_tf.retrieval import tag_profile, training_data
from tscac_tf.retrieval.config import RetrievalConfig
from tscac_tf.retrieval.retrieval_index import RetrievalIndex
from tscac_tf.retrieval.two_tower_model import TwoTowerModel
from tscac_tf.retrieval.video_frequencies import VideoFrequencies
from tscac_tf.specs import session_schema as ss

_LOG = logging.getLogger(__name__)


class _LogEpochs(tf.keras.callbacks.Callback):
    """A progress line per epoch: its mean loss and how long it took."""

    def __init__(self, epochs: int):
        super().__init__()
        self._epochs, self._start = epochs, 0.0

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.monotonic()

    def on_epoch_end(self, epoch, logs=None):
        loss = (logs or {}).get("loss", float("nan"))
        seconds = time.monotonic() - self._start
        _LOG.info("epoch %d/%d: loss %.4f (%.1f s)", epoch + 1, self._epochs, loss, seconds)


@dataclasses.dataclass
class TrainedRetrieval:
    """A fitted model, its index over every table video, and what training measured."""

    model: TwoTowerModel
    index: RetrievalIndex
    frequencies: VideoFrequencies
    metrics: dict


def fit(data_dir: str, config: RetrievalConfig, verbose: int = 0) -> TrainedRetrieval:
    """Trains on DATA_DIR/train and builds the index (nothing is written).

    Raises:
      FileNotFoundError: the feature tables or the train sessions are missing.
      ValueError: there are fewer positives than one batch.
    """
    start = time.monotonic()
    tables = FeatureTables.load(data_dir)
    history_length, training = config.towers.history_length, config.training
    # One ordered pass over the train split. The positives are held in memory (int64: 336
    # bytes a positive with H = 20): they give the counts behind q(v), then are reshuffled
    # every epoch to train. (Videos outside the table cannot be retrieved: not trained on.)
    every = training_data.collect(
        training_data.positive_examples(
            data_dir, ss.TRAIN_SPLIT, history_length, positives=training.positives
        )
    )
    known = training_data.in_table(every, tables)
    frequencies = VideoFrequencies.from_ids(known["video_id"])
    _LOG.info(
        "read %d train positives (%s), %d of videos in the table, in %.1f s",
        len(every["video_id"]), training.positives, frequencies.total, time.monotonic() - start,
    )  # fmt: skip
    tf.keras.utils.set_random_seed(training.seed)
    examples = tf.data.Dataset.from_tensor_slices(known).shuffle(
        training.shuffle_buffer, seed=training.seed, reshuffle_each_iteration=True
    )
    batches = training_data.training_batches(examples, training.batch_size, frequencies.total)
    profile, profile_start = None, time.monotonic()
    if config.towers.tag_profile:
        method = config.towers.tag_profile_method
        _LOG.info("tag profile (%s) from the train split's exposures", method)
        profile = tag_profile.for_towers(data_dir, tables, config.towers)
        _LOG.info("tag profile (%s) in %.1f s", method, time.monotonic() - profile_start)
    profile_seconds = time.monotonic() - profile_start
    model = TwoTowerModel(
        tables,
        config,
        frequencies.sampling_probability_by_row(tables),
        tag_log_profile=None if profile is None else profile.table,
    )
    model.compile(optimizer=tf.keras.optimizers.Adam(training.learning_rate))
    history = model.fit(
        batches, epochs=training.epochs, verbose=verbose, callbacks=[_LogEpochs(training.epochs)]
    )
    index = RetrievalIndex(
        model.query_tower, model.candidate_tower, tables.video_ids[1:], config.index_top_n
    )
    _LOG.info("index over %d videos; %.1f s in all", index.num_videos, time.monotonic() - start)
    metrics = {
        "positives": training.positives,
        "train_positives": int(len(every["video_id"])),
        "train_positives_in_table": frequencies.total,
        "distinct_positive_videos": int(len(frequencies.video_ids)),
        "indexed_videos": int(index.num_videos),
        "loss_per_epoch": [float(x) for x in history.history["loss"]],
        # w / τ: the profile term's weight in the softmax's logits (1 at the start)
        "tag_profile_logit_weight": (
            float(model.query_tower.profile_weight.numpy()) / training.temperature
            if config.towers.tag_profile
            else None
        ),
        # how far the fitted profile's fit got in its fixed steps (None: counted or none)
        "tag_profile_fit": None if profile is None else profile.fit_summary(),
        "tag_profile_seconds": round(profile_seconds, 2),
        "seconds": round(time.monotonic() - start, 2),
    }
    return TrainedRetrieval(model, index, frequencies, metrics)


def train(data_dir: str, model_dir: str, config: RetrievalConfig, verbose: int = 0) -> dict:
    """Fits, then writes MODEL_DIR/index (SavedModel), the config and the training metrics.

    Returns:
      The training metrics (JSON-able).
    """
    trained = fit(data_dir, config, verbose)
    trained.index.export(model_dir_lib.index_path(model_dir))
    model_dir_lib.write_config(model_dir, config)
    model_dir_lib.write_json(f"{model_dir}/{model_dir_lib.TRAINING_METRICS_FILE}", trained.metrics)
    return trained.metrics
