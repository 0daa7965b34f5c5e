"""Tests of the candidate-set softmax policy and its greedy version."""

import tscac_tf  # noqa: F401  (first: pins Keras 2 before TensorFlow loads)

# isort: split

import numpy as np
import pytest
import tensorflow as tf
from tf_agents.trajectories import time_step as ts

from tscac_tf.networks.actor_network import ActorNetwork
from tscac_tf.networks.feature_lookup import FeatureLookup
from tscac_tf.networks.network_config import NetworkConfig
from tscac_tf.policies.candidate_softmax_policy import (
    LOG_PROBABILITIES,
    CandidateSoftmaxPolicy,
    action_log_probs,
    greedy_policy,
)
from tscac_tf.testing import fake_transitions

H, K = 3, 6


@pytest.fixture(scope="module")
def policy():
    tables = fake_transitions.fake_feature_tables(num_users=20, num_videos=30)
    config = NetworkConfig(
        history_length=H,
        num_candidates=K,
        categorical_dim=2,
        video_id_dim=2,
        history_item_dim=4,
        state_hidden=(8,),
        candidate_hidden=(),
        preference_dim=4,
        temperature=0.1,  # sharp: distinct candidates get clearly different probabilities
    )
    actor = ActorNetwork.from_config(FeatureLookup(tables), config, "actor")
    return CandidateSoftmaxPolicy(actor, H, K, emit_log_probability=True)


def _time_step(batch: int = 4) -> ts.TimeStep:
    rng = np.random.default_rng(0)
    candidates = rng.integers(0, 30, size=(batch, K))
    candidates[:, 4:] = -1  # the last two are padding
    observation = {
        "user_id": tf.constant(rng.integers(0, 20, batch), tf.int64),
        "history_video_ids": tf.constant(np.tile([3, 5, -1], (batch, 1)), tf.int64),
        "history_play_time_ms": tf.constant(np.tile([9000, 2000, 0], (batch, 1)), tf.int64),
        "candidate_video_ids": tf.constant(candidates, tf.int64),
    }
    return ts.restart(observation, batch_size=batch)


def test_sampled_actions_are_real_candidates_and_info_has_log_probs(policy):
    step = policy.action(_time_step(), seed=1)
    assert step.action.dtype == tf.int64 and step.action.shape == (4,)
    for _ in range(20):
        actions = policy.action(_time_step()).action.numpy()
        assert np.all((actions >= 0) & (actions < 4))
    log_probs = step.info[LOG_PROBABILITIES].numpy()
    assert log_probs.shape == (4, K)
    np.testing.assert_allclose(np.exp(log_probs[:, :4]).sum(axis=1), 1.0, rtol=1e-5)
    assert np.all(np.exp(log_probs[:, 4:]) == 0.0)
    np.testing.assert_allclose(
        step.info["log_probability"],
        log_probs[np.arange(4), step.action.numpy()],
        rtol=1e-5,
    )


def test_greedy_policy_picks_the_best_score(policy):
    time_step = _time_step()
    logits = policy.actor_network(time_step.observation)[0]["logits"].numpy()
    greedy = greedy_policy(policy).action(time_step).action.numpy()
    np.testing.assert_array_equal(greedy, logits.argmax(axis=1))


def test_action_log_probs_gathers_the_log_softmax():
    logits = tf.constant([[0.0, np.log(3.0)], [1.0, 1.0]])
    # softmax([0, ln 3]) = [¼, ¾];  softmax([1, 1]) = [½, ½]
    np.testing.assert_allclose(
        action_log_probs(logits, tf.constant([1, 0], tf.int64)), np.log([0.75, 0.5]), rtol=1e-6
    )
