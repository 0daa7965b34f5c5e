"""Shared inputs of the candidates-step tests: a fake ExampleGen directory and an index.

Importing tscac_tf first sets TF_USE_LEGACY_KERAS before any test module imports
TensorFlow. The model is untrained (fake_retrieval_model): these tests check the plumbing,
not retrieval quality, and exporting one index for the whole directory keeps them fast.
"""

import tscac_tf  # noqa: F401, I001

import dataclasses

import pytest

from tscac_tf.retrieval import config, model_dir, retrieval_index
from tscac_tf.testing import fake_retrieval_model, fake_sessions

WORLD = fake_sessions.FakeWorld(num_users=8, num_videos=60, train_sessions=2, eval_sessions=1)
# K = 10 of N = 20: retrieval misses some logged videos, so insertion is exercised.
CONFIG = dataclasses.replace(
    config.preset("small"), index_top_n=20, num_candidates=10, eval_recall_ks=(10,), eval_ndcg_k=10
)


@dataclasses.dataclass
class Inputs:
    data_dir: str
    model_dir: str
    index: object  # the in-memory RetrievalIndex
    loaded: object  # the same index loaded from model_dir


@pytest.fixture(scope="session")
def inputs(tmp_path_factory) -> Inputs:
    root = tmp_path_factory.mktemp("candidates_inputs")
    data_dir, model = str(root / "data"), str(root / "model")
    fake_sessions.write_fake_sessions(data_dir, WORLD)
    index = fake_retrieval_model.write_untrained_model_dir(data_dir, model, CONFIG)
    return Inputs(data_dir, model, index, retrieval_index.load(model_dir.index_path(model)))
