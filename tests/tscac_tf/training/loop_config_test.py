"""Tests of the loop settings."""

import tscac_tf  # noqa: F401  (first: pins Keras 2 before TensorFlow loads)

# isort: split

import pytest

from tscac_tf.agents.behavior_cloning.config import BehaviorCloningConfig
from tscac_tf.training.loop_config import LoopConfig


@pytest.mark.parametrize(
    "field", ["steps_per_call", "checkpoint_every", "summary_every", "log_every", "max_checkpoints"]
)
def test_every_field_must_be_a_positive_int(field):
    with pytest.raises(ValueError, match=field):
        LoopConfig(**{field: 0})
    assert getattr(LoopConfig(**{field: 3}), field) == 3


def test_behavior_cloning_steps():
    with pytest.raises(ValueError, match="num_steps"):
        BehaviorCloningConfig(num_steps=-1)
