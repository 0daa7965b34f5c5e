"""Shared fixtures of the simulator tests: one small world per test session."""

import pytest

from tscac_tf.simulator.world import World


@pytest.fixture(scope="session")
def small_world() -> World:
    return World.preset("small")
