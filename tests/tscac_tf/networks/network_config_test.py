"""Tests of NetworkConfig validation."""

import tscac_tf  # noqa: F401  (first: pins Keras 2 before TensorFlow loads)

# isort: split

import pytest

from tscac_tf.networks.network_config import NetworkConfig


def test_defaults_follow_the_session_schema():
    cfg = NetworkConfig()
    assert (cfg.history_length, cfg.num_candidates) == (20, 50)


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"history_length": 0}, "history_length"),
        ({"preference_dim": -1}, "preference_dim"),
        ({"state_hidden": ()}, "state_hidden"),
        ({"candidate_hidden": (4, 0)}, "candidate_hidden"),
        ({"value_hidden": [4]}, "value_hidden"),
        ({"temperature": 0.0}, "temperature"),
    ],
)
def test_invalid_values_name_the_field(kwargs, field):
    with pytest.raises(ValueError, match=field):
        NetworkConfig(**kwargs)
