"""TwoTowerModel: the TFRS retrieval model, query tower x candidate tower, in-batch softmax.

Positives are logged exposures that were a long view or a click; the negatives of a query
are the other positives of its batch. Because a popular video is drawn as a negative more
often, the scores are corrected by its sampling probability q(v) before the softmax:

  loss = -Σ_b log softmax_c( ⟨u_b, e_c⟩ / τ - log q(c) )[b]

(tfrs.tasks.Retrieval with `candidate_sampling_probability`), and in-batch copies of a
query's own positive are not counted as its negatives (`remove_accidental_hits`).

With TowerConfig.popularity_prior the candidate's prior b(v) carries a fixed
τ (log q(v) − mean log q): the full-corpus softmax then starts at each video's training
frequency, which is its maximum-likelihood popularity, and the learned part of b(v) fits
only what departs from it. In the corrected in-batch logits the fixed part and −log q(v)
cancel, so the fit sees the same logits as a plain in-batch softmax; the index keeps the
prior. (Default preset: recall@50 vs popularity 1.770x without it, 1.785x with it, at one
epoch; RESULTS.md.)
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf
import tensorflow_recommenders as tfrs

from tscac_tf.features.feature_tables import FeatureTables
from tscac_tf.retrieval.candidate_tower import CandidateTower
from tscac_tf.retrieval.config import RetrievalConfig
from tscac_tf.retrieval.query_tower import QueryTower


class TwoTowerModel(tfrs.models.Model):
    """Trains `query_tower` and `candidate_tower` on batches of positives.

    A batch is {"user_id" [B], "history_video_ids" [B, H], "history_play_time_ms" [B, H],
    "video_id" [B] (the positive)}.

    Args:
      tables: the encoded feature tables (baked into both towers).
      config: the retrieval config (towers and temperature are used).
      sampling_probability_by_row: float32 [V+1], q(v) per video-table row
        (VideoFrequencies.sampling_probability_by_row).
      tag_log_profile: float32 [U+1, T], the users' tag profiles
        (tag_profile.for_towers(...).table: fitted θ_u, or counted log P̂(t | u)) when
        config.towers.tag_profile; None: zeros.
        Its weight starts at the temperature, so that the term enters the softmax as the
        profile itself.
    """

    def __init__(
        self,
        tables: FeatureTables,
        config: RetrievalConfig,
        sampling_probability_by_row: np.ndarray,
        tag_log_profile: np.ndarray | None = None,
    ):
        super().__init__()
        if sampling_probability_by_row.shape != (len(tables.video_ids),):
            raise ValueError(
                f"sampling_probability_by_row must have one value per video-table row "
                f"({len(tables.video_ids)}), got shape {sampling_probability_by_row.shape}"
            )
        prior = None
        if config.towers.popularity_prior:
            log_q = np.log(sampling_probability_by_row.astype(np.float64))
            prior = config.training.temperature * (log_q - log_q[1:].mean())
        self.candidate_tower = CandidateTower(tables, config.towers, popularity_prior=prior)
        self.query_tower = QueryTower(
            tables,
            self.candidate_tower,
            config.towers,
            tag_log_profile=tag_log_profile,
            profile_weight=config.training.temperature,
        )
        self._sampling_probability = tf.Variable(
            sampling_probability_by_row.astype(np.float32),
            trainable=False,
            name="sampling_probability",
        )
        self.task = tfrs.tasks.Retrieval(
            temperature=config.training.temperature, remove_accidental_hits=True
        )

    def compute_loss(self, features, training: bool = False) -> tf.Tensor:
        video_ids = tf.cast(features["video_id"], tf.int64)
        queries = self.query_tower(features)
        candidates = self.candidate_tower(video_ids)
        q = tf.gather(self._sampling_probability, self.candidate_tower.features.rows(video_ids))
        return self.task(
            queries,
            candidates,
            candidate_sampling_probability=q,
            candidate_ids=video_ids,
            compute_metrics=False,
        )
