"""`tscac baselines` on candidate sessions, reusing a TSCAC run's behaviour model."""

import tscac_tf  # noqa: F401  (first: pins Keras 2 before TensorFlow loads)

# isort: split

import json
import os

import numpy as np
import tensorflow as tf

from tscac_tf import cli
from tscac_tf.agents.baselines import config as baselines_config
from tscac_tf.agents.baselines import training
from tscac_tf.agents.behavior_cloning.behavior_cloning_agent import BehaviorCloningAgent
from tscac_tf.export.rank_export import RankModule
from tscac_tf.networks.actor_network import ActorNetwork
from tscac_tf.networks.feature_lookup import FeatureLookup
from tscac_tf.testing import fake_transitions as ft


def _tscac_behavior(tables, tscac_dir: str) -> ActorNetwork:
    """Writes TSCAC_OUT/behavior/checkpoints as `tscac train` does; returns its network."""
    config = baselines_config.preset("small").tscac
    actor = ActorNetwork.from_config(FeatureLookup(tables), config.network, "behavior_actor")
    agent = BehaviorCloningAgent(actor, config.behavior)
    agent.initialize()
    agent.train_step_counter.assign(7)
    checkpoint = tf.train.Checkpoint(agent=agent, step=agent.train_step_counter)
    directory = os.path.join(tscac_dir, "behavior", "checkpoints")
    tf.train.CheckpointManager(checkpoint, directory, 1).save(checkpoint_number=7)
    return actor


def test_baselines_reuse_the_tscac_behavior_model(tmp_path, capsys):
    data_dir, tscac_dir, out = (str(tmp_path / d) for d in ("data", "tscac", "out"))
    tables = ft.write_fake_candidate_sessions(data_dir, ft.FakeTransitionsConfig(num_sessions=40))
    behavior = _tscac_behavior(tables, tscac_dir)
    argv = ["baselines", "--data", data_dir, "--tscac-dir", tscac_dir, "--out", out]
    argv += ["--preset", "small", "--only", "deepfm,interaction_ac,bc", "--steps", "2"]
    assert cli.main(argv) == 0
    summary_path = capsys.readouterr().out.strip().splitlines()[-1]
    assert summary_path == os.path.join(out, training.SUMMARY_FILE)
    with open(summary_path) as f:
        summary = json.load(f)["baselines"]
    assert sorted(summary) == ["bc", "deepfm", "interaction_ac"]
    assert summary["bc"]["steps"] == 7 and summary["bc"]["restored_from"].startswith(tscac_dir)
    assert not os.path.exists(os.path.join(out, "bc", "checkpoints"))  # not trained again
    assert summary["interaction_ac"]["steps"] == 2
    assert all(np.isfinite(v) for v in summary["interaction_ac"]["final_losses"].values())
    videos = tables.video_ids
    request = {
        "user_id": tf.constant([tables.user_ids[2]], tf.int64),
        "history_video_ids": tf.constant([[videos[1]]], tf.int64),
        "history_play_time_ms": tf.constant([[9000]], tf.int64),
        "candidate_video_ids": tf.constant([[videos[2], videos[3], videos[4]]], tf.int64),
    }
    # the BC export is the TSCAC behaviour model itself
    served = tf.saved_model.load(summary["bc"]["export"]).signatures["rank"](**request)
    module = RankModule(behavior)
    np.testing.assert_allclose(
        served["scores"], module.rank(**request)["scores"], rtol=1e-5, atol=1e-5
    )
    for name in ("interaction_ac", "deepfm"):
        rank = tf.saved_model.load(summary[name]["export"]).signatures["rank"]
        assert np.all(np.isfinite(rank(**request)["scores"].numpy()))
    deepfm = summary["deepfm"]
    assert deepfm["steps"] == 2 and np.isfinite(deepfm["final_losses"]["loss"])
    grid = baselines_config.preset("small").response_model.interaction_weights
    assert deepfm["interaction_weight"] in grid
    assert sorted(deepfm["fusion_estimates"]) == sorted(str(w) for w in grid)
    assert deepfm["logged_rates"]["hate"] <= 0.0


def test_bad_flags_are_reported(tmp_path, capsys):
    argv = ["baselines", "--data", str(tmp_path), "--out", str(tmp_path), "--only", "bc,dqn"]
    assert cli.main(argv) == 2
    assert "unknown baselines ['dqn']" in capsys.readouterr().err
    argv = ["baselines", "--data", str(tmp_path), "--out", str(tmp_path), "--preset", "huge"]
    assert cli.main(argv) == 2
    assert "unknown preset 'huge'" in capsys.readouterr().err
