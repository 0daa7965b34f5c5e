"""Tests of the actor network and its masked candidate scores."""

import tscac_tf  # noqa: F401  (first: pins Keras 2 before TensorFlow loads)

# isort: split

import numpy as np
import tensorflow as tf

from tscac_tf.networks.actor_network import PADDED_SCORE, ActorNetwork, candidate_scores


def test_candidate_scores_by_hand():
    # p = [1, 2]; e = [1,0], [0,1], [1,1]; τ = 2 → [1/2, (padding), 3/2]
    scores = candidate_scores(
        tf.constant([[1.0, 2.0]]),
        tf.constant([[[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]]),
        tf.constant([[5, -1, 7]], tf.int64),
        temperature=2.0,
    )
    np.testing.assert_allclose(scores, [[0.5, PADDED_SCORE, 1.5]])


def test_outputs_any_k_and_cold_start(lookup, net_config, observation):
    actor = ActorNetwork.from_config(lookup, net_config, "actor")
    outputs, state = actor(observation)
    assert state == ()
    logits, pref = outputs["logits"].numpy(), outputs["preference"].numpy()
    assert logits.shape == (2, 5) and pref.shape == (2, net_config.preference_dim)
    assert np.all(logits[0, 3:] == PADDED_SCORE) and np.all(np.isfinite(logits[1, :4]))
    # the same state scored against 3 candidates (another K) gives the same scores
    short = dict(observation, candidate_video_ids=observation["candidate_video_ids"][:, :3])
    scores, _ = actor.scores(short)
    np.testing.assert_allclose(scores, logits[:, :3], rtol=1e-6)
    # ⟨p, e⟩ / τ
    e = actor.candidate_embeddings(observation["candidate_video_ids"]).numpy()
    np.testing.assert_allclose(logits[1, :4], np.einsum("d,kd->k", pref[1], e[1, :4]), rtol=1e-5)


def test_copies_share_the_tables_but_not_the_weights(lookup, net_config):
    actor = ActorNetwork.from_config(lookup, net_config, "a")
    other = actor.copy(name="b")
    actor.create_variables()
    other.create_variables()
    assert {id(v) for v in actor.non_trainable_variables} == {
        id(v) for v in other.non_trainable_variables
    }
    assert not {id(v) for v in actor.trainable_variables} & {
        id(v) for v in other.trainable_variables
    }
