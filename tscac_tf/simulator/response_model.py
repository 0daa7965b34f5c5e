"""One exposure's responses: play time, click, long view and the sparse interactions.

Watch. The user's attention span on a video is lognormal (seconds):
  log X = μ + σ ε,  μ = μ0 + β_A·A + (β_q·q − β_s·style) + (β_p·p + β_sat·sat),
with A the user-video affinity (user_state.py), q the video's quality, p the user's
patience. Play time is min(X, cap): cap is the duration, or replay_factor durations for
videos short enough to loop. Short videos are therefore more often watched to the end,
long ones give more seconds. `is_click` and `long_view` are KuaiRand's definitions applied
to play time and duration (kuairand_schema.is_click / is_long_view), so
P(click) = P(X ≥ c_click), c_click = d if d ≤ 7 s else 7 s, and P(long view) = P(X ≥ min(d, 18 s)).

Interactions. The watch stage s (0 no click, 1 click only, 2 long view) sets each
interaction's base rate r_i[s] (the real KuaiRand-Pure rates per stage). A pair-specific
log multiplier m_i = w_i·style + a_i·A + appeal_i(v) + propensity_i(u) + calibration_i
scales it: P(like | s) = r_like[s] ê_like, ê = e^m capped so that no probability exceeds
max_probability. The other interactions depend on the like (the real co-occurrence:
follows, comments and shares come with likes):
  P(i | s, like) = c_i[s] · M_i^{like} · ê_i,  c_i[s] = r_i[s] / (1 + (M_i − 1) r_like[s]),
which keeps stage rate r_i[s] at a neutral pair. A follow is impossible once the user
follows the author. Hate is mostly on short plays, as in the real table.

The trade-off: style raises every interaction's odds but lowers attention, and interactive
videos are the short ones, so the videos that maximise expected watch time (long,
immersive) are not those that maximise interactions (short, interactive).
"""

from __future__ import annotations

import numpy as np

from tscac_tf.simulator import gaussian
from tscac_tf.simulator.world_config import INTERACTIONS, ResponseConfig
from tscac_tf.specs import kuairand_schema as ks

_LIKE = INTERACTIONS.index("like")
_COUPLED = tuple(i for i, n in enumerate(INTERACTIONS) if n != "like")
_INDEX_FOLLOW = INTERACTIONS.index("follow")
_INDEX_HATE = INTERACTIONS.index("hate")
_HATE_C = _COUPLED.index(_INDEX_HATE)
NUM_STAGES = 3


def video_attention(quality, style, config: ResponseConfig):
    """The video's part of μ: β_q·q − β_s·style."""
    return config.attention_quality * quality - config.attention_style * style


def user_attention(patience, satisfaction, config: ResponseConfig):
    """The user's part of μ: β_p·p + β_sat·sat."""
    return config.attention_patience * patience + config.attention_satisfaction * satisfaction


def attention_location(affinity, video_term, user_term, config: ResponseConfig):
    """μ = μ0 + β_A·A + (β_q·q − β_s·style) + (β_p·p + β_sat·sat), log-seconds, broadcast."""
    return (
        config.attention_intercept + config.attention_affinity * affinity + video_term + user_term
    )


def play_cap_ms(duration_ms: np.ndarray, config: ResponseConfig) -> np.ndarray:
    """Longest possible play: replay_factor durations for short videos, else the duration."""
    duration_ms = np.asarray(duration_ms, np.float64)
    short = duration_ms <= config.replay_max_duration_s * 1000.0
    return np.where(short, np.floor(duration_ms * config.replay_factor), duration_ms)


