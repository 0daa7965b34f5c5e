"""RecommendModelHandler: Beam RunInference over a SavedModel's `recommend` signature.

Each element is one user's request ({"user_id": int64 [], "history_video_ids": int64 [H],
"history_play_time_ms": int64 [H]}, and for `recommend_excluding` also
"exclude_video_ids": int64 [E_u], any length); RunInference batches them, and one signature
call scores the whole batch (the exclusion lists padded with −1 to the batch's longest).
Use it keyed (`KeyedModelHandler`) to carry the user id through.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from apache_beam.ml.inference.base import ModelHandler, PredictionResult

RECOMMEND = "recommend"
RECOMMEND_EXCLUDING = "recommend_excluding"
INPUT_KEYS = ("user_id", "history_video_ids", "history_play_time_ms")
EXCLUDE_KEY = "exclude_video_ids"
PADDING_ID = -1  # the contract's padding id (session_schema.PADDING_ID; no TensorFlow here)


class _LoadedSignature:
    """Keeps the loaded SavedModel alive beside the signature function taken from it."""

    def __init__(self, saved_model_dir: str, signature: str):
        import tensorflow as tf

        import tscac_tf  # noqa: F401  (Keras 2 before TensorFlow, on every worker)

        self.saved_model = tf.saved_model.load(saved_model_dir)
        if signature not in self.saved_model.signatures:
            raise ValueError(
                f"{saved_model_dir} has no '{signature}' signature; it has "
                f"{sorted(self.saved_model.signatures)}"
            )
        self.function = self.saved_model.signatures[signature]

    def __call__(self, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        import tensorflow as tf

        outputs = self.function(**{k: tf.constant(v) for k, v in inputs.items()})
        return {k: v.numpy() for k, v in outputs.items()}


class RecommendModelHandler(ModelHandler[dict, PredictionResult, _LoadedSignature]):
    """ModelHandler for the contract's `recommend` signature.

    Args:
      saved_model_dir: the SavedModel directory (a version directory).
      max_batch_size: the most users per signature call.
      signature: the signature to call.
    """

    def __init__(self, saved_model_dir: str, max_batch_size: int = 256, signature: str = RECOMMEND):
        super().__init__()
        self._saved_model_dir = saved_model_dir
        self._max_batch_size = max_batch_size
        self._signature = signature

    def load_model(self) -> _LoadedSignature:
        return _LoadedSignature(self._saved_model_dir, self._signature)

    def run_inference(
        self,
        batch: Sequence[dict],
        model: _LoadedSignature,
        inference_args: dict[str, Any] | None = None,
    ) -> Iterable[PredictionResult]:
        inputs = {k: np.stack([np.asarray(e[k], np.int64) for e in batch]) for k in INPUT_KEYS}
        if self._signature == RECOMMEND_EXCLUDING:
            inputs[EXCLUDE_KEY] = _padded_rows([e[EXCLUDE_KEY] for e in batch])
        outputs = model(inputs)
        for i, example in enumerate(batch):
            yield PredictionResult(example, {k: v[i] for k, v in outputs.items()})

    def batch_elements_kwargs(self) -> dict[str, int]:
        return {"max_batch_size": self._max_batch_size}

    def get_metrics_namespace(self) -> str:
        return "RecommendModelHandler"


def _padded_rows(rows: Sequence[np.ndarray]) -> np.ndarray:
    """int64 [B, max length], each row followed by −1 padding."""
    width = max(len(row) for row in rows)
    out = np.full([len(rows), width], PADDING_ID, np.int64)
    for i, row in enumerate(rows):
        out[i, : len(row)] = row
    return out
