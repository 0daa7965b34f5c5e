"""Runs an agent's train step directly (no Trainer), for tests of what an agent learns."""

from __future__ import annotations

import numpy as np
import tensorflow as tf


def train_steps(agent, dataset: tf.data.Dataset, steps: int) -> list:
    """Initialises `agent`, then runs `steps` train steps in one traced tf.function.

    Returns:
      The LossInfo of every step, with numpy leaves.
    """
    train = tf.function(agent.train, autograph=False)
    agent.initialize()
    return [tf.nest.map_structure(np.asarray, train(e)) for e in dataset.take(steps)]
