"""Tests of the channel critic: free channel names, separate or shared towers."""

import tscac_tf  # noqa: F401  (first: pins Keras 2 before TensorFlow loads)

# isort: split

import numpy as np
import pytest
import tensorflow as tf

from tscac_tf.agents.baselines.channel_value_network import ChannelValueNetwork


@pytest.mark.parametrize(("shared", "towers"), [(False, 2), (True, 1)])
def test_one_value_per_channel(shared, towers, lookup, bconfig, transitions):
    net = bconfig.tscac.network
    critic = ChannelValueNetwork.from_config(lookup, net, ["interaction", "x"], shared)
    state = {k: tf.constant(v[:5]) for k, v in transitions["next_observation"].items()}
    values, _ = critic(state)
    assert sorted(values) == ["interaction", "x"]
    assert all(v.shape == (5,) and np.all(np.isfinite(v)) for v in values.values())
    assert not np.allclose(values["interaction"], values["x"])  # distinct heads
    heads = [v for v in critic.trainable_variables if v.name.endswith("_value/kernel:0")]
    assert len(heads) == towers


def test_channel_names_must_be_distinct(lookup, bconfig):
    with pytest.raises(ValueError, match="distinct and non-empty"):
        ChannelValueNetwork.from_config(lookup, bconfig.tscac.network, ["a", "a"])
