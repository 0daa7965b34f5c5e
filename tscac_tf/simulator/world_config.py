"""Configuration of the synthetic short-video world: frozen, validated, with named presets.

Every number that shapes the world lives here, grouped by the component that reads it:
population latents (population.py), the watch and interaction model (response_model.py),
the user's state and the leave model (user_state.py), the calendar (session_schedule.py)
and the logging policy with its candidate generator (behavior_policy.py, candidates.py).
A `WorldConfig` plus the KuaiRand-Pure tables shipped in the package determine the world
exactly; `world.json` is `WorldConfig.to_dict()`.

The interaction base rates per watch stage and the like multipliers default to the real
KuaiRand-Pure figures (kuairand_reference.py). The `calibration` offsets, the attention
intercept and σ, the like-coupling scales and the return-gap shares were set once so that
the logging policy on the `default` preset reproduces the real rates and return gaps
(README.md, "Calibration"). Nothing here is tuned to make any learning method win.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from tscac_tf.features.feature_tables import USER_CATEGORICAL
from tscac_tf.simulator import config_checks as checks
from tscac_tf.simulator import kuairand_reference as ref
from tscac_tf.specs import kuairand_schema as ks
from tscac_tf.specs import responses

# Sparse interactions in the order the response model stacks them.
INTERACTIONS: tuple[str, ...] = tuple(n for n in responses.AUXILIARY_NAMES if n != "click")
_COUPLED = tuple(n for n in INTERACTIONS if n != "like")  # drawn after, and depending on, like


# The user columns that drive latent interests: the categorical columns every model encodes.
_INTEREST_COLUMNS = USER_CATEGORICAL


@dataclasses.dataclass(frozen=True)
class PopulationConfig:
    """Which real users/videos the world holds and how their latents derive from features.

    Attributes:
      num_users: users sampled from the real table (None: all 27,285).
      num_videos: videos sampled from the real table (None: all 7,583).
      interest_columns: user columns whose values each carry a tag-interest effect.
      interest_sd: sd of a user's interest logit in one tag.
      interest_feature_share: share of that variance explained by the user's features.
      tag_prior_weight: weight of a tag's log catalogue share in every user's interest.
      patience_activity, patience_noise_sd: patience = activity · coef + noise (log-seconds).
      quality_sd: sd of a video's watch quality (log-seconds of attention).
      quality_type_share, quality_author_share, quality_music_share: variance shares of
        upload_type, author and music_type in quality (the rest is noise).
      style_duration_weight: a video's style (interactive +, immersive -) falls by this per
        sd of log duration; style_type_share is upload_type's variance share (rest: noise).
      appeal_noise_sd: per-video, per-interaction appeal noise.
      charisma_sd: author effect on follows.
      offense_noise_sd: sd of a video's own hate appeal (besides its style).
      propensity_sd, propensity_activity: user interaction propensity (logit scale).
      propensity_feature_weight: weight of the user's matching count feature (fans for
        like, follows for follow, friends for forward, being an author for comment).
      popularity_sd, popularity_quality: log popularity = quality · coef + noise.
    """

    num_users: int | None = None
    num_videos: int | None = None
    interest_columns: tuple[str, ...] = _INTEREST_COLUMNS
    interest_sd: float = 1.0
    interest_feature_share: float = 0.6
    tag_prior_weight: float = 0.3
    patience_activity: float = 0.25
    patience_noise_sd: float = 0.3
    quality_sd: float = 0.5
    quality_type_share: float = 0.25
    quality_author_share: float = 0.35
    quality_music_share: float = 0.05
    style_duration_weight: float = 0.6
    style_type_share: float = 0.2
    appeal_noise_sd: float = 0.5
    charisma_sd: float = 0.6
    offense_noise_sd: float = 0.8
    propensity_sd: float = 0.5
    propensity_activity: float = 0.2
    propensity_feature_weight: float = 0.3
    popularity_sd: float = 0.8
    popularity_quality: float = 1.5

    def __post_init__(self) -> None:
        owner = "WorldConfig.population"
        sds = [f.name for f in dataclasses.fields(self) if f.name.endswith("_sd")]
        shares = ("interest_feature_share", "quality_type_share", "quality_author_share")
        shares += ("quality_music_share", "style_type_share")
        checks.check_numbers(
            owner, self, {**{n: (0.0, 10.0) for n in sds}, **{n: (0.0, 1.0) for n in shares}}
        )
        checks.check_positive_int(owner, "num_users", self.num_users, allow_none=True)
        checks.check_positive_int(owner, "num_videos", self.num_videos, allow_none=True)
        for column in self.interest_columns:
            if column not in ks.USER_COLUMN_NAMES or column == "user_id":
                checks.fail(
                    owner, "interest_columns", "user table columns other than user_id", column
                )
        quality = self.quality_type_share + self.quality_author_share + self.quality_music_share
        if quality > 1.0:
            checks.fail(owner, "quality_*_share", "variance shares summing to <= 1", quality)
        if self.style_duration_weight**2 + self.style_type_share > 1.0:
            checks.fail(owner, "style_duration_weight² + style_type_share", "<= 1", self)


def _stage_rates() -> dict[str, tuple[float, float, float]]:
    return {name: ref.stage_rates(name) for name in INTERACTIONS}


# The multipliers solved from the real table assume the like is the only link between
# interactions; the shared style and affinity terms already correlate them, so each is
# scaled down (set once so that the logged P(like | i) matches the real one).
_LIKE_COUPLING = {"follow": 0.7, "comment": 0.45, "forward": 0.4, "hate": 1.0}


def _like_multipliers() -> dict[str, float]:
    return {name: ref.like_multiplier(name) * _LIKE_COUPLING[name] for name in _COUPLED}


# Interaction log-odds multipliers: weight of the video's style (interactive content gets
# more interactions) and of the user-video affinity, per interaction.
_STYLE_WEIGHTS = {"like": 0.8, "follow": 0.5, "comment": 0.8, "forward": 0.8, "hate": 0.3}
_AFFINITY_WEIGHTS = {"like": 0.4, "follow": 0.3, "comment": 0.3, "forward": 0.3, "hate": -0.5}
# Set once by iterating `calibration -= log(logged rate / real rate)` on the default preset.
_CALIBRATION = {"like": -1.47, "follow": -1.10, "comment": -1.15, "forward": -1.08, "hate": 0.85}


@dataclasses.dataclass(frozen=True)
class ResponseConfig:
    """The per-exposure watch and interaction model (response_model.py).

    Attributes:
      attention_*: the user's attention span X on a video is lognormal,
        log X = intercept + affinity·A + quality·q + patience·p - style·s
        + satisfaction·sat + sigma·ε (seconds).
      replay_factor, replay_max_duration_s: videos up to that duration can be replayed, play
        time then up to replay_factor durations.
      stage_rates: {interaction: P(i | stage)} for stages no click / click only / long view,
        at a neutral user and video (default: the real KuaiRand-Pure rates).
      like_multipliers: {interaction: M}, P(i | like) = M · P(i | no like) in a stage
        (default: solved from the real co-occurrence with like).
      style_weights, affinity_weights: {interaction: weight of the video's style and of
        the user-video affinity in the interaction's log-odds multiplier}.
      calibration: {interaction: log offset} so that logged rates match the real ones.
      max_probability: cap of any interaction probability.
      profile_enter_rates, profile_enter_given_follow, comment_view_rate, stay_median_ms:
        the log-only columns, not calibrated (KuaiRand publishes no figures for them):
        P(is_profile_enter | stage) without a follow, P(is_profile_enter | follow),
        P(opening the comments without commenting | click); profile_stay_time and
        comment_stay_time are lognormal (median stay_median_ms, log-sd 1) when non-zero.
    """

    attention_intercept: float = -0.25
    attention_sigma: float = 2.5
    attention_affinity: float = 0.6
    attention_quality: float = 1.0
    attention_patience: float = 1.0
    attention_style: float = 0.5
    attention_satisfaction: float = 0.3
    replay_factor: float = 2.0
    replay_max_duration_s: float = 20.0
    stage_rates: Mapping[str, tuple[float, float, float]] = dataclasses.field(
        default_factory=_stage_rates
    )
    like_multipliers: Mapping[str, float] = dataclasses.field(default_factory=_like_multipliers)
    style_weights: Mapping[str, float] = dataclasses.field(
        default_factory=lambda: dict(_STYLE_WEIGHTS)
    )
    affinity_weights: Mapping[str, float] = dataclasses.field(
        default_factory=lambda: dict(_AFFINITY_WEIGHTS)
    )
    calibration: Mapping[str, float] = dataclasses.field(default_factory=lambda: dict(_CALIBRATION))
    max_probability: float = 0.9
    profile_enter_rates: tuple[float, float, float] = (0.001, 0.01, 0.02)
    profile_enter_given_follow: float = 0.6
    comment_view_rate: float = 0.03
    stay_median_ms: float = 10_000.0

    def __post_init__(self) -> None:
        owner = "WorldConfig.responses"
        checks.check_numbers(owner, self, {"attention_sigma": (0.05, 5.0), "replay_factor": (1.0, 10.0),
                                "replay_max_duration_s": (0.0, 3600.0),
                                "max_probability": (0.0, 1.0),
                                "profile_enter_given_follow": (0.0, 1.0),
                                "comment_view_rate": (0.0, 1.0),
                                "stay_median_ms": (1.0, 3.6e6)})  # fmt: skip
        rates = self.profile_enter_rates
        if len(rates) != ref.NUM_STAGES or any(not 0.0 <= r <= 1.0 for r in rates):
            checks.fail(owner, "profile_enter_rates", f"{ref.NUM_STAGES} probabilities", rates)
        checks.check_mapping(owner, "stage_rates", self.stage_rates, INTERACTIONS, 0.0, 1.0)
        for name, rates in self.stage_rates.items():
            if len(rates) != ref.NUM_STAGES:
                checks.fail(owner, f"stage_rates[{name!r}]", f"{ref.NUM_STAGES} rates", rates)
        checks.check_mapping(owner, "like_multipliers", self.like_multipliers, _COUPLED, 0.0)
        for name in ("style_weights", "affinity_weights", "calibration"):
            checks.check_mapping(owner, name, getattr(self, name), INTERACTIONS)


@dataclasses.dataclass(frozen=True)
class DynamicsConfig:
    """How exposures change the user, and when the user leaves (user_state.py).

    Attributes:
      saturation_gain, saturation_decay: a shown video adds gain to its tags' saturation;
        all saturation decays by the factor each exposure; affinity loses the saturation.
      saturation_session_carry: share of saturation kept into the next session.
      interest_drift, interest_limit: a tag's interest moves by drift · experience on
        exposure, clipped to ±limit; interest_session_carry of the drift survives each
        session start (lasting, mean-reverting).
      follow_bonus: affinity gained, for good, on the videos of a followed author.
      satisfaction_memory: ρ in sat' = ρ·sat + (1 - ρ)·experience.
      experience_stages: experience of no click / click only / long view.
      experience_delight, delight_affinity: experience gained per unit of the video's
        delight = style + delight_affinity · affinity (fun, social, interactive content).
      experience_hate: experience of an exposure the user hates.
      annoyance_decay: per-exposure decay of annoyance (each hate adds 1).
      leave_*: P(leave after an exposure) = σ(intercept - activity·a + position·n
        - satisfaction·sat' + boredom·b + annoyance·ann' + hate·h), with b the saturation
        of the shown video's tags.
      max_session_steps: a session ends after this many exposures.
    """

    saturation_gain: float = 0.5
    saturation_decay: float = 0.8
    saturation_session_carry: float = 0.2
    interest_drift: float = 0.05
    interest_limit: float = 4.0
    interest_session_carry: float = 0.8
    follow_bonus: float = 1.0
    satisfaction_memory: float = 0.6
    experience_stages: tuple[float, float, float] = (-0.5, 0.1, 0.5)
    experience_delight: float = 0.6
    delight_affinity: float = 0.3
    experience_hate: float = -3.0
    annoyance_decay: float = 0.7
    leave_intercept: float = -1.2
    leave_activity: float = 0.4
    leave_position: float = 0.04
    leave_satisfaction: float = 1.2
    leave_boredom: float = 0.5
    leave_annoyance: float = 1.0
    leave_hate: float = 1.5
    max_session_steps: int = 200

    def __post_init__(self) -> None:
        owner = "WorldConfig.dynamics"
        unit = ("saturation_decay", "saturation_session_carry", "annoyance_decay")
        unit += ("interest_session_carry",)
        checks.check_numbers(owner, self, {**{n: (0.0, 1.0) for n in unit},
                                "satisfaction_memory": (0.0, 0.999),
                                "interest_limit": (0.0, 100.0), "saturation_gain": (0.0, 100.0)})  # fmt: skip
        if len(self.experience_stages) != ref.NUM_STAGES:
            checks.fail(
                owner, "experience_stages", f"{ref.NUM_STAGES} numbers", self.experience_stages
            )
        checks.check_positive_int(owner, "max_session_steps", self.max_session_steps)


# Relative frequency of session starts per local hour 0..23: low at night, peaks at lunch and
# in the evening (a plausible shape; KuaiRand does not publish one).
_HOUR_WEIGHTS = (1.6, 0.8, 0.4, 0.2, 0.2, 0.3, 0.8, 1.8, 2.6, 3.0, 3.2, 3.6, 4.4, 4.2, 3.4,
                 3.2, 3.3, 3.6, 4.2, 4.8, 5.4, 5.8, 5.0, 3.2)  # fmt: skip


@dataclasses.dataclass(frozen=True)
class ScheduleConfig:
    """When users are active and open the app (session_schedule.py).

    Attributes:
      entry_days: a user's first active day is uniform over the first entry_days days.
      return_gap_shares: P(next active day is 1, 2, 3, 4 days later); the rest is 5+ days,
        geometric with ratio return_tail_ratio. Set so that the gaps observed within the
        31-day window (long gaps run past its end more often) match the real shares
        (kuairand_reference.RETURN_GAP_SHARES) on the default preset.
      sessions_per_day, sessions_activity: sessions on an active day = 1 + Poisson(
        (sessions_per_day - 1) · exp(sessions_activity · activity)), capped.
      max_sessions_per_day: that cap.
      hour_weights: relative frequency of the first session's start hour (24 values).
      tab_weights: relative frequency of each tab 0..14 (one tab per session; real counts).
      min_session_gap_min, mean_session_gap_min: minutes from one session's end to the
        next start: min + exponential with this mean (min > 30 keeps them apart under the
        30-minute sessionisation rule).
      last_start_hour: no session starts at or after this local hour.
      think_time_ms: (min, mean) pause between the end of one play and the next exposure.
    """

    entry_days: int = 3
    return_gap_shares: tuple[float, ...] = (0.598, 0.16, 0.077, 0.046)
    return_tail_ratio: float = 0.7
    sessions_per_day: float = 1.3
    sessions_activity: float = 0.5
    max_sessions_per_day: int = 5
    hour_weights: tuple[float, ...] = _HOUR_WEIGHTS
    tab_weights: tuple[float, ...] = tuple(float(ref.TAB_COUNTS[t]) for t in range(15))
    min_session_gap_min: float = 31.0
    mean_session_gap_min: float = 150.0
    last_start_hour: int = 23
    think_time_ms: tuple[float, float] = (300.0, 2500.0)

    def __post_init__(self) -> None:
        owner = "WorldConfig.schedule"
        checks.check_numbers(owner, self, {"return_tail_ratio": (0.0, 0.999),
                                "sessions_per_day": (1.0, 20.0),
                                "min_session_gap_min": (30.000001, 1440.0),
                                "mean_session_gap_min": (0.0, 1440.0),
                                "last_start_hour": (1, 24)})  # fmt: skip
        checks.check_positive_int(owner, "entry_days", self.entry_days)
        checks.check_positive_int(owner, "max_sessions_per_day", self.max_sessions_per_day)
        gaps = self.return_gap_shares
        if not gaps or any(not g >= 0 for g in gaps) or sum(gaps) > 1.0 + 1e-9:
            checks.fail(owner, "return_gap_shares", "shares >= 0 summing to at most 1", gaps)
        checks.check_weights(owner, "hour_weights", self.hour_weights, 24)
        checks.check_weights(owner, "tab_weights", self.tab_weights, 15)
        low, mean = self.think_time_ms
        if not 0 <= low <= mean:
            checks.fail(
                owner, "think_time_ms", "(min, mean) with 0 <= min <= mean", self.think_time_ms
            )


def _score_weights() -> dict[str, float]:
    return {"watch_time": 1.0, "click": 0.5, "like": 0.5, "follow": 0.2, "comment": 0.2,
            "forward": 0.2, "hate": 0.5}  # fmt: skip


@dataclasses.dataclass(frozen=True)
class BehaviorConfig:
    """The logging policy and the world's candidate generator (behavior_policy.py, candidates.py).

    Attributes:
      num_candidates: K, candidates per request.
      interest_share: share of candidates drawn from the user's interest tags (rest: popular).
      tag_temperature: tag drawn ∝ exp(interest / temperature).
      oversample: draws per candidate slot before de-duplication.
      filter_seen: never offer a video the user was shown before, in any session (a
        production feed's already-seen filter). Without it the world re-showed a user the
        same popular video again and again: 32% of the default preset's rows repeated a
        (user, video) pair and its most-shown video had 2.2% of all rows, against at most
        0.73% in the real logs (10,424 of 1,436,609); with it, 0.71%.
      score_weights: {response: w >= 0}; fused score = Σ_i sign_i · w_i · log(floor_i + r̂_i),
        r̂_i the predicted expected response (watch time in seconds, hate a probability).
      temperature: π(v | C) ∝ exp(score(v) / temperature) over the candidates.
      prediction_noise_sd: persistent log-error of the ranker per (user, video, response).
      request_noise_sd: fresh log-error per request.
      random_exposure_rate: share of exposures replaced by a uniformly random video (is_rand).
    """

    num_candidates: int = 50
    interest_share: float = 0.6
    tag_temperature: float = 1.0
    oversample: int = 2
    filter_seen: bool = True
    score_weights: Mapping[str, float] = dataclasses.field(default_factory=_score_weights)
    temperature: float = 0.5
    prediction_noise_sd: float = 0.3
    request_noise_sd: float = 0.1
    random_exposure_rate: float = 0.0037

    def __post_init__(self) -> None:
        owner = "WorldConfig.behavior"
        checks.check_numbers(owner, self, {"interest_share": (0.0, 1.0), "tag_temperature": (1e-3, 1e3),
                                "temperature": (1e-3, 1e3), "prediction_noise_sd": (0.0, 10.0),
                                "request_noise_sd": (0.0, 10.0),
                                "random_exposure_rate": (0.0, 1.0)}, flags=("filter_seen",))  # fmt: skip
        checks.check_positive_int(owner, "num_candidates", self.num_candidates)
        checks.check_positive_int(owner, "oversample", self.oversample)
        checks.check_mapping(
            owner, "score_weights", self.score_weights, responses.RESPONSE_NAMES, 0.0
        )


@dataclasses.dataclass(frozen=True)
class WorldConfig:
    """Everything that defines a world; `World(config)` rebuilds it exactly.

    Attributes:
      seed: the world's seed (sampling of users/videos, latents, logged draws).
      history_length: H, videos in the observation's history (most recent first).
      population, responses, dynamics, schedule, behavior: the components' configs.
    """

    seed: int = 0
    history_length: int = 20
    population: PopulationConfig = PopulationConfig()
    responses: ResponseConfig = dataclasses.field(default_factory=ResponseConfig)
    dynamics: DynamicsConfig = DynamicsConfig()
    schedule: ScheduleConfig = ScheduleConfig()
    behavior: BehaviorConfig = dataclasses.field(default_factory=BehaviorConfig)

    def __post_init__(self) -> None:
        if not isinstance(self.seed, int) or isinstance(self.seed, bool) or self.seed < 0:
            checks.fail("WorldConfig", "seed", "an int >= 0", self.seed)
        checks.check_positive_int("WorldConfig", "history_length", self.history_length)
        for field in dataclasses.fields(self)[2:]:
            value = getattr(self, field.name)
            if type(value).__name__ != field.type:
                checks.fail("WorldConfig", field.name, f"a {field.type}", value)

    @classmethod
    def preset(cls, name: str, seed: int | None = None) -> WorldConfig:
        """The named preset (small, default, pure), optionally with another seed."""
        if name not in PRESETS:
            raise KeyError(f"unknown world preset {name!r}; presets: {sorted(PRESETS)}")
        config = PRESETS[name]
        return config if seed is None else dataclasses.replace(config, seed=seed)

    def to_dict(self) -> dict:
        """Plain JSON-able dict (tuples become lists)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping) -> WorldConfig:
        """Inverse of to_dict; unknown or misspelled keys are errors naming the key."""
        return checks.from_dict(cls, data, "WorldConfig")


def _preset(num_users, num_videos, **schedule) -> WorldConfig:
    return WorldConfig(
        population=PopulationConfig(num_users=num_users, num_videos=num_videos),
        schedule=ScheduleConfig(**schedule),
    )


# small: tests (~200 users, ~20K rows); default: ~3,000 users, ~300K rows; pure: every
# KuaiRand-Pure user and video, ~1.4M rows (users enter over the whole period, as there).
PRESETS: Mapping[str, WorldConfig] = {
    "small": _preset(200, 1000),
    "default": _preset(3000, None),
    "pure": _preset(None, None, entry_days=31, sessions_per_day=1.2),
}
