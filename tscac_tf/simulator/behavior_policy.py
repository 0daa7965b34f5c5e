"""The logging policy: a production-like ranker over the world's candidates, plus random exposures.

Scores (a multi-task ranker with a fused score):
  r̂_i = E[r_i] · exp(σ_p ε_g(u, v) + σ_r ε'), ε_g a persistent model error per (user, video)
  (one for watch time, one shared by the interaction heads, g), ε' fresh per request;
  score(v) = Σ_i sign_i · w_i · log(floor_i + r̂_i)   (raw responses: seconds, probabilities);
  π_rank(v | C) = softmax_C(score / τ).
Then the platform's uniform exploration (KuaiRand's is_rand exposures, ~0.37%): with
probability ε the shown video is uniform over the whole pool instead. The propensity of
every exposure is its probability under the full mixture,
  π_β(v) = (1 − ε) π_rank(v | C) + ε / |pool|,
written to the log as `behavior_propensity`.
"""

from __future__ import annotations

import numpy as np

from tscac_tf.simulator import gaussian
from tscac_tf.simulator import random_streams as rs
from tscac_tf.simulator.world_config import BehaviorConfig
from tscac_tf.specs import responses

# Floors inside the log of each raw prediction (seconds for watch time, else probability):
# well below typical values, they only stop log(0).
_FLOORS = {"watch_time": 1.0, "click": 0.01, "like": 1e-3}
_DEFAULT_FLOOR = 1e-4


def sample_slots(probs: np.ndarray, uniform: np.ndarray) -> np.ndarray:
    """Inverse-CDF draw of one slot per row of probs [n, K] with uniforms [n]."""
    cum = np.cumsum(probs, axis=1)
    return np.minimum((cum < uniform[:, None] * cum[:, -1:]).sum(axis=1), cum.shape[1] - 1)


class BehaviorPolicy:
    """π_β over candidate sets, with the uniform-exposure mixture."""

    def __init__(self, config: BehaviorConfig, seed: int, num_videos: int):
        self._config = config
        self._seed = seed
        self._num_videos = num_videos
        self._weights = {r.name: r.sign * config.score_weights[r.name] for r in responses.RESPONSES}

    def rank_probabilities(self, expected_raw, user_ids, video_ids, base) -> np.ndarray:
        """π_rank(· | C) [n, K].

        Args:
          expected_raw: {response: float [n, K]} true expected raw responses (watch time in
            seconds, the others probabilities; hate positive).
          user_ids: int64 [n]; video_ids: int64 [n, K] (real ids, for the persistent error).
          base: uint64 [n] per-request hash.
        """
        pair = rs.hash_keys(self._seed, rs.Stream.PREDICTION_NOISE, user_ids[:, None], video_ids)
        slots = np.arange(video_ids.shape[1], dtype=np.uint64)[None, :]
        request = rs.extend(base[:, None], rs.Stream.PREDICTION_NOISE, slots)
        sd_p, sd_r = self._config.prediction_noise_sd, self._config.request_noise_sd
        fresh = sd_r * gaussian.normal_from_hash(request)
        factor = {
            "watch": np.exp(sd_p * gaussian.normal_from_hash(pair, 52) + fresh),
            "heads": np.exp(sd_p * gaussian.normal_from_hash(pair, 40) + fresh),
        }
        score = np.zeros(video_ids.shape)
        for name, weight in self._weights.items():
            if weight == 0.0:
                continue
            predicted = expected_raw[name] * factor["watch" if name == "watch_time" else "heads"]
            score += weight * np.log(_FLOORS.get(name, _DEFAULT_FLOOR) + predicted)
        logits = score / self._config.temperature
        p = np.exp(logits - logits.max(axis=1, keepdims=True))
        return p / p.sum(axis=1, keepdims=True)

    def choose(self, rank_probs: np.ndarray, candidates: np.ndarray, base: np.ndarray):
        """Samples the shown video of each request.

        Args:
          rank_probs: [n, K] π_rank; candidates: int64 [n, K] world video indices.
          base: uint64 [n] per-request hash.

        Returns:
          (video [n] world index, is_rand int64 [n], propensity float64 [n] under π_β).
        """
        u_pick, u_rand = rs.to_uniform_pair(rs.extend(base, rs.Stream.BEHAVIOR_PICK))
        u_video = rs.to_uniform(rs.extend(base, rs.Stream.BEHAVIOR_RANDOM))
        slot = sample_slots(rank_probs, u_pick)
        ranked = candidates[np.arange(len(slot)), slot]
        eps = self._config.random_exposure_rate
        is_rand = u_rand < eps
        uniform_video = np.minimum(
            (u_video * self._num_videos).astype(np.int64), self._num_videos - 1
        )
        video = np.where(is_rand, uniform_video, ranked)
        in_set = candidates == video[:, None]
        propensity = (1.0 - eps) * np.sum(rank_probs * in_set, axis=1) + eps / self._num_videos
        return video, is_rand.astype(np.int64), propensity
