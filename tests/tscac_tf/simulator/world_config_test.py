"""World configuration: presets build, round-trip through JSON, and bad values are named."""

import dataclasses
import json

import pytest

from tscac_tf.simulator import world_config as wc
from tscac_tf.simulator.population import build_population
from tscac_tf.simulator.world import World


@pytest.mark.parametrize("name", sorted(wc.PRESETS))
def test_every_preset_builds_a_world(name):
    config = wc.WorldConfig.preset(name)
    population = build_population(config.population, config.seed)
    expected_users = config.population.num_users or 27_285
    assert population.users.ids.size == expected_users
    world = World(config, population)
    assert world.num_candidates == 50 and world.history_length == 20


def test_preset_seed_override_and_unknown_name():
    assert wc.WorldConfig.preset("small", seed=5).seed == 5
    assert wc.WorldConfig.preset("small").seed == 0
    with pytest.raises(KeyError, match="unknown world preset 'huge'"):
        wc.WorldConfig.preset("huge")


def test_json_round_trip():
    config = wc.WorldConfig.preset("pure", seed=3)
    text = json.dumps(config.to_dict())
    assert wc.WorldConfig.from_dict(json.loads(text)) == config


def test_from_dict_names_unknown_keys():
    data = wc.WorldConfig.preset("small").to_dict()
    data["dynamics"]["leave_intercpt"] = 1.0
    with pytest.raises(
        ValueError, match=r"WorldConfig.dynamics: unknown keys \['leave_intercpt'\]"
    ):
        wc.WorldConfig.from_dict(data)


@pytest.mark.parametrize(
    "part, changes, message",
    [
        ("population", {"interest_sd": -1.0}, r"population.interest_sd must be a number in"),
        ("population", {"num_users": 0}, r"population.num_users must be a positive int"),
        ("population", {"interest_columns": ("user_id",)}, r"interest_columns must be user"),
        ("population", {"quality_type_share": 0.9}, r"quality_\*_share must be variance shares"),
        ("responses", {"attention_sigma": 0.0}, r"responses.attention_sigma must be a number in"),
        ("responses", {"calibration": {"like": 0.0}}, r"calibration must be a mapping with"),
        (
            "responses",
            {"like_multipliers": {"follow": -1, "comment": 1, "forward": 1, "hate": 1}},
            r"like_multipliers\['follow'\] must be finite numbers in \[0.0",
        ),  # fmt: skip
        ("dynamics", {"satisfaction_memory": 1.0}, r"dynamics.satisfaction_memory must be"),
        ("dynamics", {"experience_stages": (0.0, 1.0)}, r"experience_stages must be 3 numbers"),
        ("dynamics", {"leave_position": float("nan")}, r"leave_position must be a finite number"),
        ("schedule", {"hour_weights": (1.0,) * 23}, r"hour_weights must be 24 weights"),
        ("schedule", {"min_session_gap_min": 30.0}, r"min_session_gap_min must be a number in"),
        ("schedule", {"return_gap_shares": (0.9, 0.2)}, r"return_gap_shares must be shares"),
        ("behavior", {"num_candidates": 0}, r"behavior.num_candidates must be a positive int"),
        ("behavior", {"random_exposure_rate": 1.5}, r"random_exposure_rate must be a number in"),
        ("behavior", {"score_weights": {"watch_time": 1.0}}, r"score_weights must be a mapping"),
    ],
)
def test_malformed_parameters_name_the_field(part, changes, message):
    config_class = type(getattr(wc.WorldConfig(), part))
    with pytest.raises(ValueError, match=message):
        config_class(**{**dataclasses.asdict(config_class()), **changes})


def test_world_config_checks_its_own_fields():
    with pytest.raises(ValueError, match="WorldConfig.seed must be an int >= 0"):
        wc.WorldConfig(seed=-1)
    with pytest.raises(ValueError, match="WorldConfig.dynamics must be a DynamicsConfig"):
        wc.WorldConfig(dynamics=wc.ScheduleConfig())


def test_default_stage_rates_and_multipliers_come_from_the_real_figures():
    from tscac_tf.simulator import kuairand_reference as ref

    responses = wc.ResponseConfig()
    assert responses.stage_rates["comment"] == ref.stage_rates("comment")
    assert responses.like_multipliers["hate"] == pytest.approx(ref.like_multiplier("hate"))
