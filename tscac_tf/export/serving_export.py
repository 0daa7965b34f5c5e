"""The served model: a policy's `rank` plus retrieval's index behind `recommend` (ARCHITECTURE §4).

    rank(user_id, history_video_ids, history_play_time_ms, candidate_video_ids)
        -> scores [B, K], ranked_video_ids [B, K], preference [B, d]
    recommend(user_id, history_video_ids, history_play_time_ms)            (= serving_default)
        -> video_ids [B, N], scores [B, N], preference [B, d]
    recommend_excluding(user_id, history_video_ids, history_play_time_ms, exclude_video_ids)
        -> the same as recommend

`recommend` asks the baked-in retrieval index for its best K candidates that are not in
the request's history (the same K the policy was trained on, and like the training
candidates, which never hold a video the user was already shown), ranks them with the
policy's `rank`, and returns all K best first (N = K). `recommend_excluding` (an addition
to ARCHITECTURE §4's contract; `recommend` is unchanged for its clients) also leaves out
`exclude_video_ids` [B, E] (−1 padding): a feed passes what it keeps as the user's seen
list, and gets K fresh videos rather than K minus the ones it would have to drop. Both
take the index's best K among the videos not left out (`RetrievalIndex.top_k_excluding`
masks their scores before the top k), so a request gets fewer than K (−1 padded at the
end) only when the index runs out. An index exported before top_k_excluding existed is
asked for K + H (+ E) videos instead, of which the first K not left out are kept. The
rank SavedModel and the index SavedModel are loaded and re-saved inside one module, so
the export is self-contained: feature tables, index embeddings and networks all travel
with it.
The result is published in the TF Serving layout with a warmup file, atomically
(tscac_tf/export/serving_layout.py).
"""

from __future__ import annotations

import tensorflow as tf

from tscac_tf.export import serving_layout
from tscac_tf.retrieval import retrieval_index
from tscac_tf.specs import session_schema as ss

RANK_INPUT_SIGNATURE = (
    tf.TensorSpec([None], tf.int64, name="user_id"),
    tf.TensorSpec([None, None], tf.int64, name="history_video_ids"),
    tf.TensorSpec([None, None], tf.int64, name="history_play_time_ms"),
    tf.TensorSpec([None, None], tf.int64, name="candidate_video_ids"),
)
RECOMMEND_INPUT_SIGNATURE = RANK_INPUT_SIGNATURE[:3]
RECOMMEND_EXCLUDING_INPUT_SIGNATURE = (
    *RECOMMEND_INPUT_SIGNATURE,
    tf.TensorSpec([None, None], tf.int64, name="exclude_video_ids"),
)


def first_k_not_excluded(video_ids: tf.Tensor, excluded: tf.Tensor, k) -> tf.Tensor:
    """The first k ids of each row that are neither padding nor excluded, in their order.

    Args:
      video_ids: int64 [B, M], best first, −1 padding.
      excluded: int64 [B, E] ids to leave out (−1 entries exclude nothing).
      k: int, the ids to keep per row.

    Returns:
      int64 [B, k], −1 padded at the end of a row with fewer than k left.
    """
    # Membership by binary search in each row's sorted exclusion list: O(B (M + E) log E)
    # memory and time, where comparing every pair would take B·M·E (10^11 at the server's
    # limits). A −1 column keeps every list non-empty; −1 excludes nothing new.
    padding_column = tf.fill([tf.shape(excluded)[0], 1], tf.constant(ss.PADDING_ID, tf.int64))
    lists = tf.sort(tf.concat([tf.cast(excluded, tf.int64), padding_column], axis=1), axis=1)
    position = tf.searchsorted(lists, video_ids, side="left")
    position = tf.minimum(position, tf.shape(lists, out_type=position.dtype)[1] - 1)
    left_out = tf.equal(tf.gather(lists, position, batch_dims=1), video_ids)
    left_out = left_out | tf.equal(video_ids, ss.PADDING_ID)
    # Pad to k columns first, so that a row with M < k still has k to keep.
    missing = tf.maximum(k - tf.shape(video_ids)[1], 0)
    video_ids = tf.pad(video_ids, [[0, 0], [0, missing]], constant_values=ss.PADDING_ID)
    left_out = tf.pad(left_out, [[0, 0], [0, missing]], constant_values=True)
    # A stable sort on the flag moves the kept ids to the front in their own order.
    order = tf.argsort(tf.cast(left_out, tf.int32), axis=1, stable=True)[:, :k]
    kept = tf.gather(video_ids, order, batch_dims=1)
    padding = tf.constant(ss.PADDING_ID, video_ids.dtype)
    return tf.where(tf.gather(left_out, order, batch_dims=1), padding, kept)


class ServingModule(tf.Module):
    """`rank` from a rank export; `recommend` and `recommend_excluding` over a retrieval index.

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
        """Retrieve K candidates not in the history, rank them, return them best first."""
        return self._recommend(user_id, history_video_ids, history_play_time_ms, history_video_ids)

    @tf.function(input_signature=RECOMMEND_EXCLUDING_INPUT_SIGNATURE)
    def recommend_excluding(
        self, user_id, history_video_ids, history_play_time_ms, exclude_video_ids
    ):
        """`recommend`, also leaving out exclude_video_ids [B, E] (−1 padding)."""
        check = tf.debugging.assert_equal(
            tf.shape(exclude_video_ids)[0],
            tf.shape(user_id)[0],
            message="exclude_video_ids [B, E] and user_id [B] must have the same batch size",
        )
        with tf.control_dependencies([check]):
            excluded = tf.concat([history_video_ids, exclude_video_ids], axis=1)
        return self._recommend(user_id, history_video_ids, history_play_time_ms, excluded)

    def _recommend(self, user_id, history_video_ids, history_play_time_ms, excluded):
        k = self.num_candidates
        if hasattr(self.index, "top_k_excluding"):
            candidates = self.index.top_k_excluding(
                user_id, history_video_ids, history_play_time_ms, excluded, k
            )["video_ids"]
        else:  # an index exported before top_k_excluding: its top k widens with E
            retrieved = self.index.top_k(
                user_id, history_video_ids, history_play_time_ms, k + tf.shape(excluded)[1]
            )
            candidates = first_k_not_excluded(retrieved["video_ids"], excluded, k)
        ranked = self.rank(user_id, history_video_ids, history_play_time_ms, candidates)
        # scores in ranked order: sort the candidate scores the way ranked_video_ids is sorted
        order = tf.argsort(
            tf.where(tf.equal(candidates, ss.PADDING_ID), -float("inf"), ranked["scores"]),
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
            serving_layout.RECOMMEND_EXCLUDING_SIGNATURE: (
                self.recommend_excluding.get_concrete_function()
            ),
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
    """Publishes rank and both recommend signatures as `<base>/tscac/<version>` (atomic, warmed).

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
