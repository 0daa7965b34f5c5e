"""An untrained retrieval index and model directory, for tests that need one fast.

The towers are freshly initialised (seeded), so the index ranks arbitrarily but exactly
like a trained one would be exported, loaded and queried: Beam and serving tests use it
to check plumbing without paying for training.
"""

from __future__ import annotations

import tensorflow as tf

from tscac_tf.features.feature_tables import FeatureTables
from tscac_tf.retrieval import model_dir as model_dir_lib
from tscac_tf.retrieval.candidate_tower import CandidateTower
from tscac_tf.retrieval.config import RetrievalConfig
from tscac_tf.retrieval.query_tower import QueryTower
from tscac_tf.retrieval.retrieval_index import RetrievalIndex


def untrained_index(
    tables: FeatureTables, config: RetrievalConfig, seed: int = 0
) -> RetrievalIndex:
    """A RetrievalIndex over every table video, with seeded random tower weights."""
    tf.keras.utils.set_random_seed(seed)
    candidate_tower = CandidateTower(tables, config.towers)
    query_tower = QueryTower(tables, candidate_tower, config.towers)
    return RetrievalIndex(query_tower, candidate_tower, tables.video_ids[1:], config.index_top_n)


def write_untrained_model_dir(
    data_dir: str, model_dir: str, config: RetrievalConfig, seed: int = 0
) -> RetrievalIndex:
    """Exports untrained_index(tables of DATA_DIR) as a retrieval model directory."""
    index = untrained_index(FeatureTables.load(data_dir), config, seed)
    index.export(model_dir_lib.index_path(model_dir))
    model_dir_lib.write_config(model_dir, config)
    return index
