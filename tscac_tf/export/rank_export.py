"""The `rank` signature: a trained actor as a self-contained SavedModel (ARCHITECTURE §4).

Inputs (ids only; the feature tables are baked in as the actor's variables):

    user_id               int64 [B]
    history_video_ids     int64 [B, H']  most recent first, -1 = padding, any H'
    history_play_time_ms  int64 [B, H']  0 where padded
    candidate_video_ids   int64 [B, K]   -1 = padding, any K

Outputs:

    scores            float32 [B, K]  ⟨p(s), e(v)⟩ / τ, padded candidates -1e9
    ranked_video_ids  int64   [B, K]  best first, padding last (-1)
    preference        float32 [B, d]  p(s)

The history is cut or padded to the model's H. Unknown user and video ids use the
unknown rows of the tables (cold start); they are never an error. `RankModule` is a
`tf.Module` so that other signatures (`recommend`, over a retrieval index) can be added
to it or to a subclass; `preference` and `candidate_embeddings` are its building blocks.
"""

from __future__ import annotations

import tensorflow as tf

from tscac_tf.networks.actor_network import PADDED_SCORE, ActorNetwork, candidate_scores
from tscac_tf.specs import session_schema as ss

RANK_SIGNATURE = "rank"

RANK_INPUT_SIGNATURE = (
    tf.TensorSpec([None], tf.int64, name="user_id"),
    tf.TensorSpec([None, None], tf.int64, name="history_video_ids"),
    tf.TensorSpec([None, None], tf.int64, name="history_play_time_ms"),
    tf.TensorSpec([None, None], tf.int64, name="candidate_video_ids"),
)


def fit_history(values: tf.Tensor, history_length: int, pad_value: int) -> tf.Tensor:
    """[B, H'] -> [B, H]: keeps the H most recent entries (the first), pads the rest."""
    values = values[:, :history_length]
    missing = history_length - tf.shape(values)[1]
    padded = tf.pad(values, [[0, 0], [0, missing]], constant_values=pad_value)
    return tf.ensure_shape(padded, [None, history_length])


def rank_by_score(scores: tf.Tensor, candidate_video_ids: tf.Tensor) -> tf.Tensor:
    """Candidate ids sorted by descending score, padded candidates last. int64 [B, K]."""
    padded = tf.equal(candidate_video_ids, ss.PADDING_ID)
    # -inf (not -1e9) as the sort key keeps padding behind any real score.
    key = tf.where(padded, tf.constant(-float("inf"), scores.dtype), scores)
    order = tf.argsort(key, axis=-1, direction="DESCENDING", stable=True)
    return tf.gather(candidate_video_ids, order, batch_dims=1)


class RankModule(tf.Module):
    """Serves an `ActorNetwork` (with its baked feature tables) through `rank`."""

    def __init__(self, actor_network: ActorNetwork, name: str = "tscac") -> None:
        super().__init__(name=name)
        actor_network.create_variables()
        self.actor_network = actor_network
        self._history_length = actor_network.config.history_length
        self._temperature = actor_network.config.temperature

    def state(self, user_id, history_video_ids, history_play_time_ms) -> dict[str, tf.Tensor]:
        """The state observation with the history fitted to the model's H."""
        h = self._history_length
        return {
            "user_id": user_id,
            "history_video_ids": fit_history(history_video_ids, h, ss.PADDING_ID),
            "history_play_time_ms": fit_history(history_play_time_ms, h, 0),
        }

    def preference(self, user_id, history_video_ids, history_play_time_ms) -> tf.Tensor:
        """p(s), float32 [B, d]."""
        return self.actor_network.preference(
            self.state(user_id, history_video_ids, history_play_time_ms)
        )

    def candidate_embeddings(self, video_ids: tf.Tensor) -> tf.Tensor:
        """e(v), float32 [B, K, d] for int64 [B, K] ids."""
        return self.actor_network.candidate_embeddings(video_ids)

    @tf.function(input_signature=RANK_INPUT_SIGNATURE)
    def rank(self, user_id, history_video_ids, history_play_time_ms, candidate_video_ids):
        """The `rank` signature (see the module docstring)."""
        preference = self.preference(user_id, history_video_ids, history_play_time_ms)
        scores = candidate_scores(
            preference,
            self.candidate_embeddings(candidate_video_ids),
            candidate_video_ids,
            self._temperature,
        )
        return {
            "scores": scores,
            "ranked_video_ids": rank_by_score(scores, candidate_video_ids),
            "preference": preference,
        }


def export_rank_model(module: RankModule, export_dir: str, signatures: dict | None = None) -> str:
    """Writes `module` as a SavedModel with the `rank` signature (plus any `signatures`).

    Returns:
      export_dir.
    """
    all_signatures = {RANK_SIGNATURE: module.rank.get_concrete_function()}
    all_signatures.update(signatures or {})
    tf.saved_model.save(module, export_dir, signatures=all_signatures)
    return export_dir


__all__ = [
    "PADDED_SCORE",
    "RANK_INPUT_SIGNATURE",
    "RANK_SIGNATURE",
    "RankModule",
    "export_rank_model",
    "fit_history",
    "rank_by_score",
]
