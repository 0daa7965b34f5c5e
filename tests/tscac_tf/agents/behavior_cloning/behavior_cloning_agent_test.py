"""Tests of the behaviour-cloning agent on the fake log (the logging policy prefers matches)."""

import tscac_tf  # noqa: F401  (first: pins Keras 2 before TensorFlow loads)

# isort: split

import numpy as np
import tensorflow as tf

from tscac_tf.agents.behavior_cloning.behavior_cloning_agent import BehaviorCloningAgent
from tscac_tf.networks.actor_network import ActorNetwork
from tscac_tf.policies.candidate_softmax_policy import action_log_probs
from tscac_tf.testing.agent_steps import train_steps


def test_learns_the_logging_preference(lookup, config, dataset, match_mass, transitions):
    agent = BehaviorCloningAgent(
        ActorNetwork.from_config(lookup, config.network, "bc"), config.behavior
    )
    before = match_mass(agent.actor_network)
    infos = train_steps(agent, dataset, 150)
    assert int(agent.train_step_counter.numpy()) == 150
    first = np.mean([i.loss for i in infos[:10]])
    last = np.mean([i.loss for i in infos[-10:]])
    assert last < first - 0.05
    assert match_mass(agent.actor_network) > before + 0.04
    # log π_β(a|s) is the log-softmax of the model's logits at the logged action
    obs = {k: tf.constant(v[:5]) for k, v in transitions["observation"].items()}
    actions = tf.constant(transitions["action"][:5])
    logits = agent.actor_network(obs)[0]["logits"]
    np.testing.assert_allclose(
        agent.log_probs(obs, actions), action_log_probs(logits, actions), rtol=1e-6
    )
