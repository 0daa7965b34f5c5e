"""The training loop: tf.data transitions -> agent.train, under a tf.distribute strategy.

Generic over agents (behaviour cloning, TSCAC stages, baselines): anything with
`train(experience) -> LossInfo`, `initialize()` and `train_step_counter`. It

- runs `steps_per_call` train steps inside one tf.function (a graph-side loop), so Python
  overhead is paid once per call;
- runs every step through `strategy.run` on a distributed dataset (the default strategy
  locally, MirroredStrategy across devices; build the agent inside `strategy.scope()`);
- checkpoints the agent (networks, target networks, optimisers and their slots) and the
  step counter with `tf.train.CheckpointManager`, and resumes from the latest checkpoint
  when built again on the same directory (killed mid-run, a run continues from there);
- writes TensorBoard scalars for every loss term, per response, and logs steps/s and ETA.

The dataset is repeated (epochs) and prefetched here. Its position is not checkpointed:
after a restart the data order starts again from the beginning.
"""

from __future__ import annotations

import logging
import math
import os
import time
from collections.abc import Mapping

import tensorflow as tf

from tscac_tf.training.loop_config import LoopConfig

logger = logging.getLogger(__name__)

CHECKPOINT_SUBDIR = "checkpoints"
SUMMARY_SUBDIR = "summaries"


@tf.autograph.experimental.do_not_convert
def flatten_losses(loss_info) -> dict[str, tf.Tensor]:
    """LossInfo -> {"loss": total, "critic_loss/click": ..., ...} (nested dict keys joined by /)."""
    out = {"loss": loss_info.loss}

    def visit(prefix: str, value) -> None:
        if isinstance(value, Mapping):
            for key in sorted(value):
                visit(f"{prefix}/{key}" if prefix else str(key), value[key])
        elif tf.is_tensor(value) or isinstance(value, (int, float)):
            out[prefix] = value

    visit("", loss_info.extra)
    return out


def _crossed(before: int, after: int, every: int) -> bool:
    return before // every < after // every


class Trainer:
    """Trains one agent on one dataset into `root_dir` (checkpoints/ and summaries/)."""

    def __init__(
        self,
        agent,
        dataset: tf.data.Dataset,
        root_dir: str,
        config: LoopConfig,
        strategy: tf.distribute.Strategy | None = None,
        name: str = "train",
    ) -> None:
        self._agent = agent
        self._config = config
        self._name = name
        self._strategy = strategy or tf.distribute.get_strategy()
        with self._strategy.scope():
            agent.initialize()
        self._step = agent.train_step_counter
        self._checkpoint = tf.train.Checkpoint(agent=agent, step=self._step)
        self._manager = tf.train.CheckpointManager(
            self._checkpoint,
            os.path.join(root_dir, CHECKPOINT_SUBDIR),
            max_to_keep=config.max_checkpoints,
            step_counter=self._step,
        )
        self.restored_from = self._manager.latest_checkpoint
        self._saved_step = -1
        if self.restored_from:
            self._checkpoint.restore(self.restored_from).assert_existing_objects_matched()
            self._saved_step = self.step
            logger.info("%s: resumed from %s at step %d", name, self.restored_from, self.step)
        self._writer = tf.summary.create_file_writer(os.path.join(root_dir, SUMMARY_SUBDIR))
        dataset = dataset.repeat().prefetch(tf.data.AUTOTUNE)
        self._iterator = iter(self._strategy.experimental_distribute_dataset(dataset))
        # The step is its own tf.function so that it is traced once, although
        # `_train_steps` calls it in two places (inside and after the loop).
        self._agent_train = tf.function(agent.train, autograph=False)
        self._train_fn = tf.function(self._train_steps)

    @property
    def step(self) -> int:
        return int(self._step.numpy())

    @property
    def checkpoint_manager(self) -> tf.train.CheckpointManager:
        return self._manager

    def _one_step(self):
        experience = next(self._iterator)
        return self._strategy.run(self._agent_train, args=(experience,))

    def _train_steps(self, num_steps: tf.Tensor) -> dict[str, tf.Tensor]:
        for _ in tf.range(num_steps - 1):
            self._one_step()
        losses = flatten_losses(self._one_step())
        mean = tf.distribute.ReduceOp.MEAN
        return {k: self._strategy.reduce(mean, v, axis=None) for k, v in losses.items()}

    def train_call(self, num_steps: int) -> dict[str, float]:
        """Runs `num_steps` train steps in one tf.function call, with no checkpoint, summary
        or log; returns the last step's losses {name: float} (benchmarks time this)."""
        values = self._train_fn(tf.constant(num_steps, tf.int64))
        return {k: float(v) for k, v in values.items()}

    def run(self, num_steps: int) -> dict[str, float]:
        """Trains until the step counter reaches `num_steps` (an absolute step, not a count).

        Returns:
          The losses of the last step run, {name: float}; empty when nothing was left to do.

        Raises:
          FloatingPointError: the total loss became NaN or infinite (the step is named).
        """
        start = before = self.step
        started, losses = time.monotonic(), {}
        while before < num_steps:
            losses = self.train_call(min(self._config.steps_per_call, num_steps - before))
            after = self.step
            if not math.isfinite(losses["loss"]):
                raise FloatingPointError(
                    f"{self._name}: total loss is {losses['loss']} at step {after}: {losses}"
                )
            if _crossed(before, after, self._config.summary_every):
                self._write_summaries(losses, after)
            if _crossed(before, after, self._config.checkpoint_every):
                self._save(after)
            if _crossed(before, after, self._config.log_every) or after >= num_steps:
                self._log_progress(start, after, num_steps, started, losses["loss"])
            before = after
        if losses and self._saved_step != before:
            self._save(before)
        self._writer.flush()
        return losses

    def _save(self, step: int) -> None:
        self._manager.save(checkpoint_number=step)
        self._saved_step = step

    def _write_summaries(self, losses: dict[str, float], step: int) -> None:
        with self._writer.as_default():
            for key, value in losses.items():
                tf.summary.scalar(f"{self._name}/{key}", value, step=step)

    def _log_progress(self, start: int, step: int, total: int, started: float, loss: float) -> None:
        elapsed = max(time.monotonic() - started, 1e-9)
        rate = (step - start) / elapsed
        eta = (total - step) / rate if rate > 0 else float("inf")
        logger.info(
            "%s: step %d/%d  loss %.4f  %.1f steps/s  ETA %.0fs",
            self._name,
            step,
            total,
            loss,
            rate,
            eta,
        )
