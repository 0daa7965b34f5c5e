"""The `rank` signature of a response model: candidates by fused score (ARCHITECTURE §4).

Same inputs and outputs as tscac_tf/export/rank_export.py, so the evaluator treats a
response model like every actor:

    scores            float32 [B, K]  Σ_j w_j · sign_j · pred_j(s, v), padded -1e9
    ranked_video_ids  int64   [B, K]  best first, padding last
    preference        float32 [B, d]  the state's field embeddings (user columns and the
                                      history), flattened; d = (Cu + 1) · k

The feature tables are baked in (the network's lookup variables).
"""

from __future__ import annotations

from collections.abc import Mapping

import tensorflow as tf

from tscac_tf.agents.baselines.response_model import losses
from tscac_tf.export.rank_export import RANK_INPUT_SIGNATURE, fit_history, rank_by_score
from tscac_tf.specs import session_schema as ss


class FusedRankModule(tf.Module):
    """Serves a response network with fixed fusion weights through `rank`."""

    def __init__(
        self,
        network: tf.keras.layers.Layer,
        weights: Mapping[str, float],
        history_length: int,
        name: str = "response_model",
    ) -> None:
        super().__init__(name=name)
        self.network = network
        self._weights = {n: float(w) for n, w in weights.items()}
        self._history_length = history_length

    @tf.function(input_signature=RANK_INPUT_SIGNATURE)
    def rank(self, user_id, history_video_ids, history_play_time_ms, candidate_video_ids):
        """The `rank` signature (see the module docstring)."""
        h = self._history_length
        observation = {
            "user_id": user_id,
            "history_video_ids": fit_history(history_video_ids, h, ss.PADDING_ID),
            "history_play_time_ms": fit_history(history_play_time_ms, h, 0),
            "candidate_video_ids": candidate_video_ids,
        }
        predictions = losses.response_predictions(self.network(observation))
        scores = losses.fused_scores(predictions, self._weights, candidate_video_ids)
        state = self.network.fields.state(observation)["fields"]
        return {
            "scores": scores,
            "ranked_video_ids": rank_by_score(scores, candidate_video_ids),
            "preference": tf.reshape(state, [-1, state.shape[1] * state.shape[2]]),
        }


def export_fused_rank_model(module: FusedRankModule, export_dir: str) -> str:
    """Writes `module` as a SavedModel with the `rank` signature; returns export_dir."""
    tf.saved_model.save(
        module, export_dir, signatures={"rank": module.rank.get_concrete_function()}
    )
    return export_dir