def watch_thresholds(duration_ms, config: ResponseConfig) -> dict[str, np.ndarray]:
    """Per-video constants of the watch model, in log-seconds (precomputed by the world).

    Returns:
      {"log_click_at": ln c_click, c_click = d if d <= 7 s else 7 s (KuaiRand is_click);
       "log_long_at": ln min(d, 18 s) (long_view); "cap_s": play cap; "log_cap": ln cap}.
    """
    seconds = np.asarray(duration_ms, np.float64) / 1000.0
    cap_s = play_cap_ms(duration_ms, config) / 1000.0
    click_s, long_s = ks.CLICK_THRESHOLD_MS / 1000.0, ks.LONG_VIEW_THRESHOLD_MS / 1000.0
    return {
        "log_click_at": np.log(np.where(seconds <= click_s, seconds, click_s)),
        "log_long_at": np.log(np.minimum(seconds, long_s)),
        "cap_s": cap_s,
        "log_cap": np.log(cap_s),
    }


def stage_probabilities(mu, log_click_at, log_long_at, sigma: float) -> np.ndarray:
    """P(stage) [3, ...] (stage-major): no click, click without long view, long view.

    P(click) = P(X ≥ c_click) = Φ((μ − ln c_click)/σ), P(long view) = Φ((μ − ln c_long)/σ);
    c_long ≥ c_click, so long view implies click.
    """
    p_click = gaussian.lognormal_survival(mu, sigma, log_click_at)
    p_long = np.minimum(gaussian.lognormal_survival(mu, sigma, log_long_at), p_click)
    return np.stack([1.0 - p_click, p_click - p_long, p_long])


def expected_play_s(mu, cap_s, log_cap, sigma: float) -> np.ndarray:
    """E[min(X, cap)] in seconds, X the attention span (ln cap precomputed per video)."""
    return gaussian.lognormal_capped_mean(mu, sigma, cap_s, log_cap)


def sample_play_ms(mu, duration_ms, uniform, config: ResponseConfig) -> np.ndarray:
    """play_time_ms = min(⌊1000 X⌋, cap), X = exp(μ + σ Φ⁻¹(u)); int64."""
    x_ms = 1000.0 * np.exp(mu + config.attention_sigma * gaussian.normal_ppf(uniform))
    cap = play_cap_ms(duration_ms, config)
    return np.minimum(np.floor(np.minimum(x_ms, 1e12)), cap).astype(np.int64)


def stage_of(play_ms, duration_ms) -> np.ndarray:
    """Watch stage from the KuaiRand flags: is_click + long_view (long view implies click)."""
    click = ks.is_click(play_ms, duration_ms)
    return (click & ks.is_long_view(play_ms, duration_ms)).astype(np.int64) + click


