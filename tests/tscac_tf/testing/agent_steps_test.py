"""Tests of the direct train-step runner used by the agent tests."""

import tscac_tf  # noqa: F401  (first: pins Keras 2 before TensorFlow loads)

# isort: split

import numpy as np
import tensorflow as tf
from tf_agents.agents import tf_agent

from tscac_tf.testing.agent_steps import train_steps


class _CountingAgent(tf.Module):
    def __init__(self):
        super().__init__()
        self.initialized = False
        self.total = tf.Variable(0.0)

    def initialize(self):
        self.initialized = True

    def train(self, experience):
        self.total.assign_add(tf.reduce_sum(experience))
        return tf_agent.LossInfo(loss=self.total.read_value(), extra={"x": experience})


def test_runs_the_requested_steps_and_returns_numpy_loss_infos():
    agent = _CountingAgent()
    dataset = tf.data.Dataset.from_tensor_slices(tf.ones([10, 2])).repeat()
    infos = train_steps(agent, dataset, 4)
    assert agent.initialized and len(infos) == 4
    assert [float(i.loss) for i in infos] == [2.0, 4.0, 6.0, 8.0]
    assert isinstance(infos[0].extra["x"], np.ndarray)
