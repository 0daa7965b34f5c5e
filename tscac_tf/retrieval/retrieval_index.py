"""RetrievalIndex: the servable candidate generator, query tower + BruteForce over all videos.

Every video of the feature table (not the unknown row) is embedded once by the candidate
tower and held in a `tfrs.layers.factorized_top_k.BruteForce` index; a query is embedded
by the query tower and scored against all of them (exact top-k; ScaNN cannot be installed
beside TFRS on TensorFlow 2.21, see BUILD_NOTES). The module is what the candidates step
runs (through its SavedModel) and what the serving export embeds for its `recommend`
signature (ARCHITECTURE §4):

    index = retrieval_index.load(model_dir)      # or RetrievalIndex(...) in memory
    out = index.top_k(user_id, history_video_ids, history_play_time_ms, k)
    out["video_ids"]  # int64 [B, k], best first, -1 padding when k > number of videos
    out["scores"]     # float32 [B, k], -1e9 at padding
    out = index.top_k_excluding(user_id, history_video_ids, history_play_time_ms,
                                exclude_video_ids, k)   # the same, never an excluded video
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile

import numpy as np
import tensorflow as tf
import tensorflow_recommenders as tfrs

from tscac_tf.retrieval.candidate_tower import CandidateTower
from tscac_tf.retrieval.query_tower import QueryTower
from tscac_tf.specs import session_schema as ss

PADDING_SCORE = -1e9
QUERY_SIGNATURE = (
    tf.TensorSpec([None], tf.int64, "user_id"),
    tf.TensorSpec([None, None], tf.int64, "history_video_ids"),
    tf.TensorSpec([None, None], tf.int64, "history_play_time_ms"),
)


class RetrievalIndex(tf.Module):
    """Top-k videos for (user, history) queries.

    Args:
      query_tower: the trained query tower.
      candidate_tower: the trained candidate tower (embeds the index once, here).
      video_ids: int64 [V], the ids to index (the feature table's videos).
      top_n: N, the number of videos the `serve` signature returns.
    """

    def __init__(
        self,
        query_tower: QueryTower,
        candidate_tower: CandidateTower,
        video_ids: np.ndarray,
        top_n: int,
        name: str = "retrieval_index",
    ):
        super().__init__(name=name)
        video_ids = np.asarray(video_ids, np.int64)
        if video_ids.ndim != 1 or len(video_ids) == 0:
            raise ValueError(f"RetrievalIndex needs a non-empty [V] id list, got {video_ids.shape}")
        self.query_tower = query_tower
        self.top_n = top_n
        self.num_videos = len(video_ids)
        self.brute_force = tfrs.layers.factorized_top_k.BruteForce(k=top_n)
        self.brute_force.index(candidate_tower(tf.constant(video_ids)), tf.constant(video_ids))
        # top_k_excluding scores the index's embeddings itself, to mask the left-out videos
        # before the top k. It reads the BruteForce layer's own variables (its public
        # `weights`), so the SavedModel holds the [V, d] embeddings once, not twice.
        self._embeddings = _index_weight(self.brute_force, "candidates")
        self._video_ids = _index_weight(self.brute_force, "identifiers")
        self._column = tf.lookup.StaticHashTable(
            tf.lookup.KeyValueTensorInitializer(video_ids, np.arange(len(video_ids))), -1
        )

    @tf.function(input_signature=[*QUERY_SIGNATURE, tf.TensorSpec([], tf.int32, "k")])
    def top_k(self, user_id, history_video_ids, history_play_time_ms, k):
        """The k best videos per query.

        Args:
          user_id: int64 [B]; unknown ids are valid.
          history_video_ids: int64 [B, H], most recent first, -1 padding.
          history_play_time_ms: int64 [B, H], 0 at padding.
          k: int32 scalar >= 1.

        Returns:
          {"video_ids": int64 [B, k], "scores": float32 [B, k]}, best first; when k exceeds
          the number of indexed videos, the tail is padded with -1 / PADDING_SCORE.

        Raises:
          tf.errors.InvalidArgumentError: the history inputs disagree in shape, or their
            batch size differs from user_id's.
        """
        query = self._query(user_id, history_video_ids, history_play_time_ms, k)
        found = tf.minimum(k, self.num_videos)
        scores, ids = self.brute_force(query, k=found)
        return _padded_to(k, ids, scores)

    @tf.function(
        input_signature=[
            *QUERY_SIGNATURE,
            tf.TensorSpec([None, None], tf.int64, "exclude_video_ids"),
            tf.TensorSpec([], tf.int32, "k"),
        ]
    )
    def top_k_excluding(
        self, user_id, history_video_ids, history_play_time_ms, exclude_video_ids, k
    ):
        """top_k over the videos not in exclude_video_ids [B, E] (−1 and unknown ids exclude
        nothing): the k best that are left, −1 / PADDING_SCORE padded when fewer remain.

        The excluded videos' scores are set to −∞ before the top k, so the cost is one
        scatter of B·E entries on top of top_k's; asking top_k for k + E videos and
        dropping the excluded afterwards would widen the top k with E instead.

        Raises:
          tf.errors.InvalidArgumentError: as top_k, or exclude_video_ids' batch size
            differs from user_id's.
        """
        check = tf.debugging.assert_equal(
            tf.shape(exclude_video_ids)[0],
            tf.shape(user_id)[0],
            message="exclude_video_ids [B, E] and user_id [B] must have the same batch size",
        )
        with tf.control_dependencies([check]):
            query = self._query(user_id, history_video_ids, history_play_time_ms, k)
        scores = tf.linalg.matmul(query, self._embeddings, transpose_b=True)  # [B, V]
        column = self._column.lookup(exclude_video_ids)
        where = tf.where(column >= 0)  # [n, 2]: (row, position in the row)
        cells = tf.stack([where[:, 0], tf.gather_nd(column, where)], axis=1)
        minus_inf = tf.fill(tf.shape(cells)[:1], tf.constant(-np.inf, scores.dtype))
        scores = tf.tensor_scatter_nd_update(scores, cells, minus_inf)
        found = tf.minimum(k, self.num_videos)
        scores, columns = tf.math.top_k(scores, k=found)
        left_out = tf.math.is_inf(scores)  # only when fewer than k videos remain
        ids = tf.where(
            left_out, tf.constant(ss.PADDING_ID, tf.int64), tf.gather(self._video_ids, columns)
        )
        scores = tf.where(left_out, tf.constant(PADDING_SCORE, scores.dtype), scores)
        return _padded_to(k, ids, scores)

    def _query(self, user_id, history_video_ids, history_play_time_ms, k):
        """The query tower's embedding [B, d], after the inputs' checks."""
        checks = [
            tf.debugging.assert_equal(
                tf.shape(history_video_ids),
                tf.shape(history_play_time_ms),
                message="history_video_ids and history_play_time_ms must have the same [B, H] "
                "shape",
            ),
            tf.debugging.assert_equal(
                tf.shape(user_id)[0],
                tf.shape(history_video_ids)[0],
                message="user_id [B] and history_video_ids [B, H] must have the same batch size",
            ),
            tf.debugging.assert_positive(k, message="k must be >= 1"),
        ]
        # The tower reads the inputs only after the checks: without this dependency the
        # runtime may run the tower's first op on mismatched shapes before the asserts,
        # and the caller gets an op's shape error instead of the message above (seen on an
        # AVX-512 machine).
        with tf.control_dependencies(checks):
            user_id, history_video_ids, history_play_time_ms, k = (
                tf.identity(t) for t in (user_id, history_video_ids, history_play_time_ms, k)
            )
        return self.query_tower(
            {
                "user_id": user_id,
                "history_video_ids": history_video_ids,
                "history_play_time_ms": history_play_time_ms,
            },
            training=False,
        )

    @tf.function(input_signature=QUERY_SIGNATURE)
    def serve(self, user_id, history_video_ids, history_play_time_ms):
        """The `serving_default` signature: top_k with k = N."""
        return self.top_k(user_id, history_video_ids, history_play_time_ms, self.top_n)

    def export(self, directory: str) -> str:
        """Writes this index as a SavedModel (signature `serving_default` = serve).

        The model is written to a temporary sibling directory and renamed into place, so a
        reader never sees a half-written export; an existing export there is replaced.

        Returns:
          The absolute directory.
        """
        directory = os.path.abspath(directory)
        parent = os.path.dirname(directory)
        os.makedirs(parent, exist_ok=True)
        staging = tempfile.mkdtemp(prefix=".index-staging-", dir=parent)
        with _without_keras_traces():
            tf.saved_model.save(self, staging, signatures={"serving_default": self.serve})
        previous = None
        if os.path.exists(directory):
            previous = tempfile.mkdtemp(prefix=".index-previous-", dir=parent)
            os.replace(directory, os.path.join(previous, "index"))
        os.replace(staging, directory)
        if previous:
            shutil.rmtree(previous)
        return directory


def _index_weight(layer, name: str) -> tf.Variable:
    """The BruteForce layer's weight `name` ("candidates" [V, d] or "identifiers" [V]).

    Raises:
      RuntimeError: the layer has no such weight, or more than one (a TFRS version whose
        BruteForce stores its index differently).
    """
    found = [w for w in layer.weights if w.name.split("/")[-1].split(":")[0] == name]
    if len(found) != 1:
        raise RuntimeError(
            f"RetrievalIndex: expected one BruteForce weight named {name!r}, found "
            f"{[w.name for w in layer.weights]} (tensorflow-recommenders changed?)"
        )
    return found[0]


def _padded_to(k, ids, scores) -> dict:
    """{"video_ids", "scores"} [B, k]: the found columns, then −1 / PADDING_SCORE."""
    padding = [[0, 0], [0, k - tf.shape(ids)[1]]]
    return {
        "video_ids": tf.pad(ids, padding, constant_values=ss.PADDING_ID),
        "scores": tf.pad(scores, padding, constant_values=PADDING_SCORE),
    }


def _without_keras_traces():
    """Keeps tf-keras from tracing every layer's call into the SavedModel (7x faster export).

    Consumers only call the module's own functions (`top_k`, `serve`), never the towers as
    Keras layers, so the per-layer traces would be dead weight. The switch is tf-keras'
    private option scope (what `model.save(save_traces=False)` uses); where it is absent,
    the export simply includes the traces.
    """
    try:
        from tf_keras.src.saving.legacy.saved_model import utils as keras_saved_model_utils
    except ImportError:
        return contextlib.nullcontext()
    return keras_saved_model_utils.keras_option_scope(save_traces=False)


def load(directory: str):
    """Loads an exported index; the result has `top_k(...)` and `signatures["serving_default"]`.

    The loaded object can be assigned as an attribute of another tf.Module and re-saved
    with it (the serving export embeds it this way).

    Raises:
      FileNotFoundError: there is no SavedModel in `directory`.
    """
    if not os.path.exists(os.path.join(directory, "saved_model.pb")):
        raise FileNotFoundError(
            f"no retrieval index at {directory}: expected {directory}/saved_model.pb "
            "(written by `tscac retrieval train`)"
        )
    return tf.saved_model.load(directory)
