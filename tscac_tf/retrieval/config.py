"""Retrieval configuration: the two-tower model, its training, its index and evaluation.

Frozen dataclasses validated on construction (STYLE: Configuration), with named presets:
`small` (tests, seconds on a laptop), `default` (synthetic worlds), `pure` (KuaiRand-Pure:
27K users, 7.6K videos, ~1.4M logged exposures).
"""

from __future__ import annotations

import dataclasses

from tscac_tf.specs import session_schema as ss

# How the user's tag profile is estimated (TowerConfig.tag_profile_method;
# tscac_tf/retrieval/tag_profile.py): fitted by a log-linear model with a user-feature
# prior, or the smoothed count of the user's exposures.
PROFILE_FITTED = "fitted"
PROFILE_COUNTS = "counts"
PROFILE_METHODS = (PROFILE_FITTED, PROFILE_COUNTS)


@dataclasses.dataclass(frozen=True)
class TowerConfig:
    """Sizes of the query (user + history) and candidate (video) towers.

    Attributes:
      embedding_dim: d, the size of the query and candidate embeddings that are scored by
        inner product.
      id_embedding_dim: size of the user-id and video-id embeddings.
      feature_embedding_dim: size of each categorical feature embedding.
      hidden_units: widths of the ReLU layers of each tower before the final projection.
      history_length: H, the number of most recent in-session videos in a query.
      max_watch_ratio: cap on play_time / duration when weighting history videos.
      tag_profile: add the user's tag profile term to the score (query and candidate
        embeddings each gain one column per tag code; tscac_tf/retrieval/tag_profile.py).
      tag_profile_method: PROFILE_FITTED (the default): the profile is θ_u of a log-linear
        model of the train exposures, θ_u = x_u W + δ_u from the user's categorical
        features and a per-user part (tag_profile.fitted_log_profile); PROFILE_COUNTS: the
        smoothed log share of the user's exposures, log P̂(t | u). On the default preset,
        recall@50 vs popularity 1.835x fitted, 1.785x counted (world seeds 1 and 2: 2.145x
        and 1.884x, against 2.107x and 1.836x; RESULTS.md, Retrieval, session 15).
      tag_profile_smoothing: a, the pseudo-exposures that pull a user's tag shares towards
        everyone's: P̂(t | u) = (n_ut + a·g_t) / (n_u + a) (PROFILE_COUNTS only).
      tag_profile_l2, tag_profile_feature_l2: the fit's L2 penalties on δ (how far a user
        may stray from users with the same features) and on W.
      tag_profile_steps: full-batch Adam steps of the fit; it keeps the step with the
        smallest gradient (tag_profile.fit_tag_model). By step 150 the gradient's norm is at
        0.2% of the start on the default preset and at KuaiRand-Pure size, and more steps
        do not raise recall (RESULTS.md, Retrieval, session 18). A step scores users × the
        111 distinct tag rows, not × 7,583 videos: the fit takes about 4 s on the default
        preset's 3,000 users and 30 s at KuaiRand-Pure's 27,285 (24 s and 250 s before).
      popularity_prior: start every video's prior b(v) at its log training frequency,
        b(v) = b_learned(v) + τ (log q(v) − mean log q), a fixed part baked into the
        candidate tower (tscac_tf/retrieval/candidate_tower.py); the model then learns only
        how far a video departs from its popularity.
    """

    embedding_dim: int = 32
    id_embedding_dim: int = 32
    feature_embedding_dim: int = 8
    hidden_units: tuple[int, ...] = (64,)
    history_length: int = ss.DEFAULT_HISTORY_LENGTH
    max_watch_ratio: float = 2.0
    tag_profile: bool = True
    tag_profile_method: str = PROFILE_FITTED
    tag_profile_smoothing: float = 2.0
    tag_profile_l2: float = 1.0
    tag_profile_feature_l2: float = 1.0
    tag_profile_steps: int = 150
    popularity_prior: bool = True

    def __post_init__(self) -> None:
        for name in ("embedding_dim", "id_embedding_dim", "feature_embedding_dim"):
            if getattr(self, name) < 1:
                raise ValueError(f"TowerConfig.{name} must be >= 1, got {getattr(self, name)}")
        if any(units < 1 for units in self.hidden_units):
            raise ValueError(f"TowerConfig.hidden_units must all be >= 1, got {self.hidden_units}")
        if self.history_length < 1:
            raise ValueError(f"TowerConfig.history_length must be >= 1, got {self.history_length}")
        if self.max_watch_ratio <= 0:
            raise ValueError(f"TowerConfig.max_watch_ratio must be > 0, got {self.max_watch_ratio}")
        if self.tag_profile_method not in PROFILE_METHODS:
            raise ValueError(
                f"TowerConfig.tag_profile_method must be one of {PROFILE_METHODS}, got "
                f"{self.tag_profile_method!r}"
            )
        for name in ("tag_profile_l2", "tag_profile_feature_l2"):
            if not getattr(self, name) > 0:
                raise ValueError(f"TowerConfig.{name} must be > 0, got {getattr(self, name)}")
        if self.tag_profile_steps < 1:
            raise ValueError(
                f"TowerConfig.tag_profile_steps must be >= 1, got {self.tag_profile_steps}"
            )
        if self.tag_profile_smoothing <= 0:
            raise ValueError(
                "TowerConfig.tag_profile_smoothing must be > 0 (a user without exposures gets "
                f"everyone's profile), got {self.tag_profile_smoothing}"
            )


