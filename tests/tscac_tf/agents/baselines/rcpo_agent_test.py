"""Tests of RCPO (joint critic and multi-critic) on the fake log."""

import tscac_tf  # noqa: F401  (first: pins Keras 2 before TensorFlow loads)

# isort: split

import numpy as np
import pytest

from tscac_tf.agents.baselines import training
from tscac_tf.agents.baselines.rcpo_agent import JOINT_CHANNEL
from tscac_tf.agents.tscac import tscac_training
from tscac_tf.testing.agent_steps import train_steps


def test_rcpo_learns_towards_the_rewarded_candidates_with_logged_levels(
    lookup, weakly_anchored, behavior, unbiased_dataset, match_mass
):
    aux = weakly_anchored.tscac.auxiliary_names
    levels = tscac_training.logged_rates(unbiased_dataset, aux, 10)
    assert 0.0 < levels["click"] < 1.0 and levels["hate"] < 0.0  # hate's reward is −is_hate
    agent = training.build_baseline("rcpo", lookup, behavior, weakly_anchored, levels)
    assert agent.channels == (JOINT_CHANNEL,)
    before = match_mass(agent.actor_network)
    infos = train_steps(agent, unbiased_dataset, 160)
    assert match_mass(agent.actor_network) > before + 0.05
    last = infos[-1]
    assert np.isfinite(last.loss)
    assert sorted(last.extra["lagrange"]) == sorted(aux)
    assert all(v >= 0.0 for v in last.extra["lagrange"].values())
    for n in aux:
        assert last.extra["lagrange"][n] == pytest.approx(agent.lagranges[n].numpy())
        assert last.extra["constraint_level"][n] == pytest.approx(levels[n])


@pytest.mark.parametrize(
    ("name", "level", "rises"), [("rcpo", 100.0, True), ("rcpo_mc", -100.0, False)]
)
def test_lagrange_multipliers_follow_the_constraints(
    name, level, rises, lookup, bconfig, behavior, dataset
):
    # Unattainable levels (every constraint violated) must raise every λ; trivially met
    # levels must lower every λ to 0 (and not below).
    aux = bconfig.tscac.auxiliary_names
    agent = training.build_baseline(name, lookup, behavior, bconfig, {n: level for n in aux})
    initial = {n: v.numpy() for n, v in agent.lagranges.items()}
    infos = train_steps(agent, dataset, 5)
    final = {n: v.numpy() for n, v in agent.lagranges.items()}
    for n in aux:
        if rises:
            assert final[n] > initial[n] + 1.0
        else:
            assert final[n] == 0.0
    assert np.isfinite(infos[-1].loss)
    if name == "rcpo_mc":  # one critic per response, each with its own γ
        assert sorted(agent.channels) == sorted(r.name for r in bconfig.tscac.responses)
        assert set(infos[-1].extra["critic_loss"]) == set(agent.channels)


def test_rcpo_needs_levels_for_every_auxiliary(lookup, bconfig, behavior):
    with pytest.raises(ValueError, match="needs the constraint levels"):
        training.build_baseline("rcpo", lookup, behavior, bconfig)
    with pytest.raises(ValueError, match="RCPO levels cover"):
        training.build_baseline("rcpo_mc", lookup, behavior, bconfig, {"click": 0.1})
