"""Tests of the actor network and its masked candidate scores."""

import tscac_tf  # noqa: F401  (first: pins Keras 2 before TensorFlow loads)

# isort: split

import dataclasses

import numpy as np
import pytest
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


def test_copy_from_scores_like_the_source_and_stays_independent(lookup, net_config, observation):
    source = ActorNetwork.from_config(lookup, net_config, "source")
    target = ActorNetwork.from_config(lookup, net_config, "target")
    before = source(observation)[0]["logits"].numpy()
    assert np.abs(target(observation)[0]["logits"].numpy() - before).max() > 1e-3
    target.copy_from(source)
    np.testing.assert_allclose(target(observation)[0]["logits"].numpy(), before, rtol=1e-6)
    # a copy, not shared variables: moving the target leaves the source as it was
    for v in target.trainable_variables:
        v.assign_add(tf.ones_like(v))
    assert np.abs(target(observation)[0]["logits"].numpy() - before).max() > 1e-3
    np.testing.assert_array_equal(source(observation)[0]["logits"].numpy(), before)


def test_copy_from_refuses_another_architecture(lookup, net_config):
    wider = dataclasses.replace(net_config, preference_dim=net_config.preference_dim + 1)
    target = ActorNetwork.from_config(lookup, net_config, "target")
    with pytest.raises(ValueError, match="target cannot copy other"):
        target.copy_from(ActorNetwork.from_config(lookup, wider, "other"))
