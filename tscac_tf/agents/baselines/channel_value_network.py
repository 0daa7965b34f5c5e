"""Value networks over named reward *channels* (which need not be registry responses).

`tscac_tf/networks/value_network.py` keys its critics by registry response names. The
interaction-only AC and the joint-critic RCPO learn the value of a *sum* of responses,
which no response names, so their critic is this one: the same tower (state encoder,
`value_hidden` MLP, linear head) per channel, keyed by a free channel name.
"""

from __future__ import annotations

from collections.abc import Sequence

import tensorflow as tf
from tf_agents.networks import network

from tscac_tf.networks.feature_lookup import FeatureLookup
from tscac_tf.networks.mlp import mlp
from tscac_tf.networks.network_config import NetworkConfig
from tscac_tf.networks.state_encoder import StateEncoder, state_spec
from tscac_tf.networks.video_encoder import VideoEncoder


class ChannelValueNetwork(network.Network):
    """observation -> ({channel: V_c(s) float32 [B]}, ()); one separate tower per channel."""

    def __init__(
        self,
        input_tensor_spec: dict[str, tf.TensorSpec],
        lookup: FeatureLookup,
        config: NetworkConfig,
        channel_names: Sequence[str],
        name: str = "channel_value_network",
    ) -> None:
        super().__init__(input_tensor_spec=input_tensor_spec, state_spec=(), name=name)
        names = tuple(channel_names)
        if not names or len(set(names)) != len(names):
            raise ValueError(f"channel_names must be distinct and non-empty, got {names}")
        self._names = names
        self._encoders = [
            StateEncoder(lookup, VideoEncoder(lookup, config), config, name=f"{n}_state")
            for n in names
        ]
        self._hidden = [mlp(config.value_hidden, name=f"{n}_mlp") for n in names]
        self._heads = [tf.keras.layers.Dense(1, name=f"{n}_value") for n in names]

    @classmethod
    def from_config(
        cls,
        lookup: FeatureLookup,
        config: NetworkConfig,
        channel_names: Sequence[str],
        name: str = "channel_value_network",
    ) -> ChannelValueNetwork:
        """A critic whose input spec is `state_spec(config.history_length)`."""
        return cls(state_spec(config.history_length), lookup, config, channel_names, name=name)

    @property
    def channel_names(self) -> tuple[str, ...]:
        return self._names

    def call(self, observation, step_type=None, network_state=(), training=False):
        del step_type, training
        out = {}
        for i, n in enumerate(self._names):
            out[n] = self._heads[i](self._hidden[i](self._encoders[i](observation)))[:, 0]
        return out, network_state
