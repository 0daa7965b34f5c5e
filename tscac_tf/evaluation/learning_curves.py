"""Learning curves read back from the trainers' TensorBoard summaries.

Every `Trainer` writes its loss terms as scalars `<stage>/<term>` under
`<run dir>/<stage>/summaries/` (tscac_tf/training/trainer.py). The report plots the loss
terms of each stage against the training step; this module reads them without
TensorBoard's own loader (one pass over each event file's records).
"""

from __future__ import annotations

import glob
import os
from collections.abc import Sequence

import tensorflow as tf
from tensorflow.core.util import event_pb2

from tscac_tf.training.trainer import SUMMARY_SUBDIR

# The loss terms worth a line; gradient norms, KLs and λ values are in TensorBoard.
_LOSS_MARKERS = ("loss", "cross_entropy")


def read_scalars(summary_dir: str) -> dict[str, list[tuple[int, float]]]:
    """{tag: [(step, value), ...] sorted by step} of every scalar in a summary directory.

    A later event file that repeats a step (a resumed run) replaces the earlier value.
    """
    values: dict[str, dict[int, float]] = {}
    for path in sorted(glob.glob(os.path.join(summary_dir, "events.out.tfevents.*"))):
        for record in tf.data.TFRecordDataset(path):
            event = event_pb2.Event.FromString(record.numpy())
            for value in event.summary.value:
                if value.HasField("tensor"):
                    number = float(tf.make_ndarray(value.tensor))
                elif value.HasField("simple_value"):
                    number = float(value.simple_value)
                else:
                    continue
                values.setdefault(value.tag, {})[int(event.step)] = number
    return {tag: sorted(points.items()) for tag, points in values.items()}


def read_curves(
    run_dirs: Sequence[str], max_terms_per_stage: int = 8
) -> dict[str, dict[str, list[tuple[int, float]]]]:
    """{stage: {loss term: [(step, value)]}} of every stage found under the run dirs.

    Args:
      run_dirs: training output directories (`tscac train --out`, a baseline's dir); each
        stage is a subdirectory holding `summaries/`.
      max_terms_per_stage: keep the first terms (sorted by name) so a plot stays legible.

    Returns:
      Stages keyed `<run dir name>/<stage>` when more than one run dir is given, else
      `<stage>`; stages without loss scalars are left out.
    """
    curves = {}
    for run_dir in run_dirs:
        for summary_dir in sorted(glob.glob(os.path.join(run_dir, "*", SUMMARY_SUBDIR))):
            stage = os.path.basename(os.path.dirname(summary_dir))
            key = stage if len(run_dirs) == 1 else f"{os.path.basename(run_dir)}/{stage}"
            scalars = read_scalars(summary_dir)
            terms = {
                tag.split("/", 1)[-1]: points
                for tag, points in sorted(scalars.items())
                if any(marker in tag for marker in _LOSS_MARKERS)
            }
            if len(terms) > 1:
                terms.pop("loss", None)  # the total repeats its terms
            if terms:
                curves[key] = dict(list(terms.items())[:max_terms_per_stage])
    return curves
