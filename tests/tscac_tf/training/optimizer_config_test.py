"""Tests of the optimiser settings and of building the slots up front."""

import tscac_tf  # noqa: F401  (first: pins Keras 2 before TensorFlow loads)

# isort: split

import pytest
import tensorflow as tf

from tscac_tf.training.optimizer_config import OptimizerConfig, build_slots


def test_make_and_build_slots():
    optimizer = OptimizerConfig(learning_rate=0.01, global_clipnorm=5.0).make(name="adam_x")
    assert optimizer.global_clipnorm == 5.0 and optimizer.get_config()["name"] == "adam_x"
    variables = [tf.Variable(tf.ones([3, 2])), tf.Variable(0.5)]
    build_slots(optimizer, variables)
    assert optimizer.get_slot(variables[0], "m").shape == (3, 2)
    assert optimizer.get_slot(variables[1], "v").shape == ()


@pytest.mark.parametrize(
    "kwargs, field",
    [({"learning_rate": 0.0}, "learning_rate"), ({"global_clipnorm": -1.0}, "global_clipnorm")],
)
def test_validation(kwargs, field):
    with pytest.raises(ValueError, match=field):
        OptimizerConfig(**kwargs)
