"""Multi-task response-model terms as pure functions: labels, losses, predictions, fusion.

Every response j has one model output o_j(s, v): watch time is regressed in seconds
(pred = o), every interaction is a logistic output (pred = σ(o)) of its raw 0/1 flag.
The labels are the raw values: label_j = sign_j · r_j (the registry reward is
sign · scale · raw, so hate's −is_hate becomes is_hate again).
"""

from __future__ import annotations

from collections.abc import Mapping

import tensorflow as tf

from tscac_tf.networks.actor_network import PADDED_SCORE
from tscac_tf.specs import responses as registry
from tscac_tf.specs import session_schema as ss


# label_j = sign_j · r_j   (raw watch seconds, raw 0/1 flags)
def response_labels(rewards: Mapping[str, tf.Tensor]) -> dict[str, tf.Tensor]:
    """{name: float32 [B]} raw labels from the registry rewards."""
    return {n: registry.get(n).sign * r for n, r in rewards.items()}


# main: ½ (o − y)²;  interactions: BCE(y, σ(o))
def response_losses(
    outputs: Mapping[str, tf.Tensor], labels: Mapping[str, tf.Tensor]
) -> dict[str, tf.Tensor]:
    """Per-example loss of every response {name: [B]} (squared error for the main one)."""
    out = {}
    for n, o in outputs.items():
        if registry.get(n).role == "main":
            out[n] = 0.5 * tf.square(o - labels[n])
        else:
            out[n] = tf.nn.sigmoid_cross_entropy_with_logits(labels=labels[n], logits=o)
    return out


# pred_j = o_j (main) or σ(o_j) (interactions)
def response_predictions(outputs: Mapping[str, tf.Tensor]) -> dict[str, tf.Tensor]:
    """{name: predicted raw value} of any shape."""
    return {n: o if registry.get(n).role == "main" else tf.sigmoid(o) for n, o in outputs.items()}


# score(v|s) = Σ_j w_j · sign_j · pred_j(s, v), padded candidates PADDED_SCORE
def fused_scores(
    predictions: Mapping[str, tf.Tensor],
    weights: Mapping[str, float],
    candidate_video_ids: tf.Tensor,
) -> tf.Tensor:
    """The ranking score of every candidate.

    Args:
      predictions: {name: float32 [B, K]} predicted raw values.
      weights: {name: w_j >= 0}; a response without a weight does not count.
      candidate_video_ids: int64 [B, K], -1 = padding.

    Returns:
      float32 [B, K].
    """
    terms = [weights[n] * registry.get(n).sign * predictions[n] for n in sorted(weights)]
    scores = tf.add_n(terms)
    padded = tf.equal(candidate_video_ids, ss.PADDING_ID)
    return tf.where(padded, tf.constant(PADDED_SCORE, scores.dtype), scores)


def fusion_weights(interaction_weight: float, names=registry.RESPONSE_NAMES) -> dict[str, float]:
    """{main: 1, every auxiliary: w}: one interaction weight (in seconds per interaction)."""
    return {n: 1.0 if registry.get(n).role == "main" else float(interaction_weight) for n in names}
