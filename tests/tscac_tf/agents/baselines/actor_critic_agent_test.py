"""Tests of the single-objective actor-critic baselines on the fake log."""

import tscac_tf  # noqa: F401  (first: pins Keras 2 before TensorFlow loads)

# isort: split

import numpy as np
import pytest

from tscac_tf.agents.baselines import training
from tscac_tf.agents.baselines.actor_critic_agent import ActorCriticBaselineAgent
from tscac_tf.agents.baselines.single_objectives import interaction_objective
from tscac_tf.networks.actor_network import ActorNetwork
from tscac_tf.networks.value_network import ValueNetwork
from tscac_tf.testing.agent_steps import train_steps


@pytest.mark.parametrize("name", ["watch_time_ac", "interaction_ac"])
def test_single_objective_actor_moves_mass_onto_the_rewarded_candidates(
    name, lookup, bconfig, behavior, unbiased_dataset, match_mass
):
    # On the unbiased log, matching videos are watched longer and interacted with more:
    # either objective must raise the probability on them, from the rewards alone.
    agent = training.build_baseline(name, lookup, behavior, bconfig)
    behavior_before = [v.numpy() for v in behavior.trainable_variables]
    before = match_mass(agent.actor_network)
    infos = train_steps(agent, unbiased_dataset, 160)
    after = match_mass(agent.actor_network)
    assert after > before + 0.05, (before, after)
    for old, new in zip(behavior_before, behavior.trainable_variables, strict=True):
        np.testing.assert_array_equal(old, new)
    last = infos[-1]
    assert np.isfinite(last.loss)
    (channel,) = agent.channels
    assert np.isfinite(last.extra["critic_loss"][channel])
    assert last.extra["value"][channel] > 0  # both rewards are mostly positive


def test_interaction_objective_sums_every_auxiliary_with_hate_already_negative(bconfig):
    weights, discount = interaction_objective(bconfig)
    assert sorted(weights) == sorted(bconfig.tscac.auxiliary_names)
    assert set(weights.values()) == {1.0}
    assert discount == pytest.approx(0.9)


def test_channel_weights_must_cover_the_critic(lookup, bconfig, behavior):
    net = bconfig.tscac.network
    critic = ValueNetwork.from_config(lookup, net, ["a", "b"], free_names=True)
    with pytest.raises(ValueError, match=r"channel_weights covers \['a'\], the critic has"):
        ActorCriticBaselineAgent(
            ActorNetwork.from_config(lookup, net, "actor"),
            critic,
            behavior,
            {"a": {"click": 1.0}},
            {"a": 0.9, "b": 0.9},
            bconfig,
        )
