"""The served model: a policy's `rank` plus retrieval's index behind `recommend` (ARCHITECTURE §4).

    rank(user_id, history_video_ids, history_play_time_ms, candidate_video_ids)
        -> scores [B, K], ranked_video_ids [B, K], preference [B, d]
    recommend(user_id, history_video_ids, history_play_time_ms)            (= serving_default)
        -> video_ids [B, N], scores [B, N], preference [B, d]

`recommend` asks the baked-in retrieval index for its top K candidates (the same K the
policy was trained on, so serving sees the candidate sets training saw), ranks them with
the policy's `rank`, and returns all K best first (N = K). The rank SavedModel and the
index SavedModel are loaded and re-saved inside one module, so the export is
self-contained: feature tables, index embeddings and networks all travel with it.
The result is published in the TF Serving layout with a warmup file, atomically
(tscac_tf/export/serving_layout.py).
"""

from __future__ import annotations

import tensorflow as tf

from tscac_tf.export import serving_layout
from tscac_tf.retrieval import retrieval_index

RANK_INPUT_SIGNATURE = (
    tf.TensorSpec([None], tf.int64, name="user_id"),
    tf.TensorSpec([None, None], tf.int64, name="history_video_ids"),
    tf.TensorSpec([None, None], tf.int64, name="history_play_time_ms"),
    tf.TensorSpec([None, None], tf.int64, name="candidate_video_ids"),
)
RECOMMEND_INPUT_SIGNATURE = RANK_INPUT_SIGNATURE[:3]


class ServingModule(tf.Module):
    """`rank` from a rank export and `recommend` over a retrieval index.

    Args:
      rank_model: a loaded SavedModel with a `rank` signature (any policy or baseline).
      index: a loaded (or in-memory) RetrievalIndex.
      num_candidates: K, the candidates `recommend` retrieves and ranks.
    """

    def __init__(self, rank_model, index, num_candidates: int):
        super().__init__(name="tscac_serving")
        if num_candidates < 1:
            raise ValueError(f"num_candidates must be >= 1, got {num_candidates}")
        self.rank_model = rank_model
        self.index = index
        self._rank_fn = rank_model.signatures[serving_layout.RANK_SIGNATURE]
        self.num_candidates = num_candidates

    @tf.function(input_signature=RANK_INPUT_SIGNATURE)
    def rank(self, user_id, history_video_ids, history_play_time_ms, candidate_video_ids):
        """The policy's `rank`, unchanged."""
        return self._rank_fn(
            user_id=user_id,
            history_video_ids=history_video_ids,
            history_play_time_ms=history_play_time_ms,
            candidate_video_ids=candidate_video_ids,
        )

    @tf.function(input_signature=RECOMMEND_INPUT_SIGNATURE)
    def recommend(self, user_id, history_video_ids, history_play_time_ms):
        """Retrieve K candidates, rank them, return them best first."""
        retrieved = self.index.top_k(
            user_id, history_video_ids, history_play_time_ms, self.num_candidates
        )
        ranked = self.rank(user_id, history_video_ids, history_play_time_ms, retrieved["video_ids"])
        # scores in ranked order: sort the candidate scores the way ranked_video_ids is sorted
        order = tf.argsort(
            tf.where(tf.equal(retrieved["video_ids"], -1), -float("inf"), ranked["scores"]),
            axis=-1,
            direction="DESCENDING",
            stable=True,
        )
        return {
            "video_ids": ranked["ranked_video_ids"],
            "scores": tf.gather(ranked["scores"], order, batch_dims=1),
            "preference": ranked["preference"],
        }

    def signatures(self) -> dict:
        recommend = self.recommend.get_concrete_function()
        return {
            serving_layout.RANK_SIGNATURE: self.rank.get_concrete_function(),
            serving_layout.RECOMMEND_SIGNATURE: recommend,
            "serving_default": recommend,
        }


def export_serving_model(
    rank_export_dir: str,
    index_dir: str,
    base_path: str,
    num_candidates: int,
    history_length: int,
    version: int | None = None,
) -> str:
    """Publishes rank + recommend as `<base>/tscac/<version>` (atomic, with warmup).

    Args:
      rank_export_dir: a SavedModel with the `rank` signature.
      index_dir: an exported RetrievalIndex.
      base_path: the TF Serving base path.
      num_candidates: K for `recommend`.
      history_length: H, for the warmup requests.
      version: None = one more than the newest.

    Returns:
      The published version directory.
    """
    module = ServingModule(
        tf.saved_model.load(rank_export_dir), retrieval_index.load(index_dir), num_candidates
    )

    def write(directory: str) -> None:
        tf.saved_model.save(module, directory, signatures=module.signatures())

    warmup = serving_layout.contract_warmup_requests(history_length)
    return serving_layout.publish_version(write, base_path, version=version, warmup_requests=warmup)
