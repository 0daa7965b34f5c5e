"""The TF-Agents PolicySaver export: its documented input keys, and the greedy action."""

import tscac_tf  # noqa: F401  (first: pins Keras 2 before TensorFlow loads)

# isort: split

import os

import numpy as np
import tensorflow as tf
import tensorflow_probability  # noqa: F401  (loading a PolicySaver export needs TFP first)
from tensorflow.core.protobuf import saved_model_pb2
from tf_agents.trajectories import time_step as ts

from tscac_tf.agents.tscac import config as tscac_config
from tscac_tf.export import policy_saver_export
from tscac_tf.networks.actor_network import ActorNetwork
from tscac_tf.networks.feature_lookup import FeatureLookup
from tscac_tf.policies.candidate_softmax_policy import CandidateSoftmaxPolicy
from tscac_tf.testing import fake_transitions as ft

NET = tscac_config.preset("small").network  # H = 5, K = 8


def test_policy_saver_export_takes_the_documented_keys_and_acts_greedily(tmp_path):
    tables = ft.fake_feature_tables(num_users=40, num_videos=60)
    tf.keras.utils.set_random_seed(3)
    actor = ActorNetwork.from_config(FeatureLookup(tables), NET, "main_actor")
    policy = CandidateSoftmaxPolicy(actor, NET.history_length, NET.num_candidates)
    export_dir = policy_saver_export.export_policy(policy, str(tmp_path / "policy"))

    meta = saved_model_pb2.SavedModel.FromString(
        open(os.path.join(export_dir, "saved_model.pb"), "rb").read()
    ).meta_graphs[0]
    assert sorted(meta.signature_def["action"].inputs) == sorted(
        policy_saver_export.POLICY_INPUT_KEYS
    )
    assert "action" in meta.signature_def["action"].outputs

    loaded = tf.saved_model.load(export_dir)

    rng = np.random.default_rng(0)
    batch, h, k = 6, NET.history_length, NET.num_candidates
    observation = {
        "user_id": tf.constant(rng.choice(tables.user_ids[1:], batch), tf.int64),
        "history_video_ids": tf.constant(rng.choice(tables.video_ids[1:], (batch, h)), tf.int64),
        "history_play_time_ms": tf.constant(rng.integers(1000, 9000, (batch, h)), tf.int64),
        "candidate_video_ids": tf.constant(rng.choice(tables.video_ids[1:], (batch, k)), tf.int64),
    }
    step = ts.restart(observation, batch_size=batch)
    got = loaded.action(step).action.numpy()

    logits = actor(observation)[0]["logits"].numpy()
    np.testing.assert_array_equal(got, np.argmax(logits, axis=1))
