"""Tests of target networks and their soft updates."""

import tscac_tf  # noqa: F401  (first: pins Keras 2 before TensorFlow loads)

# isort: split

import numpy as np
import pytest

from tscac_tf.networks.target_network import make_target, target_updater
from tscac_tf.networks.value_network import ValueNetwork


def _pair(lookup, net_config):
    source = ValueNetwork.from_config(lookup, net_config, ["click"], name="v")
    return source, make_target(source, "target_v")


def test_target_starts_equal_with_its_own_variables(lookup, net_config):
    source, target = _pair(lookup, net_config)
    for s, t in zip(source.trainable_variables, target.trainable_variables, strict=True):
        assert s is not t
        np.testing.assert_allclose(s, t)


def test_soft_update_every_period(lookup, net_config):
    # θ_t ← (1 − τ) θ_t + τ θ: with τ = 0.25 and θ moved by +1, θ_t moves by +0.25,
    # and only on every second call (period 2).
    source, target = _pair(lookup, net_config)
    update = target_updater(source, target, tau=0.25, period=2)
    before = [v.numpy() for v in target.trainable_variables]
    for v in source.trainable_variables:
        v.assign_add(np.ones(v.shape, np.float32))
    update()
    for b, t in zip(before, target.trainable_variables, strict=True):
        np.testing.assert_allclose(t, b)
    update()
    for b, t in zip(before, target.trainable_variables, strict=True):
        np.testing.assert_allclose(t, b + 0.25, rtol=1e-5, atol=1e-6)


def test_bad_tau_and_period(lookup, net_config):
    source, target = _pair(lookup, net_config)
    with pytest.raises(ValueError, match="tau"):
        target_updater(source, target, tau=0.0, period=1)
    with pytest.raises(ValueError, match="period"):
        target_updater(source, target, tau=0.5, period=0)
