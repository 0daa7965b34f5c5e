"""Hand-checked tests of the response models' labels, losses, fused score and fusion choice."""

import tscac_tf  # noqa: F401  (first: pins Keras 2 before TensorFlow loads)

# isort: split

import numpy as np
import pytest
import tensorflow as tf

from tscac_tf.agents.baselines.response_model import fusion, losses
from tscac_tf.agents.baselines.response_model.deepfm import fm_interactions
from tscac_tf.agents.baselines.response_model.wide_deep import crossed_buckets
from tscac_tf.networks.actor_network import PADDED_SCORE


def test_labels_undo_the_reward_sign_and_losses_match_by_hand():
    labels = losses.response_labels({"watch_time": tf.constant([3.0]), "hate": tf.constant([-1.0])})
    assert labels["watch_time"].numpy()[0] == 3.0 and labels["hate"].numpy()[0] == 1.0
    out = losses.response_losses(
        {"watch_time": tf.constant([1.0]), "hate": tf.constant([0.0])}, labels
    )
    assert out["watch_time"].numpy()[0] == pytest.approx(2.0)  # ½ (1 − 3)²
    assert out["hate"].numpy()[0] == pytest.approx(np.log(2.0))  # BCE(1, σ(0))
    pred = losses.response_predictions({"watch_time": tf.constant(-2.0), "hate": tf.constant(0.0)})
    assert pred["watch_time"].numpy() == -2.0 and pred["hate"].numpy() == 0.5


def test_fused_score_ranks_higher_predicted_responses_first_and_hate_last():
    ids = tf.constant([[11, 12, 13, -1]], tf.int64)
    predictions = {
        "watch_time": tf.constant([[10.0, 10.0, 12.0, 50.0]]),
        "click": tf.constant([[0.9, 0.1, 0.1, 1.0]]),
        "hate": tf.constant([[0.0, 0.0, 0.5, 0.0]]),
    }
    weights = {"watch_time": 1.0, "click": 5.0, "hate": 5.0}
    scores = losses.fused_scores(predictions, weights, ids).numpy()
    # 10 + 4.5;  10 + 0.5;  12 + 0.5 − 2.5;  padding
    np.testing.assert_allclose(scores[0, :3], [14.5, 10.5, 10.0])
    assert scores[0, 3] == PADDED_SCORE
    assert losses.fusion_weights(2.0)["watch_time"] == 1.0
    assert losses.fusion_weights(2.0)["hate"] == 2.0


def test_select_weight_maximises_watch_time_among_feasible_weights():
    levels = {"click": 0.3}
    estimates = {
        0.0: {"watch_time": 20.0, "click": 0.2},  # best watch time, but too few clicks
        5.0: {"watch_time": 15.0, "click": 0.35},
        50.0: {"watch_time": 10.0, "click": 0.6},
    }
    assert fusion.select_weight(estimates, levels, "watch_time") == 5.0
    # nothing feasible: the smallest shortfall
    infeasible = {0.0: {"watch_time": 20.0, "click": 0.1}, 5.0: {"watch_time": 1.0, "click": 0.25}}
    assert fusion.select_weight(infeasible, levels, "watch_time") == 5.0


def test_fm_interactions_are_the_pairwise_products():
    fields = tf.constant([[[1.0, 2.0], [3.0, 4.0], [0.5, -1.0]]])
    # e1⊙e2 + e1⊙e3 + e2⊙e3 = (3, 8) + (0.5, −2) + (1.5, −4)
    np.testing.assert_allclose(fm_interactions(fields).numpy(), [[5.0, 2.0]])


def test_crossed_buckets_are_in_range_and_differ_by_column_pair():
    user = tf.constant([[1, 2]], tf.int64)
    video = tf.constant([[[3, 3], [4, 3]]], tf.int64)
    h = crossed_buckets(user, video, 97).numpy()
    assert h.shape == (1, 2, 4) and h.min() >= 0 and h.max() < 97
    assert len(set(h[0, 0])) == 4  # same codes, different column pairs
    assert h[0, 0, 1] == h[0, 1, 1]  # (user col 0, video col 1) = (1, 3) in both candidates
