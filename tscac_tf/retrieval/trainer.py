"""Fits the two-tower retrieval model on the train split and exports its index.

`train(data_dir, model_dir, config)` is the pipeline step behind `tscac retrieval train`:
it reads an ExampleGen directory (sessions + feature tables) and writes a model directory
(tscac_tf/retrieval/model_dir.py).
"""

from __future__ import annotations

import dataclasses
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
    tf.keras.utils.set_random_seed(training.seed)
    examples = tf.data.Dataset.from_tensor_slices(known).shuffle(
        training.shuffle_buffer, seed=training.seed, reshuffle_each_iteration=True
    )
    batches = training_data.training_batches(examples, training.batch_size, frequencies.total)
    profile, profile_start = None, time.monotonic()
    if config.towers.tag_profile:
        profile = tag_profile.for_towers(data_dir, tables, config.towers)
    profile_seconds = time.monotonic() - profile_start
    model = TwoTowerModel(
        tables, config, frequencies.sampling_probability_by_row(tables), tag_log_profile=profile
    )
    model.compile(optimizer=tf.keras.optimizers.Adam(training.learning_rate))
    history = model.fit(batches, epochs=training.epochs, verbose=verbose)
    index = RetrievalIndex(
        model.query_tower, model.candidate_tower, tables.video_ids[1:], config.index_top_n
    )
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
