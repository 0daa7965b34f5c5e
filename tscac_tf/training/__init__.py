"""The generic training loop: tf.data transitions -> agent.train, checkpoints, summaries."""
