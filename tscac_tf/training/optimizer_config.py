"""Optimiser settings (Adam with optional global-norm clipping) and the optimiser they build.

The optimiser is tf-keras' `legacy.Adam`: it applies each variable's update with one fused
kernel (ResourceApplyAdam), where the newer Keras optimiser builds about fifteen ops per
variable; with one network per response that is the difference between a train step
that traces in seconds and one that traces in tens of seconds, and it runs faster too.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # TensorFlow is imported where an optimiser is built, so that the
    # configs (and the pipeline's cache keys, which read them) load without it.
    import tensorflow as tf


@dataclasses.dataclass(frozen=True)
class OptimizerConfig:
    """Adam.

    Attributes:
      learning_rate: > 0.
      global_clipnorm: clip the gradient's global norm to this, or None for no clipping.
    """

    learning_rate: float = 1e-3
    global_clipnorm: float | None = 10.0

    def __post_init__(self) -> None:
        if not self.learning_rate > 0:
            raise ValueError(f"learning_rate must be > 0, got {self.learning_rate}")
        if self.global_clipnorm is not None and not self.global_clipnorm > 0:
            raise ValueError(f"global_clipnorm must be > 0 or None, got {self.global_clipnorm}")

    def make(self, name: str = "Adam") -> tf.keras.optimizers.legacy.Optimizer:
        """A fresh tf-keras Adam (create it inside the strategy scope)."""
        import tensorflow as tf

        return tf.keras.optimizers.legacy.Adam(
            learning_rate=self.learning_rate, global_clipnorm=self.global_clipnorm, name=name
        )


def build_slots(optimizer: tf.keras.optimizers.legacy.Optimizer, variables) -> None:
    """Creates the optimiser's slot variables (Adam's m and v) and step counter now.

    They are otherwise created at the first `apply_gradients`; creating them up front lets
    a checkpoint restore them before the first step of a resumed run.
    """
    optimizer._create_all_weights(list(variables))  # what apply_gradients calls first
