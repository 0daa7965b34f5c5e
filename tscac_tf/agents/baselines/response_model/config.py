"""Configuration of the supervised response-model baselines (Wide&Deep, DeepFM)."""

from __future__ import annotations

import dataclasses

from tscac_tf.training.optimizer_config import OptimizerConfig


def _sizes(name: str, sizes: tuple[int, ...]) -> None:
    if not isinstance(sizes, tuple) or not all(isinstance(s, int) and s > 0 for s in sizes):
        raise ValueError(
            f"ResponseModelConfig.{name} must be a tuple of positive ints, got {sizes!r}"
        )


@dataclasses.dataclass(frozen=True)
class ResponseModelConfig:
    """Attributes:
    num_steps: training steps.
    optimizer: Adam settings.
    field_dim: k, the embedding size of every field (categorical column, video id, history).
    deep_hidden: hidden sizes of the deep MLP.
    wide_buckets: hash buckets of the wide part's crossed (user column × video column) codes.
    interaction_weights: the grid of the shared interaction weight w of the fused score
      Σ_j w_j · sign_j · pred_j (w_watch_time = 1 second, every auxiliary w).
    fusion_batches: training batches on which the fusion weight is chosen.
    fusion_clip: clip of the importance weights 1/π_β of the off-policy estimates.
    """

    num_steps: int = 5000
    optimizer: OptimizerConfig = OptimizerConfig()
    field_dim: int = 8
    deep_hidden: tuple[int, ...] = (128, 64)
    wide_buckets: int = 100_003
    interaction_weights: tuple[float, ...] = (0.0, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0)
    fusion_batches: int = 100
    fusion_clip: float = 100.0

    def __post_init__(self) -> None:
        for name in ("num_steps",):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 0:
                raise ValueError(f"ResponseModelConfig.{name} must be an int >= 0, got {value!r}")
        for name in ("field_dim", "wide_buckets", "fusion_batches"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"ResponseModelConfig.{name} must be an int >= 1, got {value!r}")
        _sizes("deep_hidden", self.deep_hidden)
        grid = self.interaction_weights
        if not grid or any(not w >= 0 for w in grid):
            raise ValueError(
                f"ResponseModelConfig.interaction_weights must be a non-empty tuple of "
                f"weights >= 0, got {grid!r}"
            )
        if not self.fusion_clip > 0:
            raise ValueError(f"ResponseModelConfig.fusion_clip must be > 0, got {self.fusion_clip}")


SMALL = ResponseModelConfig(
    num_steps=40,
    optimizer=OptimizerConfig(learning_rate=1e-2),
    field_dim=4,
    deep_hidden=(16,),
    wide_buckets=1009,
    interaction_weights=(0.0, 5.0, 50.0),
    fusion_batches=5,
)
