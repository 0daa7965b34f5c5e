"""Tests of the candidate-agent base: specs, step counter, optimiser slots built up front."""

import tscac_tf  # noqa: F401  (first: pins Keras 2 before TensorFlow loads)

# isort: split

import tensorflow as tf

from tscac_tf.agents.behavior_cloning.behavior_cloning_agent import BehaviorCloningAgent
from tscac_tf.networks.actor_network import ActorNetwork
from tscac_tf.specs import session_schema as ss


def test_specs_counter_and_slots(lookup, config):
    agent = BehaviorCloningAgent(
        ActorNetwork.from_config(lookup, config.network, "bc"), config.behavior
    )
    net = config.network
    want = ss.transition_spec(net.history_length, net.num_candidates)
    tf.nest.assert_same_structure(agent.training_data_spec, want)
    assert agent.training_data_spec["observation"] == want["observation"]
    assert agent.action_spec.maximum == net.num_candidates - 1
    assert agent.time_step_spec.observation == ss.observation_spec(
        net.history_length, net.num_candidates
    )
    counter = agent.train_step_counter
    assert counter.dtype == tf.int64 and int(counter) == 0
    assert counter.aggregation == tf.VariableAggregation.ONLY_FIRST_REPLICA
    optimizer, variables = agent.optimizer_variables()[0]
    assert not optimizer.variables()
    agent.initialize()
    assert optimizer.get_slot(variables[0], "m").shape == variables[0].shape
