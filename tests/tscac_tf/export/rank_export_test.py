"""Round trip of the `rank` signature: save, load, call by name, compare with the policy."""

import tscac_tf  # noqa: F401  (first: pins Keras 2 before TensorFlow loads)

# isort: split

import numpy as np
import pytest
import tensorflow as tf
from tf_agents.trajectories import time_step as ts

from tscac_tf.agents.tscac import config as tscac_config
from tscac_tf.export import rank_export
from tscac_tf.networks.actor_network import PADDED_SCORE, ActorNetwork
from tscac_tf.networks.feature_lookup import FeatureLookup
from tscac_tf.policies.candidate_softmax_policy import CandidateSoftmaxPolicy
from tscac_tf.testing import fake_transitions as ft

NET = tscac_config.preset("small").network  # H = 5, K = 8


@pytest.fixture(scope="module")
def tables():
    return ft.fake_feature_tables(num_users=40, num_videos=60)


@pytest.fixture(scope="module")
def exported(tables, tmp_path_factory):
    tf.keras.utils.set_random_seed(7)
    actor = ActorNetwork.from_config(FeatureLookup(tables), NET, "main_actor")
    export_dir = str(tmp_path_factory.mktemp("rank"))
    rank_export.export_rank_model(rank_export.RankModule(actor), export_dir)
    return actor, tf.saved_model.load(export_dir)


def _request(tables, batch, history, k, seed=0):
    rng = np.random.default_rng(seed)
    known_users, known_videos = tables.user_ids[1:], tables.video_ids[1:]
    users = rng.choice(known_users, batch)
    users[0] = 10**12  # unknown user
    hist = rng.choice(known_videos, (batch, history))
    hist[:, history // 2 :] = -1
    cands = rng.choice(known_videos, (batch, k))
    cands[0, -1] = -1  # padding
    cands[-1, 0] = 10**9  # unknown video
    plays = np.where(hist >= 0, rng.integers(1000, 30000, hist.shape), 0)
    return {
        "user_id": tf.constant(users, tf.int64),
        "history_video_ids": tf.constant(hist, tf.int64),
        "history_play_time_ms": tf.constant(plays, tf.int64),
        "candidate_video_ids": tf.constant(cands, tf.int64),
    }


def test_signature_contract(exported):
    _, loaded = exported
    rank = loaded.signatures["rank"]
    inputs = rank.structured_input_signature[1]
    assert {k: (v.dtype, v.shape.as_list()) for k, v in inputs.items()} == {
        "user_id": (tf.int64, [None]),
        "history_video_ids": (tf.int64, [None, None]),
        "history_play_time_ms": (tf.int64, [None, None]),
        "candidate_video_ids": (tf.int64, [None, None]),
    }
    outputs = rank.structured_outputs
    assert {k: v.dtype for k, v in outputs.items()} == {
        "scores": tf.float32,
        "ranked_video_ids": tf.int64,
        "preference": tf.float32,
    }


def test_loaded_scores_equal_the_in_memory_policy(exported, tables):
    actor, loaded = exported
    request = _request(tables, batch=4, history=NET.history_length, k=NET.num_candidates)
    out = loaded.signatures["rank"](**request)
    policy = CandidateSoftmaxPolicy(actor, NET.history_length, NET.num_candidates)
    logits = policy.distribution(ts.restart(request, batch_size=4)).action.logits_parameter()
    np.testing.assert_allclose(out["scores"], logits, rtol=1e-5, atol=1e-5)
    scores = out["scores"].numpy()
    assert scores[0, -1] == PADDED_SCORE and np.all(np.isfinite(scores))
    assert out["preference"].shape == (4, NET.preference_dim)
    ranked = out["ranked_video_ids"].numpy()
    cands = request["candidate_video_ids"].numpy()
    for b in range(4):
        real = cands[b] != -1
        order = np.argsort(-scores[b][real], kind="stable")
        np.testing.assert_array_equal(ranked[b][: real.sum()], cands[b][real][order])
        assert np.all(ranked[b][real.sum() :] == -1)


@pytest.mark.parametrize("history, k", [(2, 3), (9, 13), (5, 1)])
def test_any_history_length_and_any_k(exported, tables, history, k):
    actor, loaded = exported
    request = _request(tables, batch=3, history=history, k=k, seed=history)
    out = loaded.signatures["rank"](**request)
    assert out["scores"].shape == (3, k) and out["ranked_video_ids"].shape == (3, k)
    h = NET.history_length
    fitted = dict(
        request,
        history_video_ids=rank_export.fit_history(request["history_video_ids"], h, -1),
        history_play_time_ms=rank_export.fit_history(request["history_play_time_ms"], h, 0),
    )
    want, _ = actor.scores(fitted)
    np.testing.assert_allclose(out["scores"], want, rtol=1e-5, atol=1e-5)


def test_fit_history_pads_and_truncates():
    x = tf.constant([[1, 2, 3]], tf.int64)
    assert rank_export.fit_history(x, 5, -1).numpy().tolist() == [[1, 2, 3, -1, -1]]
    assert rank_export.fit_history(x, 2, -1).numpy().tolist() == [[1, 2]]


def test_rank_by_score_puts_padding_last_even_below_real_scores():
    scores = tf.constant([[PADDED_SCORE, -2e9, 0.5, 3.0]])
    ids = tf.constant([[-1, 11, 12, 13]], tf.int64)
    assert rank_export.rank_by_score(scores, ids).numpy().tolist() == [[13, 12, 11, -1]]
