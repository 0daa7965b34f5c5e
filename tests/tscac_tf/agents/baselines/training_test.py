"""End to end: every baseline trained on candidate sessions, exported through `rank`."""

import tscac_tf  # noqa: F401  (first: pins Keras 2 before TensorFlow loads)

# isort: split

import dataclasses
import json
import os

import numpy as np
import pytest
import tensorflow as tf

from tscac_tf.agents.baselines import config as baselines_config
from tscac_tf.agents.baselines import training
from tscac_tf.export.rank_export import RankModule
from tscac_tf.networks.actor_network import PADDED_SCORE, ActorNetwork
from tscac_tf.networks.feature_lookup import FeatureLookup
from tscac_tf.testing import fake_transitions as ft

E2E_NAMES = ("bc", "watch_time_ac", "rcpo", "rcpo_mc", "pareto")


def _config(steps: int) -> baselines_config.BaselinesConfig:
    config = baselines_config.preset("small")
    tscac = dataclasses.replace(
        config.tscac, behavior=dataclasses.replace(config.tscac.behavior, num_steps=steps)
    )
    ac = dataclasses.replace(config.actor_critic, num_steps=steps)
    lagrangian = dataclasses.replace(config.lagrangian, level_batches=2)
    return dataclasses.replace(config, tscac=tscac, actor_critic=ac, lagrangian=lagrangian)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    data_dir = str(tmp_path_factory.mktemp("candidates"))
    tables = ft.write_fake_candidate_sessions(data_dir, ft.FakeTransitionsConfig(num_sessions=60))
    out = str(tmp_path_factory.mktemp("baselines"))
    # all but interaction_ac, which the CLI test runs (reusing a TSCAC π_β)
    summary = training.train_baselines(data_dir, None, out, _config(3), names=E2E_NAMES)
    return data_dir, tables, out, summary


def _request(tables):
    users, videos = tables.user_ids, tables.video_ids
    return {
        "user_id": tf.constant([users[1], 10**12], tf.int64),
        "history_video_ids": tf.constant([[videos[3], videos[4]], [-1, -1]], tf.int64),
        "history_play_time_ms": tf.constant([[20000, 500], [0, 0]], tf.int64),
        "candidate_video_ids": tf.constant(
            [[videos[5], videos[6], -1], [videos[7], 10**9, videos[8]]], tf.int64
        ),
    }


def test_every_baseline_is_trained_summarised_and_exported(run):
    _, tables, out, summary = run
    with open(os.path.join(out, training.SUMMARY_FILE)) as f:
        assert json.load(f)["baselines"].keys() == summary["baselines"].keys()
    assert tuple(summary["baselines"]) == E2E_NAMES
    for name, info in summary["baselines"].items():
        assert info["steps"] == 3
        assert all(np.isfinite(v) for v in info["final_losses"].values())
        assert tf.train.latest_checkpoint(os.path.join(out, name, "checkpoints"))
        served = tf.saved_model.load(info["export"]).signatures["rank"](**_request(tables))
        scores = served["scores"].numpy()
        assert scores.shape == (2, 3) and scores[0, 2] == PADDED_SCORE
        assert served["ranked_video_ids"].numpy()[0, 2] == -1
    info = summary["baselines"]["rcpo"]
    assert sorted(info["lagrange"]) == sorted(info["constraint_levels"])
    assert all(v >= 0 for v in info["lagrange"].values())
    assert "lagrange/click" in info["final_losses"]
    assert "pareto_weight/watch_time" in summary["baselines"]["pareto"]["final_losses"]


def test_export_equals_the_checkpointed_actor(run):
    data_dir, tables, out, summary = run
    config = _config(3)
    lookup = FeatureLookup(tables)
    behavior = ActorNetwork.from_config(lookup, config.tscac.network, "behavior")
    levels = summary["baselines"]["rcpo"]["constraint_levels"]
    agent = training.build_baseline("rcpo", lookup, behavior, config, levels)
    initial = [v.numpy() for v in agent.actor_network.trainable_variables]
    checkpoint = tf.train.latest_checkpoint(os.path.join(out, "rcpo", "checkpoints"))
    tf.train.Checkpoint(agent=agent).restore(checkpoint).expect_partial()
    trained = agent.actor_network.trainable_variables
    assert any(not np.allclose(a, b) for a, b in zip(initial, trained, strict=True))
    request = _request(tables)
    served = tf.saved_model.load(summary["baselines"]["rcpo"]["export"]).signatures["rank"]
    module = RankModule(agent.actor_network)
    np.testing.assert_allclose(
        served(**request)["scores"],
        module.rank(**request)["scores"],
        rtol=1e-5,
        atol=1e-5,
    )


def test_unknown_baseline_names_are_rejected():
    with pytest.raises(ValueError, match=r"unknown baselines \['dqn'\]"):
        training.check_names(["bc", "dqn"])
    assert training.check_names(["pareto", "bc"]) == ("bc", "pareto")