class InteractionModel:
    """The sparse interactions given the watch stage (constants precomputed from the config).

    With ê_i = min(e^{m_i}, cap / max_{s,like} rate_i[s, like]) (so no probability exceeds
    max_probability):
      P(like | s) = r_like[s] ê_like,   P(i | s, like) = c_i[s] M_i^like ê_i,
      E[i] = ê_i Σ_s c_i[s] P(s) (1 + (M_i − 1) r_like[s] ê_like).
    Arrays are interaction-major ([I, ...], INTERACTIONS order) and stage-major ([3, ...]).
    """

    def __init__(self, config: ResponseConfig):
        self.config = config
        self._style = np.array([config.style_weights[n] for n in INTERACTIONS])
        self._affinity = np.array([config.affinity_weights[n] for n in INTERACTIONS])
        self._calibration = np.array([config.calibration[n] for n in INTERACTIONS])
        self._like_rates = np.array(config.stage_rates["like"])
        self._multiplier = np.array([config.like_multipliers[INTERACTIONS[i]] for i in _COUPLED])
        # c_i[s] = r_i[s] / (1 + (M_i − 1) r_like[s]) keeps stage rate r_i[s] at ê = 1.
        self._coupled_rates = np.array([config.stage_rates[INTERACTIONS[i]] for i in _COUPLED]) / (
            1.0 + (self._multiplier[:, None] - 1.0) * self._like_rates
        )  # [C, 3]
        top = np.empty(len(INTERACTIONS))
        top[_LIKE] = self._like_rates.max()
        top[list(_COUPLED)] = self._coupled_rates.max(axis=1) * np.maximum(self._multiplier, 1.0)
        self._max_multiplier = config.max_probability / np.maximum(top, 1e-12)

    def video_offsets(self, style, appeal) -> np.ndarray:
        """The video's part of m_i: w_i·style + appeal_i + calibration_i, [I, V].

        Args:
          style: [V]; appeal: [V, I] (population.Videos.appeal).
        """
        style = np.asarray(style)[None, :]
        return style * self._style[:, None] + appeal.T + self._calibration[:, None]

    def log_multiplier(self, video_offset, affinity, propensity) -> np.ndarray:
        """m_i = (w_i·style + appeal_i + calibration_i) + a_i·A + propensity_i, [I, ...].

        Args:
          video_offset: [I, ...] (video_offsets gathered); affinity: [...] per pair;
          propensity: [I, ...] per user, broadcast against the pairs.
        """
        affinity = np.asarray(affinity)
        weight = self._affinity.reshape((-1,) + (1,) * affinity.ndim)
        return video_offset + weight * affinity + propensity

    def multipliers(self, log_mult, followed) -> np.ndarray:
        """ê [I, ...]: e^m capped; 0 for a follow of an author already followed."""
        lead = (-1,) + (1,) * (log_mult.ndim - 1)
        e = np.minimum(np.exp(log_mult), self._max_multiplier.reshape(lead))
        e[_INDEX_FOLLOW] *= ~np.asarray(followed, bool)
        return e

    def expected(self, stages, log_mult, followed) -> dict[str, np.ndarray]:
        """{interaction: E[flag]}, [...] each.

        Args:
          stages: [3, ...] stage probabilities; log_mult: [I, ...]; followed: bool [...], the
            user already follows the video's author (no new follow).
        """
        e = self.multipliers(log_mult, followed)
        e_like = e[_LIKE]
        out = {"like": e_like * np.tensordot(self._like_rates, stages, axes=1)}
        a = np.tensordot(self._coupled_rates, stages, axes=1)  # Σ_s c_i[s] P(s)
        b = np.tensordot(self._coupled_rates * self._like_rates, stages, axes=1)
        lead = (-1,) + (1,) * (a.ndim - 1)
        coupled = e[list(_COUPLED)] * (a + (self._multiplier - 1.0).reshape(lead) * e_like * b)
        out.update({INTERACTIONS[i]: coupled[c] for c, i in enumerate(_COUPLED)})
        return out

    def hate_given_stage(self, log_mult, followed) -> np.ndarray:
        """P(hate | stage) [3, ...], the like marginalised out (the leave model needs it)."""
        e = self.multipliers(log_mult, followed)
        m, rates = self._multiplier[_HATE_C], self._coupled_rates[_HATE_C]
        lead = (-1,) + (1,) * (e.ndim - 1)
        like = self._like_rates.reshape(lead) * e[_LIKE]
        return rates.reshape(lead) * (1.0 + (m - 1.0) * like) * e[_INDEX_HATE]

    def sample(self, stage, log_mult, followed, uniforms) -> dict[str, np.ndarray]:
        """{interaction: int64 0/1} [n] for realised stages.

        Args:
          stage: int64 [n]; log_mult: [I, n]; followed: bool [n]; uniforms: [I, n] in (0, 1).
        """
        e = self.multipliers(log_mult, followed)
        like = (uniforms[_LIKE] < self._like_rates[stage] * e[_LIKE]).astype(np.int64)
        out = {"like": like}
        for c, i in enumerate(_COUPLED):
            p = self._coupled_rates[c, stage] * np.where(like == 1, self._multiplier[c], 1.0) * e[i]
            out[INTERACTIONS[i]] = (uniforms[i] < p).astype(np.int64)
        return out
