"""The training-data contract: session SequenceExamples on disk, transitions in memory.

ExampleGen (beam_pipelines/preprocessing) writes one `tf.train.SequenceExample` per user
session; the candidates step adds the retrieved candidate set to every step; the reader
(tscac_tf/data) turns sessions into per-step transitions for the learners. The names and
dtypes below are the only place this contract is written down.

State (ARCHITECTURE §2) is built from ids only, exactly as the serving `rank` signature
receives it: user features and video features are looked up from tables baked into the
model (tscac_tf/features), so a transition needs ids, play times and responses.

Deviation from ARCHITECTURE §2, on purpose: the state's history carries play time (hence
watch ratio, and the click / long-view flags, which KuaiRand defines from play time and
duration) but not like/follow/comment/forward/hate flags, and no hour of day, because the
stable serving contract (§4) sends only `history_video_ids` and `history_play_time_ms`.
A state the model cannot be given at serving time must not be used in training.
"""

from __future__ import annotations

import tensorflow as tf

from tscac_tf.specs import responses

# --- On disk: one SequenceExample per session ------------------------------------------

# Context (one value per session).
CONTEXT_INT64 = ("user_id", "date", "session_index")
CONTEXT_BYTES = ("session_id",)  # f"{user_id}-{date}-{session_index}"

# Sequence (one value per step = exposure), int64 unless listed as float.
STEP_INT64 = (
    "video_id",
    "time_ms",
    "hourmin",
    "play_time_ms",
    "duration_ms",
    "is_click",
    "is_like",
    "is_follow",
    "is_comment",
    "is_forward",
    "is_hate",
    "long_view",
    "is_rand",
    "tab",
)
# -1.0 where the log has no propensity (real KuaiRand logs).
STEP_FLOAT = ("behavior_propensity",)
NO_PROPENSITY = -1.0

# Added by the candidates step (retrieval): K ids per step, the logged video always among
# them; `logged_candidate_index` is its position; `candidate_inserted` is 1 when retrieval
# missed it and it replaced the lowest-ranked candidate.
STEP_CANDIDATE_IDS = "candidate_video_ids"  # int64, K per step, -1 = padding
STEP_LOGGED_INDEX = "logged_candidate_index"  # int64
STEP_CANDIDATE_INSERTED = "candidate_inserted"  # int64 0/1

# Split directories and file names under an ExampleGen output directory.
TRAIN_SPLIT = "train"
EVAL_SPLIT = "eval"
SESSION_FILE_GLOB = "sessions-*.tfrecord.gz"

# --- In memory: one transition per logged step -----------------------------------------

PADDING_ID = -1
DEFAULT_HISTORY_LENGTH = 20  # H
DEFAULT_NUM_CANDIDATES = 50  # K

# Observation keys, identical to the serving `rank` signature inputs (ARCHITECTURE §4).
OBSERVATION_KEYS = ("user_id", "history_video_ids", "history_play_time_ms", "candidate_video_ids")


def observation_spec(
    history_length: int = DEFAULT_HISTORY_LENGTH, num_candidates: int | None = None
):
    """{key: tf.TensorSpec} of one observation (no batch dimension).

    Args:
      history_length: H, the number of most recent videos in the state (most recent first).
      num_candidates: K, or None where K may vary per request (serving).
    """
    return {
        "user_id": tf.TensorSpec([], tf.int64, "user_id"),
        "history_video_ids": tf.TensorSpec([history_length], tf.int64, "history_video_ids"),
        "history_play_time_ms": tf.TensorSpec([history_length], tf.int64, "history_play_time_ms"),
        "candidate_video_ids": tf.TensorSpec([num_candidates], tf.int64, "candidate_video_ids"),
    }


def transition_spec(
    history_length: int = DEFAULT_HISTORY_LENGTH, num_candidates: int = DEFAULT_NUM_CANDIDATES
):
    """{key: spec} of one transition as the reader yields it (batched: prepend [B]).

    Keys:
      observation: observation_spec(H, K) for s_t.
      action: int64 [], index of the logged video in candidate_video_ids.
      behavior_propensity: float32 [], π_β(a_t|s_t) from the log, NO_PROPENSITY if absent.
      reward: {response name: float32 []}, sign and scale applied (ResponseSpec.reward_from_raw).
      is_last: bool [], the session ended after this step (terminal: no bootstrap).
      next_observation: the history part of s_{t+1} (user_id, history_video_ids,
        history_play_time_ms); candidates of s_{t+1} are not needed by V(s').
      position: int64 [], the step's index in its session (0-based).
      logged_video_id: int64 [], the video shown at this step (a_t as an id).
      long_view: bool [], the logged exposure was a long view (retrieval positives).
    """
    obs = observation_spec(history_length, num_candidates)
    return {
        "observation": obs,
        "action": tf.TensorSpec([], tf.int64, "action"),
        "behavior_propensity": tf.TensorSpec([], tf.float32, "behavior_propensity"),
        "reward": {r.name: tf.TensorSpec([], tf.float32, r.name) for r in responses.RESPONSES},
        "is_last": tf.TensorSpec([], tf.bool, "is_last"),
        "next_observation": {
            k: obs[k] for k in ("user_id", "history_video_ids", "history_play_time_ms")
        },
        "position": tf.TensorSpec([], tf.int64, "position"),
        "logged_video_id": tf.TensorSpec([], tf.int64, "logged_video_id"),
        "long_view": tf.TensorSpec([], tf.bool, "long_view"),
    }
