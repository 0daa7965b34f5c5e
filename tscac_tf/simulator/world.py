"""The synthetic short-video world: population, response model and user dynamics together.

This is the ground truth of the project (ARCHITECTURE §1, §3): `tscac generate` logs the
behaviour policy in it (log_generator.py), the evaluator plays learned policies in it
through `rollout` (batched numpy) or `ShortVideoEnvironment` (TF-Agents, environment.py),
and the oracle references read its true expected responses (`expected_responses`,
`expected_leave`). All paths step through `World.step`, the one place the dynamics run.

Randomness is counter-based (random_streams.py): the draws of one request are keyed by
(seed, user, session key, position in session), so a seed fixes every outcome and every
policy evaluated with the same seed meets the same draws (common random numbers).

Why the problem is sequential and constrained, in one paragraph (details in README.md):
long immersive videos maximise immediate watch time, short interactive ones maximise
interactions (response_model.py); interactive content delights, delight keeps satisfaction
up and satisfied users stay longer, repeated tags bore users, hates annoy them into leaving,
follows raise affinity for good, and enjoyed tags grow more interesting (user_state.py).
"""

from __future__ import annotations

import dataclasses
import json
import os

import numpy as np

from tscac_tf.simulator import random_streams as rs
from tscac_tf.simulator import response_model as rm
from tscac_tf.simulator import user_state as us
from tscac_tf.simulator.behavior_policy import BehaviorPolicy, sample_slots
from tscac_tf.simulator.candidates import CandidateGenerator
from tscac_tf.simulator.population import Population, build_population
from tscac_tf.simulator.rollout import RolloutResult, rollout
from tscac_tf.simulator.world_config import INTERACTIONS, WorldConfig
from tscac_tf.specs import kuairand_schema as ks
from tscac_tf.specs import responses

JSON_FORMAT = "tscac-synthetic-world"
JSON_VERSION = 1


@dataclasses.dataclass
class Exposure:
    """Outcome of showing one video to each of n lanes.

    Attributes:
      video: int64 [n] world video index; play_ms, duration_ms: int64 [n].
      flags: {log column: int64 [n] 0/1} for is_click, long_view, is_like, is_follow,
        is_comment, is_forward, is_hate.
      stage: int64 [n] watch stage; leave: bool [n], the session ended after this exposure.
    """

    video: np.ndarray
    play_ms: np.ndarray
    duration_ms: np.ndarray
    flags: dict[str, np.ndarray]
    stage: np.ndarray
    leave: np.ndarray

    def rewards(self) -> dict[str, np.ndarray]:
        """{response: float32 [n]} in registry order (ResponseSpec.reward_from_raw)."""
        raw = {"play_time_ms": self.play_ms, **self.flags}
        return {
            r.name: r.reward_from_raw(raw[r.log_column].astype(np.float64)).astype(np.float32)
            for r in responses.RESPONSES
        }