# What the model is trained to retrieve (TrainingConfig.positives): the logged exposures
# that were a long view or a click (issue 4's definition, the default), or every logged
# exposure. Evaluation always scores against the engaged ones.
ENGAGED = "engaged"
EXPOSURES = "exposures"
POSITIVES = (ENGAGED, EXPOSURES)


@dataclasses.dataclass(frozen=True)
class TrainingConfig:
    """How the two-tower model is fitted on the train split.

    Attributes:
      batch_size: positives per batch; the other positives of a batch are the negatives.
      epochs: passes over the training positives. One by default: with the tag profile
        and the popularity prior in the score, further passes fit the train split's own
        positives and lose recall on the eval split (default preset, recall@50 vs
        popularity: 1.785x after 1 pass, 1.779x after 2, 1.726x after 3; RESULTS.md).
      learning_rate: Adam step size.
      temperature: softmax temperature applied to the inner-product scores.
      shuffle_buffer: positives held in the shuffle buffer.
      seed: seeds initialisation and shuffling.
      positives: ENGAGED (long views and clicks) or EXPOSURES (every logged exposure). A
        video's chance to be an engaged positive at a step is mostly its chance to be shown
        there, which the exposures say with twice the data; on the default preset
        EXPOSURES raised recall@50 of the engaged eval positives from 1.51x to 1.64x
        popularity's, and with the tag profile (whose profile counts every exposure either
        way) from 1.71x to 1.77x; with session 14's popularity prior and one epoch it
        lost (1.785x engaged, 1.778x exposures; RESULTS.md, Retrieval). The default
        follows issue 4.
    """

    batch_size: int = 512
    epochs: int = 1
    learning_rate: float = 3e-3
    temperature: float = 0.1
    shuffle_buffer: int = 100_000
    seed: int = 0
    positives: str = ENGAGED

    def __post_init__(self) -> None:
        if self.batch_size < 2:
            raise ValueError(
                f"TrainingConfig.batch_size must be >= 2 (in-batch negatives), got {self.batch_size}"
            )
        if self.epochs < 1:
            raise ValueError(f"TrainingConfig.epochs must be >= 1, got {self.epochs}")
        if not self.learning_rate > 0:
            raise ValueError(f"TrainingConfig.learning_rate must be > 0, got {self.learning_rate}")
        if not self.temperature > 0:
            raise ValueError(f"TrainingConfig.temperature must be > 0, got {self.temperature}")
        if self.shuffle_buffer < 1:
            raise ValueError(
                f"TrainingConfig.shuffle_buffer must be >= 1, got {self.shuffle_buffer}"
            )
        if self.positives not in POSITIVES:
            raise ValueError(
                f"TrainingConfig.positives must be one of {POSITIVES}, got {self.positives!r}"
            )


