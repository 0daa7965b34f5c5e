"""Configuration of the behaviour-cloning model π_β (and of the BC baseline)."""

from __future__ import annotations

import dataclasses

from tscac_tf.training.optimizer_config import OptimizerConfig


@dataclasses.dataclass(frozen=True)
class BehaviorCloningConfig:
    """Attributes:
    num_steps: training steps (at most: see `patience`).
    optimizer: Adam settings.
    select_by_heldout: score π_β on the eval split every `heldout_every` steps while it
      trains, stop early (`patience`), and use the checkpoint with the lowest held-out
      cross-entropy, not the last one (tscac_training.train_behavior).
    heldout_every: steps between two scorings (each one saves a checkpoint); None: the
      loop's checkpoint_every.
    patience: stop once this many scorings in a row have not beaten the best one; 0:
      train all num_steps (every scored checkpoint is then kept).
    """

    num_steps: int = 5000
    optimizer: OptimizerConfig = OptimizerConfig()
    select_by_heldout: bool = True
    heldout_every: int | None = None
    patience: int = 3

    def __post_init__(self) -> None:
        if not isinstance(self.num_steps, int) or self.num_steps < 0:
            raise ValueError(
                f"BehaviorCloningConfig.num_steps must be an int >= 0, got {self.num_steps!r}"
            )
        if self.heldout_every is not None and (
            not isinstance(self.heldout_every, int) or self.heldout_every < 1
        ):
            raise ValueError(
                "BehaviorCloningConfig.heldout_every must be an int >= 1 or None, "
                f"got {self.heldout_every!r}"
            )
        if not isinstance(self.patience, int) or self.patience < 0:
            raise ValueError(
                f"BehaviorCloningConfig.patience must be an int >= 0, got {self.patience!r}"
            )
