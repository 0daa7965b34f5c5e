"""The layout of a retrieval model directory, written by `tscac retrieval train`.

MODEL_DIR/index/                  the RetrievalIndex SavedModel (serving_default, top_k)
MODEL_DIR/retrieval_config.json   the RetrievalConfig it was trained with
MODEL_DIR/training_metrics.json   what training reported (loss per epoch, sizes)
"""

from __future__ import annotations

import json
import os

from tscac_tf.retrieval.config import RetrievalConfig, config_from_dict, config_to_dict

INDEX_DIR = "index"
CONFIG_FILE = "retrieval_config.json"
TRAINING_METRICS_FILE = "training_metrics.json"


def index_path(model_dir: str) -> str:
    return os.path.join(model_dir, INDEX_DIR)


def write_config(model_dir: str, config: RetrievalConfig) -> None:
    os.makedirs(model_dir, exist_ok=True)
    with open(os.path.join(model_dir, CONFIG_FILE), "w") as f:
        json.dump(config_to_dict(config), f, indent=1, sort_keys=True)


def read_config(model_dir: str) -> RetrievalConfig:
    """The config next to the index; FileNotFoundError names the missing file."""
    path = os.path.join(model_dir, CONFIG_FILE)
    if not os.path.exists(path):
        raise FileNotFoundError(
            f"retrieval model: {path} does not exist (written by `tscac retrieval train`)"
        )
    with open(path) as f:
        return config_from_dict(json.load(f))


def write_json(path: str, data: dict) -> None:
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        json.dump(data, f, indent=1, sort_keys=True)
