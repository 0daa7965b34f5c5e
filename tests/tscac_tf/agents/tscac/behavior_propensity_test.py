"""Tests of the behaviour propensity: the model's over C_t, or the log's where present."""

import tscac_tf  # noqa: F401  (first: pins Keras 2 before TensorFlow loads)

# isort: split

import numpy as np
import pytest
import tensorflow as tf

from tscac_tf.agents.tscac.behavior_propensity import BehaviorPropensity
from tscac_tf.networks.actor_network import ActorNetwork
from tscac_tf.policies.candidate_softmax_policy import action_log_probs


def _experience(transitions, n=6):
    exp = {k: transitions[k][:n] for k in ("action", "behavior_propensity")}
    exp["behavior_propensity"] = exp["behavior_propensity"].copy()
    exp["behavior_propensity"][:2] = -1.0  # absent from the log
    exp["observation"] = {k: tf.constant(v[:n]) for k, v in transitions["observation"].items()}
    return exp


def test_sources(lookup, config, transitions):
    behavior = ActorNetwork.from_config(lookup, config.network, "behavior")
    exp = _experience(transitions)
    model = action_log_probs(behavior(exp["observation"])[0]["logits"], exp["action"]).numpy()
    np.testing.assert_allclose(BehaviorPropensity(behavior, "model")(exp), model, rtol=1e-6)
    logged = BehaviorPropensity(behavior, "logged")(exp).numpy()
    np.testing.assert_allclose(logged[:2], model[:2], rtol=1e-6)
    np.testing.assert_allclose(logged[2:], np.log(exp["behavior_propensity"][2:]), rtol=1e-6)
    with pytest.raises(ValueError, match="propensity source"):
        BehaviorPropensity(behavior, "both")
