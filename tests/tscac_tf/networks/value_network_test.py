"""Tests of the multi-critic value networks (registry responses or free channel names)."""

import tscac_tf  # noqa: F401  (first: pins Keras 2 before TensorFlow loads)

# isort: split

import numpy as np
import pytest

from tscac_tf.networks.value_network import ValueNetwork


@pytest.mark.parametrize("shared", [False, True])
def test_one_value_per_response_from_the_state_only(lookup, net_config, observation, shared):
    net = ValueNetwork.from_config(lookup, net_config, ["click", "hate"], shared_trunk=shared)
    values, _ = net(observation)
    assert sorted(values) == ["click", "hate"] and values["click"].shape == (2,)
    state_only = {k: v for k, v in observation.items() if k != "candidate_video_ids"}
    np.testing.assert_allclose(net(state_only)[0]["hate"], values["hate"])


def test_separate_critics_have_separate_parameters(lookup, net_config):
    separate = ValueNetwork.from_config(lookup, net_config, ["click", "like"])
    shared = ValueNetwork.from_config(lookup, net_config, ["click", "like"], shared_trunk=True)
    separate.create_variables()
    shared.create_variables()
    n_sep = sum(v.shape.num_elements() for v in separate.trainable_variables)
    n_shared = sum(v.shape.num_elements() for v in shared.trainable_variables)
    assert n_sep > 1.8 * n_shared


def test_response_names_are_checked(lookup, net_config):
    with pytest.raises(KeyError, match="unknown response"):
        ValueNetwork.from_config(lookup, net_config, ["clicks"])
    with pytest.raises(ValueError, match="distinct"):
        ValueNetwork.from_config(lookup, net_config, ["click", "click"])


@pytest.mark.parametrize("shared", [False, True])
def test_free_channel_names_value_sums_no_response_names(lookup, net_config, observation, shared):
    net = ValueNetwork.from_config(
        lookup, net_config, ["interaction", "joint"], shared_trunk=shared, free_names=True
    )
    values, _ = net(observation)
    assert net.channel_names == ("interaction", "joint")
    assert all(v.shape == (2,) and np.all(np.isfinite(v)) for v in values.values())
    assert not np.allclose(values["interaction"], values["joint"])  # distinct heads
    with pytest.raises(ValueError, match="distinct"):
        ValueNetwork.from_config(lookup, net_config, ["a", "a"], free_names=True)