class World:
    """A seeded synthetic world built from a `WorldConfig` and the real KuaiRand-Pure tables."""

    def __init__(self, config: WorldConfig, population: Population | None = None):
        self.config = config
        self.population = population or build_population(config.population, config.seed)
        self.candidate_generator = CandidateGenerator(self.population.videos, config.behavior)
        self.interactions = rm.InteractionModel(config.responses)
        videos = self.population.videos
        self._watch = rm.watch_thresholds(videos.duration_ms, config.responses)
        self._video_attention = rm.video_attention(videos.quality, videos.style, config.responses)
        self._video_interaction = self.interactions.video_offsets(videos.style, videos.appeal)
        self._user_propensity = np.ascontiguousarray(self.population.users.propensity.T)
        self.behavior = BehaviorPolicy(
            config.behavior, config.seed, self.population.videos.ids.size
        )

    @classmethod
    def preset(cls, name: str, seed: int | None = None) -> World:
        return cls(WorldConfig.preset(name, seed))

    @property
    def num_candidates(self) -> int:
        return self.config.behavior.num_candidates

    @property
    def history_length(self) -> int:
        return self.config.history_length

    # --- persistence ------------------------------------------------------------------

    def to_json(self, path: str) -> None:
        """Writes world.json: the config (seed and every parameter) and a fingerprint."""
        doc = {
            "format": JSON_FORMAT,
            "version": JSON_VERSION,
            "num_users": int(self.population.users.ids.size),
            "num_videos": int(self.population.videos.ids.size),
            "population_fingerprint": self.population.fingerprint(),
            "config": self.config.to_dict(),
        }
        with open(path, "w") as f:
            json.dump(doc, f, indent=1, sort_keys=True)
            f.write("\n")

    @classmethod
    def from_json(cls, path: str) -> World:
        """Rebuilds the identical world from a world.json written by `to_json`."""
        if not os.path.exists(path):
            raise FileNotFoundError(f"world: {path} does not exist (written by tscac generate)")
        with open(path) as f:
            doc = json.load(f)
        if doc.get("format") != JSON_FORMAT or doc.get("version") != JSON_VERSION:
            raise ValueError(
                f"{path}: expected format {JSON_FORMAT!r} version {JSON_VERSION}, got "
                f"{doc.get('format')!r} version {doc.get('version')!r}"
            )
        world = cls(WorldConfig.from_dict(doc["config"]))
        if world.population.fingerprint() != doc.get("population_fingerprint"):
            raise ValueError(
                f"{path}: the rebuilt population differs from the one that was written "
                "(the shipped KuaiRand-Pure tables or the sampling code changed)"
            )
        return world

    # --- state and observation --------------------------------------------------------

    def initial_state(self, user_ids) -> us.UserState:
        """Fresh state of the given real user ids (one lane each); unknown ids are an error."""
        index = self.population.users.index_of(user_ids)
        if np.any(index < 0):
            missing = np.asarray(user_ids)[index < 0][:5].tolist()
            raise ValueError(f"world: user ids {missing} are not in this world's population")
        return us.UserState.initial(self.population, index, self.history_length)

    def video_ids(self, index: np.ndarray) -> np.ndarray:
        """Real video ids of world indices (-1 stays -1)."""
        index = np.asarray(index, np.int64)
        return np.where(index >= 0, self.population.videos.ids[np.maximum(index, 0)], -1)

    def candidates(self, state: us.UserState, rows: np.ndarray, base: np.ndarray) -> np.ndarray:
        """int64 [n, K] world video indices from the candidate generator."""
        seen = state.seen[rows] if self.config.behavior.filter_seen else None
        return self.candidate_generator.generate(
            state.interest[rows], state.history_video[rows], base, seen
        )

    def observation(self, state: us.UserState, rows, candidates) -> dict[str, np.ndarray]:
        """The serving observation (session_schema.OBSERVATION_KEYS), batched, real ids."""
        return {
            "user_id": self.population.users.ids[state.user[rows]],
            "history_video_ids": self.video_ids(state.history_video[rows]),
            "history_play_time_ms": state.history_play_ms[rows].copy(),
            "candidate_video_ids": self.video_ids(candidates),
        }

    # --- the model ----------------------------------------------------------------------

    def _pairs(self, state: us.UserState, rows: np.ndarray, video: np.ndarray) -> dict:
        """Per (lane, video) terms shared by expectations and sampling; video [n] or [n, K]."""
        videos, users, dyn = self.population.videos, self.population.users, self.config.dynamics
        lead = (-1,) + (1,) * (video.ndim - 1)
        user = state.user[rows]
        affinity, boredom, followed = us.affinity_terms(state, rows, video, videos, dyn)
        user_term = rm.user_attention(
            users.patience[user], state.satisfaction[rows], self.config.responses
        )
        mu = rm.attention_location(
            affinity, self._video_attention[video], user_term.reshape(lead), self.config.responses
        )
        propensity = self._user_propensity[:, user].reshape((len(INTERACTIONS),) + lead)
        return {
            "mu": mu,
            "video": video,
            "log_mult": self.interactions.log_multiplier(
                self._video_interaction[:, video], affinity, propensity
            ),
            "followed": followed,
            "delight": videos.style[video] + dyn.delight_affinity * affinity,
            "boredom": boredom,
        }

    def _stages(self, pairs: dict) -> np.ndarray:
        video, watch = pairs["video"], self._watch
        return rm.stage_probabilities(
            pairs["mu"], watch["log_click_at"][video], watch["log_long_at"][video],
            self.config.responses.attention_sigma,
        )  # fmt: skip

    def expected_raw(self, state: us.UserState, rows, video) -> dict[str, np.ndarray]:
        """{response: [n, K]} true expected raw responses (seconds; probabilities, hate > 0)."""
        pairs = self._pairs(state, rows, video)
        stages = self._stages(pairs)
        watch = self._watch
        out = {
            "watch_time": rm.expected_play_s(
                pairs["mu"],
                watch["cap_s"][video],
                watch["log_cap"][video],
                self.config.responses.attention_sigma,
            ),
            "click": stages[1] + stages[2],
        }
        out.update(self.interactions.expected(stages, pairs["log_mult"], pairs["followed"]))
        return {name: out[name] for name in responses.RESPONSE_NAMES}

    def expected_responses(self, state: us.UserState, video_ids) -> dict[str, np.ndarray]:
        """True expected immediate rewards of showing each video, in reward units.

        Args:
          state: the lanes' states (e.g. the `state` a rollout hands a with_state policy).
          video_ids: int64 [B, K] real video ids (every id must be in the world).

        Returns:
          {response: float64 [B, K]} in registry order, E[reward_from_raw(raw)]: watch time
          in seconds, interactions as probabilities, hate as minus its probability.
        """
        video = self._video_index(video_ids, state)
        raw = self.expected_raw(state, np.arange(len(state.user)), video)
        # expected_raw already gives watch time in seconds, so only the sign remains.
        return {r.name: r.sign * raw[r.name] for r in responses.RESPONSES}

    def expected_leave(self, state: us.UserState, video_ids) -> np.ndarray:
        """P(the session ends right after showing each video), float64 [B, K].

        Exact expectation over the watch stage and the hate draw (the leave model depends on
        the exposure only through them); ignores max_session_steps.
        """
        video = self._video_index(video_ids, state)
        return self._expected_leave(state, np.arange(len(state.user)), video)

    def _expected_leave(self, state, rows, video) -> np.ndarray:
        pairs = self._pairs(state, rows, video)
        dyn = self.config.dynamics
        stages = self._stages(pairs)
        hate = self.interactions.hate_given_stage(pairs["log_mult"], pairs["followed"])
        lead = (-1,) + (1,) * (video.ndim - 1)
        activity = self.population.users.activity[state.user[rows]].reshape(lead)
        sat = state.satisfaction[rows].reshape(lead)
        annoyance = state.annoyance[rows].reshape(lead)
        position = (state.position[rows] + 1).reshape(lead)
        total = np.zeros(video.shape)
        rho = dyn.satisfaction_memory
        for stage in range(rm.NUM_STAGES):
            for h, p_h in ((0, 1.0 - hate[stage]), (1, hate[stage])):
                exp = us.experience(stage, pairs["delight"], h, dyn)
                logit = us.leave_logit(
                    activity, position, rho * sat + (1 - rho) * exp, pairs["boredom"],
                    dyn.annoyance_decay * annoyance + h, h, dyn,
                )  # fmt: skip
                total += stages[stage] * p_h / (1.0 + np.exp(-logit))
        return total

    def _video_index(self, video_ids, state: us.UserState) -> np.ndarray:
        """World indices of real video ids [B, K] for the B lanes of `state`."""
        shape = np.shape(video_ids)
        if len(shape) != 2 or shape[0] != len(state.user):
            raise ValueError(
                f"world: expected video ids of shape [B, K] with B = {len(state.user)} lanes "
                f"in the state, got shape {shape}"
            )
        video = self.population.videos.index_of(video_ids)
        if np.any(video < 0):
            missing = np.asarray(video_ids)[video < 0][:5].tolist()
            raise ValueError(f"world: video ids {missing} are not in this world")
        return video

    # --- one step -----------------------------------------------------------------------

    def step(self, state: us.UserState, rows, video, base) -> Exposure:
        """Shows video[i] (world index) to lane rows[i]; samples responses, updates state.

        Args:
          state: the lanes (updated in place); rows: int64 [n] lanes in session.
          video: int64 [n]; base: uint64 [n] request hashes (random_streams.request_hash).
        """
        cfg, dyn = self.config.responses, self.config.dynamics
        pairs = self._pairs(state, rows, video)
        duration = self.population.videos.duration_ms[video]
        u_watch, u_leave = rs.to_uniform_pair(rs.extend(base, rs.Stream.ATTENTION))
        play = rm.sample_play_ms(pairs["mu"], duration, u_watch, cfg)
        stage = rm.stage_of(play, duration)
        u_act = rs.to_uniform(
            rs.extend(base[None, :], rs.Stream.INTERACTION, np.arange(len(INTERACTIONS))[:, None])
        )
        acts = self.interactions.sample(stage, pairs["log_mult"], pairs["followed"], u_act)
        exp = us.experience(stage, pairs["delight"], acts["hate"], dyn)
        us.apply_exposure(
            state, rows, video, play, exp, acts["hate"], acts["follow"], self.population.videos, dyn
        )
        logit = us.leave_logit(
            self.population.users.activity[state.user[rows]], state.position[rows],
            state.satisfaction[rows], pairs["boredom"], state.annoyance[rows], acts["hate"], dyn,
        )  # fmt: skip
        leave = (u_leave * (1.0 + np.exp(-logit)) < 1.0) | (
            state.position[rows] >= dyn.max_session_steps
        )
        flags = {
            "is_click": ks.is_click(play, duration).astype(np.int64),
            "long_view": ks.is_long_view(play, duration).astype(np.int64),
            **{f"is_{name}": acts[name] for name in INTERACTIONS},
        }
        return Exposure(video, play, duration, flags, stage, leave)

    def behavior_policy_fn(self, seed: int):
        """The logging ranker π_rank as a `with_state` rollout policy (ranking noise keyed by
        seed, user, position and history; without the uniform exposures, which fall outside
        the candidate set)."""

        def policy(observation: dict, state: us.UserState) -> np.ndarray:
            ids = observation["candidate_video_ids"]
            raw = self.expected_raw(
                state, np.arange(len(state.user)), self._video_index(ids, state)
            )
            played = observation["history_play_time_ms"].sum(axis=1)
            base = rs.hash_keys(seed, observation["user_id"], state.position, played)
            probs = self.behavior.rank_probabilities(raw, observation["user_id"], ids, base)
            return sample_slots(probs, rs.to_uniform(rs.extend(base, rs.Stream.BEHAVIOR_PICK)))

        return policy

    def rollout(self, policy_fn, user_ids, seed: int, **kwargs) -> RolloutResult:
        """Plays policy_fn in the world; see rollout.rollout for the arguments."""
        return rollout(self, policy_fn, user_ids, seed, **kwargs)
