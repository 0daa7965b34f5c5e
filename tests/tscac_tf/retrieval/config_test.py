"""Retrieval config: every preset builds and validates; bad values name the field."""

import dataclasses

import pytest

from tscac_tf.retrieval import config


@pytest.mark.parametrize("name", sorted(config.PRESETS))
def test_every_preset_builds_and_round_trips(name):
    cfg = config.preset(name)
    assert cfg.num_candidates <= cfg.index_top_n
    assert config.config_from_dict(config.config_to_dict(cfg)) == cfg


def test_unknown_preset_lists_the_known_ones():
    with pytest.raises(KeyError, match="small"):
        config.preset("huge")


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: config.TowerConfig(embedding_dim=0), "embedding_dim"),
        (lambda: config.TowerConfig(hidden_units=(8, 0)), "hidden_units"),
        (lambda: config.TowerConfig(max_watch_ratio=0.0), "max_watch_ratio"),
        (lambda: config.TowerConfig(tag_profile_method="mean"), "tag_profile_method must be"),
        (lambda: config.TowerConfig(tag_profile_l2=0.0), "tag_profile_l2 must be > 0"),
        (lambda: config.TowerConfig(tag_profile_feature_l2=-1.0), "feature_l2 must be > 0"),
        (lambda: config.TowerConfig(tag_profile_steps=0), "tag_profile_steps must be >= 1"),
        (lambda: config.TrainingConfig(batch_size=1), "in-batch negatives"),
        (lambda: config.TrainingConfig(temperature=0.0), "temperature"),
        (lambda: config.TrainingConfig(positives="clicks"), "positives must be one of"),
        (lambda: config.RetrievalConfig(num_candidates=101), "num_candidates"),
        (lambda: config.RetrievalConfig(eval_recall_ks=(10, 200)), "evaluation k"),
    ],
)
def test_invalid_values_are_rejected_with_the_field_name(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_configs_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.preset("small").seed = 3
