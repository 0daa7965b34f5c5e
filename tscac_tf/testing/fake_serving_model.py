"""A tiny SavedModel that obeys the serving contract (ARCHITECTURE §4), for tests.

It stands in for the real TSCAC export: the same signatures (`rank`, `recommend`,
`recommend_excluding`, `serving_default` = `recommend`), the same input and output names,
dtypes and shapes, the same padding rules, the same "unknown ids are valid" behaviour and
the same leaving out of the history's (and the excluded) videos, with a model small enough
to build in a second. Its arithmetic mirrors the production form (a preference
vector times candidate embeddings), with random embeddings instead of learned ones:

    p(s)   = u(user) + Σ_j w_j e(h_j) / max(1, Σ_j m_j),   w_j = m_j (1 + play_j / 10 s)
    score  = ⟨p(s), e(v)⟩  (−1e9 for a padded candidate)

where m_j masks padded history slots, and unknown ids map to row 0 of each table through a
hash table baked into the SavedModel (as the real feature tables are).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import tensorflow as tf

from tscac_tf.specs import session_schema as ss

PADDED_SCORE = -1e9


@dataclasses.dataclass(frozen=True)
class FakeServingModelConfig:
    """Sizes of the fake model.

    Attributes:
      num_users: known user ids are 0..num_users-1; others are unknown.
      num_videos: known video ids are 0..num_videos-1; `recommend` retrieves from them.
      embedding_dim: d, the size of `preference`.
      top_n: N, the number of videos `recommend` returns (at most num_videos).
      history_length: H fixed in the signatures, or None to accept any H.
      seed: seeds the embeddings; two seeds give two distinguishable versions.
      with_excluding: save the `recommend_excluding` signature (False: an export from
        before it existed).
    """

    num_users: int = 32
    num_videos: int = 64
    embedding_dim: int = 8
    top_n: int = 10
    history_length: int | None = ss.DEFAULT_HISTORY_LENGTH
    seed: int = 0
    with_excluding: bool = True

    def __post_init__(self):
        for name in ("num_users", "num_videos", "embedding_dim", "top_n"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.history_length is not None and self.history_length < 1:
            raise ValueError(f"history_length must be >= 1 or None, got {self.history_length}")


def _id_table(num_ids: int) -> tf.lookup.StaticHashTable:
    """id -> row, rows 1..num_ids for ids 0..num_ids-1, row 0 for any other id."""
    keys = tf.range(num_ids, dtype=tf.int64)
    return tf.lookup.StaticHashTable(
        tf.lookup.KeyValueTensorInitializer(keys, keys + 1), default_value=tf.constant(0, tf.int64)
    )


class FakeServingModel(tf.Module):
    """The fake export as a tf.Module; `rank` and `recommend` are its signatures."""

    def __init__(self, config: FakeServingModelConfig = FakeServingModelConfig()):
        super().__init__(name="fake_serving_model")
        self.config = config
        rng = np.random.default_rng(config.seed)
        d = config.embedding_dim
        self._user_rows = _id_table(config.num_users)
        self._video_rows = _id_table(config.num_videos)
        self._user_embeddings = tf.constant(
            rng.normal(size=[config.num_users + 1, d]).astype(np.float32)
        )
        self._video_embeddings = tf.constant(
            rng.normal(size=[config.num_videos + 1, d]).astype(np.float32)
        )
        self._index_ids = tf.range(config.num_videos, dtype=tf.int64)
        h = config.history_length
        history = [
            tf.TensorSpec([None, h], tf.int64, "history_video_ids"),
            tf.TensorSpec([None, h], tf.int64, "history_play_time_ms"),
        ]
        user = tf.TensorSpec([None], tf.int64, "user_id")
        candidates = tf.TensorSpec([None, None], tf.int64, "candidate_video_ids")
        self.rank = tf.function(self._rank, input_signature=[user, *history, candidates])
        self.recommend = tf.function(self._recommend_fresh, input_signature=[user, *history])
        excluded = tf.TensorSpec([None, None], tf.int64, "exclude_video_ids")
        self.recommend_excluding = tf.function(
            self._recommend_excluding, input_signature=[user, *history, excluded]
        )

    def _video_embedding(self, video_ids: tf.Tensor) -> tf.Tensor:
        """int64 [...] -> float32 [..., d]; unknown and padded ids get row 0."""
        return tf.gather(self._video_embeddings, self._video_rows.lookup(video_ids))

    def _preference(self, user_id, history_video_ids, history_play_time_ms) -> tf.Tensor:
        """float32 [B, d]: p(s) of the module docstring."""
        user = tf.gather(self._user_embeddings, self._user_rows.lookup(user_id))
        mask = tf.cast(tf.not_equal(history_video_ids, ss.PADDING_ID), tf.float32)  # [B, H]
        weight = mask * (1.0 + tf.cast(history_play_time_ms, tf.float32) / 10_000.0)
        pooled = tf.einsum("bh,bhd->bd", weight, self._video_embedding(history_video_ids))
        count = tf.maximum(tf.reduce_sum(mask, axis=1, keepdims=True), 1.0)
        return user + pooled / count

    def _rank(self, user_id, history_video_ids, history_play_time_ms, candidate_video_ids):
        preference = self._preference(user_id, history_video_ids, history_play_time_ms)
        scores = tf.einsum("bd,bkd->bk", preference, self._video_embedding(candidate_video_ids))
        padded = tf.equal(candidate_video_ids, ss.PADDING_ID)
        scores = tf.where(padded, tf.constant(PADDED_SCORE, tf.float32), scores)
        order = tf.math.top_k(scores, k=tf.shape(scores)[1], sorted=True).indices
        ranked = tf.gather(candidate_video_ids, order, batch_dims=1)
        return {"scores": scores, "ranked_video_ids": ranked, "preference": preference}

    def _recommend_fresh(self, user_id, history_video_ids, history_play_time_ms):
        return self._recommend(user_id, history_video_ids, history_play_time_ms, history_video_ids)

    def _recommend_excluding(
        self, user_id, history_video_ids, history_play_time_ms, exclude_video_ids
    ):
        excluded = tf.concat([history_video_ids, exclude_video_ids], axis=1)
        return self._recommend(user_id, history_video_ids, history_play_time_ms, excluded)

    def _recommend(self, user_id, history_video_ids, history_play_time_ms, excluded):
        """The best min(N, V) videos not in `excluded` [B, E], −1 / −1e9 padded."""
        preference = self._preference(user_id, history_video_ids, history_play_time_ms)
        index = self._video_embedding(self._index_ids)  # [V, d]
        scores = tf.matmul(preference, index, transpose_b=True)  # [B, V]
        top_n = min(self.config.top_n, self.config.num_videos)
        left_out = tf.reduce_any(
            tf.equal(self._index_ids[None, :, None], excluded[:, None, :]), axis=-1
        )
        top = tf.math.top_k(tf.where(left_out, -np.inf, scores), k=top_n)
        kept = tf.gather(tf.logical_not(left_out), top.indices, batch_dims=1)
        padding = tf.constant(ss.PADDING_ID, tf.int64)
        video_ids = tf.where(kept, tf.gather(self._index_ids, top.indices), padding)
        scores = tf.where(kept, top.values, PADDED_SCORE)
        return {"video_ids": video_ids, "scores": scores, "preference": preference}


def save_fake_serving_model(
    export_dir: str, config: FakeServingModelConfig = FakeServingModelConfig()
) -> FakeServingModel:
    """Builds the fake model and saves it with the contract's signatures; returns it."""
    model = FakeServingModel(config)
    signatures = {
        "rank": model.rank,
        "recommend": model.recommend,
        "serving_default": model.recommend,
    }
    if config.with_excluding:
        signatures["recommend_excluding"] = model.recommend_excluding
    tf.saved_model.save(model, export_dir, signatures=signatures)
    return model


