"""Value networks V_c(s), one per channel: the multi-critic.

ARCHITECTURE §2 and paper §2: every response has its own critic, trained by TD on its
own reward with its own γ_i; no critic ever sees a weighted sum of responses. By default
each channel has a fully separate network (its own state encoder); `shared_trunk=True`
shares one state encoder and hidden stack and keeps one output head per channel, which
is cheaper and still never mixes the channels' targets.

A channel is a registry response (TSCAC's critics, checked against the registry) or, with
`free_names=True`, any name: the baselines' joint critics value a *sum* of responses
(RCPO's r_1 + Σ λ_i r_i, the interaction-only AC's summed interactions), which no
response names.
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
from tscac_tf.specs import responses


class _ValueTower(tf.keras.layers.Layer):
    """state -> [B, num_outputs]: its own video/state encoders, hidden stack and head."""

    def __init__(self, lookup, config: NetworkConfig, num_outputs: int, name: str) -> None:
        super().__init__(name=name)
        self._state_encoder = StateEncoder(lookup, VideoEncoder(lookup, config), config)
        self._mlp = mlp(config.value_hidden, name="value_mlp")
        self._head = tf.keras.layers.Dense(num_outputs, name="value")

    def call(self, observation):
        return self._head(self._mlp(self._state_encoder(observation)))


class ValueNetwork(network.Network):
    """observation -> ({channel name: V(s) float32 [B]}, ()).

    Only the state keys of the observation are read (user_id, history_video_ids,
    history_play_time_ms), so it accepts both s_t and the reader's next_observation.
    """

    def __init__(
        self,
        input_tensor_spec: dict[str, tf.TensorSpec],
        lookup: FeatureLookup,
        config: NetworkConfig,
        channel_names: Sequence[str],
        shared_trunk: bool = False,
        name: str = "value_network",
        free_names: bool = False,
    ) -> None:
        super().__init__(input_tensor_spec=input_tensor_spec, state_spec=(), name=name)
        names = tuple(channel_names)
        if not names or len(set(names)) != len(names):
            raise ValueError(f"channel names must be distinct and non-empty, got {names}")
        if not free_names:
            for n in names:
                responses.get(n)
        self._names = names
        self._shared_trunk = shared_trunk
        if shared_trunk:
            self._towers = [_ValueTower(lookup, config, len(names), name="shared")]
        else:
            self._towers = [_ValueTower(lookup, config, 1, name=n) for n in names]

    @classmethod
    def from_config(
        cls,
        lookup: FeatureLookup,
        config: NetworkConfig,
        channel_names: Sequence[str],
        shared_trunk: bool = False,
        name: str = "value_network",
        free_names: bool = False,
    ) -> ValueNetwork:
        """A value network whose input spec is `state_spec(config.history_length)`."""
        spec = state_spec(config.history_length)
        return cls(spec, lookup, config, channel_names, shared_trunk, name, free_names)

    @property
    def channel_names(self) -> tuple[str, ...]:
        return self._names

    @property
    def response_names(self) -> tuple[str, ...]:
        """The channel names (registry responses unless built with free_names)."""
        return self._names

    def call(self, observation, step_type=None, network_state=(), training=False):
        del step_type, training
        if self._shared_trunk:
            values = self._towers[0](observation)  # [B, m]
            out = {n: values[:, i] for i, n in enumerate(self._names)}
        else:
            out = {
                n: tower(observation)[:, 0]
                for n, tower in zip(self._names, self._towers, strict=True)
            }
        return out, network_state
