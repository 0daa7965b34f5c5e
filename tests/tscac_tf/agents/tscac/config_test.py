"""Tests of the TSCAC configuration dataclasses and presets."""

import dataclasses

import tscac_tf  # noqa: F401  (first: pins Keras 2 before TensorFlow loads)

# isort: split

import pytest

from tscac_tf.agents.tscac import config
from tscac_tf.specs import responses


@pytest.mark.parametrize("name", config.PRESET_NAMES)
def test_every_preset_builds_with_the_registry(name):
    cfg = config.preset(name)
    assert tuple(r.name for r in cfg.responses) == responses.RESPONSE_NAMES
    assert cfg.discounts == {r.name: r.discount for r in responses.RESPONSES}
    assert set(cfg.lagranges) == set(responses.AUXILIARY_NAMES)
    assert cfg.main_response.name == "watch_time"
    assert cfg.propensity_source == "model"
    assert cfg.network.num_candidates >= 2 and cfg.batch_size >= 1


def test_presets_differ_in_size():
    small, default, pure = (config.preset(n) for n in ("small", "default", "pure"))
    assert (
        small.network.preference_dim < default.network.preference_dim < pure.network.preference_dim
    )
    assert small.stage_one.num_steps < default.stage_one.num_steps < pure.stage_one.num_steps


def test_overrides_of_gamma_and_lambda():
    cfg = config.preset(
        "small", discounts={"click": 0.5}, shared_lagrange=0.1, lagranges={"hate": 2.0}
    )
    assert cfg.discounts["click"] == 0.5
    assert cfg.discounts["watch_time"] == responses.get("watch_time").discount
    assert cfg.lagranges == {
        "click": 0.1,
        "like": 0.1,
        "follow": 0.1,
        "comment": 0.1,
        "forward": 0.1,
        "hate": 2.0,
    }


def test_replacements_and_unknown_names():
    assert config.preset("small", batch_size=7).batch_size == 7
    with pytest.raises(KeyError, match="unknown preset"):
        config.preset("huge")
    with pytest.raises(KeyError, match="unknown response"):
        config.preset("small", discounts={"clicks": 0.5})
    with pytest.raises(ValueError, match="main response has no λ"):
        config.preset("small", lagranges={"watch_time": 1.0})
    with pytest.raises(ValueError, match="discount"):
        config.preset("small", discounts={"click": 1.5})


def test_validation_errors_name_the_field():
    with pytest.raises(ValueError, match="Λ"):
        config.preset("small", shared_lagrange=0.0)
    with pytest.raises(ValueError, match="propensity_source"):
        config.preset("small", propensity_source="log")
    with pytest.raises(ValueError, match="batch_size"):
        config.preset("small", batch_size=0)
    with pytest.raises(ValueError, match="ratio_clip"):
        config.StageOneConfig(ratio_clip=0.0)
    with pytest.raises(ValueError, match="entropy_coefficient"):
        config.StageOneConfig(entropy_coefficient=-1.0)
    with pytest.raises(ValueError, match="target_update_tau"):
        config.StageTwoConfig(target_update_tau=0.0)
    with pytest.raises(ValueError, match="advantage_scale"):
        config.StageTwoConfig(advantage_scale=0.0)
    with pytest.raises(ValueError, match="weight_clip"):
        config.StageTwoConfig(weight_clip=-2.0)
    with pytest.raises(ValueError, match="num_steps"):
        config.StageTwoConfig(num_steps=-1)
    with pytest.raises(ValueError, match="lagrange_update must be 'fixed' or 'dual'"):
        config.StageTwoConfig(lagrange_update="adaptive")
    with pytest.raises(ValueError, match="dual_learning_rate"):
        config.StageTwoConfig(dual_learning_rate=0.0)
    with pytest.raises(ValueError, match="dual_estimate_decay"):
        config.StageTwoConfig(dual_estimate_decay=1.0)
    with pytest.raises(ValueError, match="dual_estimate_clip"):
        config.StageTwoConfig(dual_estimate_clip=0.0)
    with pytest.raises(ValueError, match="lagrange_floor"):
        config.StageTwoConfig(lagrange_floor=0.0)
    with pytest.raises(ValueError, match="level_batches"):
        config.StageTwoConfig(level_batches=0)


def test_responses_must_be_the_registry_in_order():
    reordered = tuple(reversed(responses.RESPONSES))
    with pytest.raises(ValueError, match="same names, same order"):
        config.TscacConfig(responses=reordered)
    wrong_role = (dataclasses.replace(responses.RESPONSES[1], role="main", lagrange=0.0),)
    with pytest.raises(ValueError, match="role"):
        config.TscacConfig(responses=responses.RESPONSES[:1] + wrong_role + responses.RESPONSES[2:])


def test_configs_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.preset("small").batch_size = 3
