"""A TF-Agents `PolicySaver` export of the greedy policy, for TF-Agents users.

The served model is the `rank`/`recommend` export (ARCHITECTURE §4). TF-Agents users who
drive a policy with `TimeStep`s (a driver, an environment loop) load this one instead:

    import tensorflow_probability  # noqa: F401  (BUILD_NOTES trap 5: before loading)
    policy = tf.saved_model.load("OUT/export/policy")
    step = policy.action(time_step)       # time_step: a tf_agents TimeStep

Its `action` SignatureDef (what `saved_model_cli` and TF Serving see) takes the TimeStep
flattened by nest path (`POLICY_INPUT_KEYS`): `0/step_type` int32 [B], `0/reward`
float32 [B], `0/discount` float32 [B], `0/observation/user_id` int64 [B],
`0/observation/history_video_ids` int64 [B, H], `0/observation/history_play_time_ms`
int64 [B, H] and `0/observation/candidate_video_ids` int64 [B, K] (−1 padding); from
Python, `loaded.signatures["action"]` takes the same names sanitised to keyword
arguments (`arg_0_step_type`, `arg_0_observation_user_id`, ...). It returns `action`
int64 [B], the index of the highest-scoring candidate (what `rank` ranks first), and
`info/log_probabilities` float32 [B, K]. Unlike `rank`, K is fixed at the export's K.
"""

from __future__ import annotations

import os

import tensorflow as tf

from tscac_tf.policies.candidate_softmax_policy import CandidateSoftmaxPolicy, greedy_policy
from tscac_tf.specs import session_schema as ss

POLICY_INPUT_KEYS = (
    "0/step_type",
    "0/reward",
    "0/discount",
    *(f"0/observation/{k}" for k in ss.OBSERVATION_KEYS),
)


def export_policy(
    policy: CandidateSoftmaxPolicy, export_dir: str, train_step: tf.Variable | None = None
) -> str:
    """Saves the greedy version of `policy` with `PolicySaver`; returns export_dir."""
    from tf_agents.policies import policy_saver  # TF-Agents' saver pulls in TFP

    os.makedirs(os.path.dirname(os.path.abspath(export_dir)), exist_ok=True)
    saver = policy_saver.PolicySaver(
        greedy_policy(policy),
        batch_size=None,
        use_nest_path_signatures=True,
        train_step=train_step,
    )
    saver.save(export_dir)
    return export_dir
