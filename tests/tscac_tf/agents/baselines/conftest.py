"""Fixtures of the baseline tests (the fake log and small preset come from ../conftest.py)."""

import dataclasses

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


@pytest.fixture(scope="session")
def weakly_anchored(bconfig):
    """The small preset with a weak behaviour-cloning anchor (α = 0.1 instead of 1).

    The learning tests below log uniformly at random, so π_β is uniform and the anchor
    pulls the actor back to uniform: with the preset's α = 1 it moves too little in 160
    steps to show which way the objective points.
    """
    ac = dataclasses.replace(bconfig.actor_critic, behavior_regularization=0.1)
    return dataclasses.replace(bconfig, actor_critic=ac)
