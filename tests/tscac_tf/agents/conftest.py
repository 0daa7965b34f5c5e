"""Fixtures of the agent tests: a fake log with learnable structure and the small preset."""

import tscac_tf  # noqa: F401  (first: pins Keras 2 before TensorFlow loads)

# isort: split

import dataclasses

import pytest
import tensorflow as tf

from tscac_tf.agents.tscac import config as tscac_config
from tscac_tf.networks.feature_lookup import FeatureLookup
from tscac_tf.testing import fake_transitions as ft

FAKE = ft.FakeTransitionsConfig(num_sessions=300, seed=3)
# The same world logged by a policy without any preference for matching videos: whatever a
# learner gains on matches there comes from the rewards, not from imitating the log.
UNBIASED = dataclasses.replace(FAKE, logging_preference=0.0)


@pytest.fixture(autouse=True)
def _seed():
    tf.keras.utils.set_random_seed(20230501)


@pytest.fixture(scope="session")
def config():
    cfg = tscac_config.preset("small")
    assert (cfg.network.history_length, cfg.network.num_candidates) == (
        FAKE.history_length,
        FAKE.num_candidates,
    )
    return cfg


@pytest.fixture(scope="session")
def tables():
    return ft.fake_feature_tables(FAKE.num_users, FAKE.num_videos)


@pytest.fixture(scope="session")
def transitions(tables):
    return ft.fake_transitions(tables, FAKE)


@pytest.fixture()
def lookup(tables):
    return FeatureLookup(tables)


@pytest.fixture()
def dataset(tables, config):
    return ft.fake_transitions_dataset(tables, FAKE, config.batch_size, repeat=True)


@pytest.fixture()
def unbiased_dataset(tables, config):
    return ft.fake_transitions_dataset(tables, UNBIASED, config.batch_size, repeat=True)


@pytest.fixture()
def match_mass(tables, transitions):
    """actor -> mean probability on matching candidates over the first 400 transitions."""
    observation = {k: v[:400] for k, v in transitions["observation"].items()}

    def measure(actor) -> float:
        logits = actor({k: tf.constant(v) for k, v in observation.items()})[0]["logits"]
        return ft.match_mass(tables, logits.numpy(), observation, FAKE.num_groups)

    return measure
