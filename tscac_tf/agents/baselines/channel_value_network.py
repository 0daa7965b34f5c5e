"""Value networks over named reward *channels* (which need not be registry responses).

`tscac_tf/networks/value_network.py` keys its critics by registry response names. The
interaction-only AC and the joint-critic RCPO learn the value of a *sum* of responses,
which no response names, so their critic is this one: the same tower (state encoder,
`value_hidden` MLP, linear head) per channel, keyed by a free channel name. With
`shared_trunk` the channels share one tower and keep one output each (cheaper to trace;
the small preset uses it, as TSCAC stage one's does).
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
    """observation -> ({channel: V_c(s) float32 [B]}, ()); one tower per channel, or shared."""

    def __init__(
        self,
        input_tensor_spec: dict[str, tf.TensorSpec],
        lookup: FeatureLookup,
        config: NetworkConfig,
        channel_names: Sequence[str],
        shared_trunk: bool = False,
        name: str = "channel_value_network",
    ) -> None:
        super().__init__(input_tensor_spec=input_tensor_spec, state_spec=(), name=name)
        names = tuple(channel_names)
        if not names or len(set(names)) != len(names):
            raise ValueError(f"channel_names must be distinct and non-empty, got {names}")
        self._names = names
        self._shared_trunk = shared_trunk
        towers = ["shared"] if shared_trunk else list(names)
        self._encoders = [
            StateEncoder(lookup, VideoEncoder(lookup, config), config, name=f"{n}_state")
            for n in towers
        ]
        self._hidden = [mlp(config.value_hidden, name=f"{n}_mlp") for n in towers]
        outputs = len(names) if shared_trunk else 1
        self._heads = [tf.keras.layers.Dense(outputs, name=f"{n}_value") for n in towers]

    @classmethod
    def from_config(
        cls,
        lookup: FeatureLookup,
        config: NetworkConfig,
        channel_names: Sequence[str],
        shared_trunk: bool = False,
        name: str = "channel_value_network",
    ) -> ChannelValueNetwork:
        """A critic whose input spec is `state_spec(config.history_length)`."""
        spec = state_spec(config.history_length)
        return cls(spec, lookup, config, channel_names, shared_trunk, name=name)

    @property
    def channel_names(self) -> tuple[str, ...]:
        return self._names

    def call(self, observation, step_type=None, network_state=(), training=False):
        del step_type, training
        towers = [
            head(hidden(encoder(observation)))
            for encoder, hidden, head in zip(self._encoders, self._hidden, self._heads, strict=True)
        ]
        if self._shared_trunk:
            return {n: towers[0][:, i] for i, n in enumerate(self._names)}, network_state
        return {n: t[:, 0] for n, t in zip(self._names, towers, strict=True)}, network_state