def publish_fake_serving_model(
    base_path: str,
    config: FakeServingModelConfig = FakeServingModelConfig(),
    version: int | None = None,
) -> tuple[FakeServingModel, str]:
    """Publishes the fake model as a new version (with warmup requests) under base_path/tscac.

    Returns:
      (the in-memory model, the published version directory).
    """
    from tscac_tf.export import serving_layout

    built = {}

    def write(directory: str) -> None:
        built["model"] = save_fake_serving_model(directory, config)

    history = config.history_length or ss.DEFAULT_HISTORY_LENGTH
    path = serving_layout.publish_version(
        write,
        base_path,
        version,
        warmup_requests=serving_layout.contract_warmup_requests(
            history, (1, 4), (5, 50), excluding=config.with_excluding
        ),
    )
    return built["model"], path


def example_inputs(
    signature: str = "rank",
    batch: int = 2,
    num_candidates: int = 6,
    history_length: int = ss.DEFAULT_HISTORY_LENGTH,
    seed: int = 0,
) -> dict[str, np.ndarray]:
    """A valid request of a contract signature, mixing known, unknown and padded ids."""
    rng = np.random.default_rng(seed)
    history = rng.integers(-1, 80, size=[batch, history_length]).astype(np.int64)
    history[:, history_length // 2 :] = ss.PADDING_ID
    inputs = {
        "user_id": np.arange(batch, dtype=np.int64) * 7,  # 0, 7, 14, ...: known and unknown
        "history_video_ids": history,
        "history_play_time_ms": np.where(history >= 0, 4200, 0).astype(np.int64),
    }
    if signature == "rank":
        candidates = rng.integers(0, 100, size=[batch, num_candidates]).astype(np.int64)
        candidates[0, -1] = ss.PADDING_ID
        inputs["candidate_video_ids"] = candidates
    if signature == "recommend_excluding":
        excluded = rng.integers(0, 100, size=[batch, 5]).astype(np.int64)
        excluded[0, -1] = ss.PADDING_ID
        inputs["exclude_video_ids"] = excluded
    return inputs
