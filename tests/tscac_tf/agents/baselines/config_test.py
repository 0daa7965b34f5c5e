"""Tests of the baselines' configuration: presets follow TSCAC's, bad values are named."""

import tscac_tf  # noqa: F401  (first: pins Keras 2 before TensorFlow loads)

# isort: split

import pytest

from tscac_tf.agents.baselines import config
from tscac_tf.agents.baselines.response_model.config import ResponseModelConfig
from tscac_tf.agents.tscac import config as tscac_config


@pytest.mark.parametrize("name", config.PRESET_NAMES)
def test_presets_share_tscac_sizes_and_train_as_long_as_stage_two(name):
    baselines, tscac = config.preset(name), tscac_config.preset(name)
    assert baselines.tscac == tscac
    assert baselines.actor_critic.num_steps == tscac.stage_two.num_steps
    assert baselines.actor_critic.entropy_coefficient == tscac.stage_one.entropy_coefficient
    assert config.preset(name, batch_size=7).tscac.batch_size == 7


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: config.ActorCriticConfig(num_steps=-1), "num_steps must be an int >= 0"),
        (lambda: config.ActorCriticConfig(ratio_clip=0), "ratio_clip must be > 0"),
        (lambda: config.LagrangianConfig(learning_rate=0), "learning_rate must be > 0"),
        (lambda: config.ParetoConfig(floor=-0.1), "floor must be in"),
        (lambda: config.ParetoConfig(gradient_space="theta"), "gradient_space must be one of"),
        (lambda: ResponseModelConfig(interaction_weights=()), "interaction_weights"),
        (lambda: ResponseModelConfig(deep_hidden=(0,)), "deep_hidden"),
        (lambda: config.preset("huge"), "unknown preset 'huge'"),
    ],
)
def test_bad_values_are_named(make, message):
    with pytest.raises((ValueError, KeyError), match=message):
        make()
