"""Tests of TSCAC stage one on the fake log: one actor-critic per auxiliary response."""

import tscac_tf  # noqa: F401  (first: pins Keras 2 before TensorFlow loads)

# isort: split

import dataclasses

import numpy as np
import pytest
import tensorflow as tf

from tscac_tf.agents.tscac.stage_one_agent import StageOneAgent
from tscac_tf.networks.actor_network import ActorNetwork
from tscac_tf.networks.value_network import ValueNetwork
from tscac_tf.testing.agent_steps import train_steps


def _agent(lookup, config):
    net, aux = config.network, config.auxiliary_names
    actors = {n: ActorNetwork.from_config(lookup, net, f"{n}_actor") for n in aux}
    # one separate critic per response (the paper's form; the small preset shares a trunk)
    critic = ValueNetwork.from_config(lookup, net, aux, shared_trunk=False, name="critic")
    behavior = ActorNetwork.from_config(lookup, net, "behavior")
    return StageOneAgent(actors, critic, behavior, config), behavior


def test_each_actor_learns_its_response_and_the_behavior_model_stays_frozen(
    lookup, config, dataset, match_mass
):
    agent, behavior = _agent(lookup, config)
    before = {n: match_mass(a) for n, a in agent.actor_networks.items()}
    behavior_before = [v.numpy() for v in behavior.trainable_variables]
    infos = train_steps(agent, dataset, 120)
    after = {n: match_mass(a) for n, a in agent.actor_networks.items()}
    # Clicks (KuaiRand's valid play) come mostly from matching videos: the click actor must
    # move a lot of mass onto them; across all six actors the mass must rise on average.
    assert after["click"] > before["click"] + 0.1
    assert np.mean(list(after.values())) > np.mean(list(before.values())) + 0.02
    for old, new in zip(behavior_before, behavior.trainable_variables, strict=True):
        np.testing.assert_array_equal(old, new)
    last = infos[-1]
    assert sorted(last.extra["critic_loss"]) == sorted(config.auxiliary_names)
    assert all(np.isfinite(v) for v in last.extra["actor_loss"].values())
    # V_click tracks the discounted click return (clicks ~ 0.5 per step, γ = 0.9): positive
    assert last.extra["value"]["click"] > 0.2 and last.extra["value"]["hate"] < 0.0
    assert agent.auxiliary_policies["click"].actor_network is agent.actor_networks["click"]
    assert agent.policy is agent.auxiliary_policies[config.auxiliary_names[0]]


@pytest.mark.parametrize("init_from_behavior", [True, False])
def test_the_actors_start_from_the_behaviour_policy_when_asked(
    lookup, config, transitions, init_from_behavior
):
    stage_one = dataclasses.replace(config.stage_one, init_from_behavior=init_from_behavior)
    agent, behavior = _agent(lookup, dataclasses.replace(config, stage_one=stage_one))
    agent.initialize()
    observation = {k: tf.constant(v[:64]) for k, v in transitions["observation"].items()}
    reference = behavior(observation)[0]["logits"].numpy()
    for name, actor in agent.actor_networks.items():
        logits = actor(observation)[0]["logits"].numpy()
        if init_from_behavior:
            np.testing.assert_allclose(logits, reference, rtol=1e-6, atol=1e-6, err_msg=name)
        else:
            assert np.abs(logits - reference).max() > 1e-3, name


def test_networks_must_cover_the_auxiliary_responses(lookup, config):
    net = config.network
    actors = {"click": ActorNetwork.from_config(lookup, net, "click_actor")}
    critic = ValueNetwork.from_config(lookup, net, config.auxiliary_names, name="critic")
    with pytest.raises(ValueError, match="actor_networks covers"):
        StageOneAgent(actors, critic, ActorNetwork.from_config(lookup, net, "b"), config)
