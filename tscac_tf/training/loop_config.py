"""How a training loop runs: call granularity, checkpoints, summaries, progress logs."""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class LoopConfig:
    """Loop settings shared by every agent's training run.

    Attributes:
      steps_per_call: train steps run inside one tf.function call (a graph-side loop, so
        the Python overhead is paid once per call, not once per step).
      checkpoint_every: save a checkpoint when the step counter crosses a multiple of this.
      summary_every: write TensorBoard scalars when it crosses a multiple of this.
      log_every: log progress (steps/s, ETA) when it crosses a multiple of this.
      max_checkpoints: checkpoints kept on disk.
    """

    steps_per_call: int = 50
    checkpoint_every: int = 1000
    summary_every: int = 100
    log_every: int = 500
    max_checkpoints: int = 3

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"LoopConfig.{f.name} must be an int >= 1, got {value!r}")
