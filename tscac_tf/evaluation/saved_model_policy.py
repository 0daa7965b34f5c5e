"""A policy that is an exported SavedModel: what is evaluated is what is served.

Wraps the `rank` signature (ARCHITECTURE §4) of an export as numpy functions: the
evaluator's rollouts call it on batches of observations and act greedily (the top-ranked
candidate, exactly what serving shows); NCIS reads the softmax of its scores.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import tensorflow as tf

from tscac_tf.export import serving_layout
from tscac_tf.specs import session_schema as ss

RANK_SIGNATURE = "rank"


class SavedModelPolicy:
    """Greedy policy over the candidates, through an export's `rank` signature.

    Args:
      path: a SavedModel directory, or a TF Serving base path / model directory (the
        newest version is used).
      batch_size: the largest batch sent in one call.
    """

    def __init__(self, path: str, batch_size: int = 1024):
        self.path = serving_layout.resolve_saved_model_dir(path)
        self._loaded = tf.saved_model.load(self.path)
        if RANK_SIGNATURE not in self._loaded.signatures:
            raise ValueError(
                f"{self.path} has signatures {sorted(self._loaded.signatures)}; expected {RANK_SIGNATURE!r}"
            )
        self._rank = self._loaded.signatures[RANK_SIGNATURE]
        self._batch_size = batch_size

    def scores(self, observation: Mapping[str, np.ndarray]) -> np.ndarray:
        """float32 [B, K] scores; padded candidates get −1e9 (the contract)."""
        n = len(observation["user_id"])
        out = []
        for start in range(0, n, self._batch_size):
            chunk = {k: tf.constant(np.asarray(observation[k][start : start + self._batch_size], np.int64))
                     for k in ss.OBSERVATION_KEYS}  # fmt: skip
            out.append(self._rank(**chunk)["scores"].numpy())
        return np.concatenate(out, axis=0) if out else np.zeros((0, 0), np.float32)

    def __call__(self, observation: Mapping[str, np.ndarray]) -> np.ndarray:
        """int64 [B]: the index of the top-scored candidate (first on ties)."""
        return np.argmax(self.scores(observation), axis=1).astype(np.int64)

    def log_probs(self, observation: Mapping[str, np.ndarray]) -> np.ndarray:
        """float64 [B, K]: log softmax of the scores over the valid candidates."""
        return log_softmax(self.scores(observation))


def log_softmax(scores: np.ndarray) -> np.ndarray:
    """float64 [B, K]: log softmax over the last axis, computed without log(0): every
    finite score gets a finite log probability, and a −inf score (a masked candidate) −inf."""
    scores = np.asarray(scores, np.float64)
    shifted = scores - scores.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
