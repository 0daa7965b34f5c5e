"""Fixtures of the baseline tests (the fake log and small preset come from ../conftest.py)."""

import tscac_tf  # noqa: F401  (first: pins Keras 2 before TensorFlow loads)

# isort: split

import pytest

from tscac_tf.agents.baselines import config as baselines_config
from tscac_tf.networks.actor_network import ActorNetwork


@pytest.fixture(scope="session")
def bconfig():
    return baselines_config.preset("small")


@pytest.fixture()
def behavior(lookup, bconfig):
    """An untrained behaviour network: π_β uniform-ish over the candidates."""
    return ActorNetwork.from_config(lookup, bconfig.tscac.network, "behavior")
