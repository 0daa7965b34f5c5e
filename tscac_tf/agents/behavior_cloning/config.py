"""Configuration of the behaviour-cloning model π_β (and of the BC baseline)."""

from __future__ import annotations

import dataclasses

from tscac_tf.training.optimizer_config import OptimizerConfig


@dataclasses.dataclass(frozen=True)
class BehaviorCloningConfig:
    """Attributes:
    num_steps: training steps.
    optimizer: Adam settings.
    select_by_heldout: use the kept checkpoint with the lowest cross-entropy on the eval
      split, not the last one (tscac_training.select_behavior_checkpoint).
    """

    num_steps: int = 5000
    optimizer: OptimizerConfig = OptimizerConfig()
    select_by_heldout: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.num_steps, int) or self.num_steps < 0:
            raise ValueError(
                f"BehaviorCloningConfig.num_steps must be an int >= 0, got {self.num_steps!r}"
            )