@dataclasses.dataclass(frozen=True)
class RetrievalConfig:
    """Everything `tscac retrieval train|evaluate|candidates` needs.

    Attributes:
      towers: the model.
      training: its fit.
      index_top_n: N, the number of videos the exported index returns per query.
      num_candidates: K, the candidates attached to every logged step (K <= N).
      eval_recall_ks: the k of recall@k in the evaluation (each <= N).
      eval_ndcg_k: the k of NDCG@k (<= N).
      eval_exclude_seen: the evaluation drops from every method's ranking the videos the
        query's user had been shown before the step, in earlier sessions of either split
        and earlier in the session (evaluation.py); the unfiltered metrics are reported
        beside them either way.
      seed: seeds the random baseline and the logged-video insertion position.
    """

    towers: TowerConfig = TowerConfig()
    training: TrainingConfig = TrainingConfig()
    index_top_n: int = 100
    num_candidates: int = ss.DEFAULT_NUM_CANDIDATES
    eval_recall_ks: tuple[int, ...] = (10, 50, 100)
    eval_ndcg_k: int = 50
    eval_exclude_seen: bool = True
    seed: int = 0

    def __post_init__(self) -> None:
        if self.index_top_n < 1:
            raise ValueError(f"RetrievalConfig.index_top_n must be >= 1, got {self.index_top_n}")
        if not 1 <= self.num_candidates <= self.index_top_n:
            raise ValueError(
                f"RetrievalConfig.num_candidates must be in [1, index_top_n={self.index_top_n}], "
                f"got {self.num_candidates}"
            )
        for k in (*self.eval_recall_ks, self.eval_ndcg_k):
            if not 1 <= k <= self.index_top_n:
                raise ValueError(
                    f"RetrievalConfig: evaluation k must be in [1, index_top_n={self.index_top_n}]"
                    f", got {k}"
                )


PRESETS: dict[str, RetrievalConfig] = {
    "small": RetrievalConfig(
        towers=TowerConfig(
            embedding_dim=16, id_embedding_dim=16, feature_embedding_dim=4, hidden_units=(32,)
        ),
        training=TrainingConfig(
            batch_size=128, epochs=10, learning_rate=1e-2, shuffle_buffer=20_000
        ),
    ),
    "default": RetrievalConfig(
        towers=TowerConfig(
            embedding_dim=64, id_embedding_dim=64, feature_embedding_dim=16, hidden_units=(128,)
        )
    ),
    "pure": RetrievalConfig(
        towers=TowerConfig(embedding_dim=64, id_embedding_dim=64, hidden_units=(256, 128)),
        training=TrainingConfig(batch_size=2048, epochs=3, learning_rate=2e-3),
    ),
}


def preset(name: str) -> RetrievalConfig:
    """The named preset; a KeyError that lists the known names."""
    if name not in PRESETS:
        raise KeyError(f"unknown retrieval preset {name!r}; known presets: {sorted(PRESETS)}")
    return PRESETS[name]


def config_to_dict(config: RetrievalConfig) -> dict:
    """A JSON-serialisable copy of `config` (written next to the exported model)."""
    return dataclasses.asdict(config)


def config_from_dict(data: dict) -> RetrievalConfig:
    """Inverse of config_to_dict; validates like the constructor."""
    towers = dict(data["towers"])
    towers["hidden_units"] = tuple(towers["hidden_units"])
    rest = {k: v for k, v in data.items() if k not in ("towers", "training")}
    rest["eval_recall_ks"] = tuple(rest["eval_recall_ks"])
    return RetrievalConfig(
        towers=TowerConfig(**towers), training=TrainingConfig(**data["training"]), **rest
    )
