"""End to end: `tscac train` on candidate sessions -> checkpoints, summary, `rank` export."""

import tscac_tf  # noqa: F401  (first: pins Keras 2 before TensorFlow loads)

# isort: split

import json
import logging
import os
import re

import numpy as np
import pytest
import tensorflow as tf

from tscac_tf import cli
from tscac_tf.agents.tscac import config as tscac_config
from tscac_tf.agents.tscac import tscac_training
from tscac_tf.testing import fake_transitions as ft


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    directory = str(tmp_path_factory.mktemp("candidates"))
    ft.write_fake_candidate_sessions(directory, ft.FakeTransitionsConfig(num_sessions=60))
    return directory


def test_train_writes_every_stage_and_an_export_equal_to_the_trained_actor(
    data_dir, tmp_path, capsys
):
    out = str(tmp_path / "run")
    argv = ["train", "--data", data_dir, "--out", out, "--preset", "small", "--steps", "4"]
    assert cli.main(argv) == 0
    summary_path = capsys.readouterr().out.strip().splitlines()[-1]
    assert summary_path == os.path.join(out, tscac_training.SUMMARY_FILE)
    with open(summary_path) as f:
        summary = json.load(f)
    for stage in ("behavior", "stage_one", "stage_two"):
        assert summary["stages"][stage]["steps"] == 4
        losses = summary["stages"][stage]["final_losses"]
        assert losses and all(np.isfinite(v) for v in losses.values())
        assert tf.train.latest_checkpoint(os.path.join(out, stage, "checkpoints"))
        assert os.listdir(os.path.join(out, stage, "summaries"))
    assert "kl_to_auxiliary/click" in summary["stages"]["stage_two"]["final_losses"]
    # the default Â_1 is the TD error itself (StageTwoConfig.advantage_critic is off)
    assert "advantage_loss/watch_time" not in summary["stages"]["stage_two"]["final_losses"]
    assert summary["config"]["network"]["num_candidates"] == 8  # read from the data
    heldout = summary["behavior_heldout"]  # π_β scored on the eval split
    # π_β is the kept checkpoint that predicts held-out choices best
    selected = summary["stages"]["behavior"]["selected"]
    kept = tf.train.get_checkpoint_state(os.path.join(out, "behavior", "checkpoints"))
    assert selected in {os.path.basename(p) for p in kept.all_model_checkpoint_paths}
    # scored as it trained (once here: 4 steps, fewer than the small preset's interval)
    assert summary["stages"]["behavior"]["heldout_curve"] == {"4": heldout["cross_entropy"]}
    assert summary["stages"]["behavior"]["stopped_early_at"] is None
    assert heldout["transitions"] > 0
    assert 0 < heldout["uniform_cross_entropy"] <= np.log(8)
    assert np.isfinite(heldout["cross_entropy"])

    # The export is the trained stage-two actor: restore its checkpoint into fresh agents.
    config = tscac_config.preset("small")
    tables = ft.fake_feature_tables()
    agents = tscac_training.build_agents(tables, config)
    actor = agents.stage_two.actor_network
    initial = [v.numpy() for v in actor.trainable_variables]
    checkpoint = tf.train.latest_checkpoint(os.path.join(out, "stage_two", "checkpoints"))
    tf.train.Checkpoint(agent=agents.stage_two).restore(
        checkpoint
    ).assert_existing_objects_matched()
    assert any(
        not np.allclose(a, b) for a, b in zip(initial, actor.trainable_variables, strict=True)
    )
    users, videos = tables.user_ids, tables.video_ids
    request = {
        "user_id": tf.constant([users[1], 10**12], tf.int64),
        "history_video_ids": tf.constant([[videos[3], videos[4]], [-1, -1]], tf.int64),
        "history_play_time_ms": tf.constant([[20000, 500], [0, 0]], tf.int64),
        "candidate_video_ids": tf.constant(
            [[videos[5], videos[6], -1], [videos[7], 10**9, videos[8]]], tf.int64
        ),
    }
    served = tf.saved_model.load(summary["export"]).signatures["rank"](**request)
    module = tscac_training.RankModule(actor)
    np.testing.assert_allclose(
        served["scores"], module.rank(**request)["scores"], rtol=1e-5, atol=1e-5
    )
    assert np.all(np.isfinite(served["scores"].numpy()))
    # The TF-Agents export of the same policy sits beside it (its own test checks actions).
    policy_export = os.path.join(out, tscac_training.POLICY_EXPORT_SUBDIR)
    assert summary["policy_export"] == policy_export
    assert os.path.exists(os.path.join(policy_export, "saved_model.pb"))


def test_the_advantage_critic_and_dual_lambdas_train_and_resume_from_their_checkpoint(
    data_dir, tmp_path, capsys, caplog
):
    # Two stage-two options in one run (each `tscac train` costs seconds of tracing and
    # export): --advantage-critic, and --lambda-update dual, whose λ_i start at the
    # preset's and follow the constraints, with the training split's logged rates as
    # levels; the summary records both.
    out = str(tmp_path / "run")
    argv = ["train", "--data", data_dir, "--out", out, "--preset", "small", "--steps", "3",
            "--advantage-critic", "--lambda-update", "dual"]  # fmt: skip
    assert cli.main(argv) == 0
    with open(capsys.readouterr().out.strip().splitlines()[-1]) as f:
        summary = json.load(f)
    assert summary["config"]["stage_two"]["advantage_critic"] is True
    final = summary["stages"]["stage_two"]["final_losses"]
    assert np.isfinite(final["advantage_loss/watch_time"])
    config = tscac_config.preset("small")
    assert summary["config"]["stage_two"]["lagrange_update"] == "dual"
    record = summary["stage_two_lagranges"]
    assert sorted(record["levels"]) == sorted(config.auxiliary_names)
    assert 0 < record["levels"]["click"] <= 1 and record["levels"]["hate"] <= 0
    for name, lam in record["final"].items():
        assert lam >= config.stage_two.lagrange_floor
        assert final[f"lagrange/{name}"] == pytest.approx(lam)
        assert final[f"constraint_level/{name}"] == pytest.approx(record["levels"][name])
    assert record["final"] != config.lagranges  # three steps moved them
    # Started again with more stage-two steps, the run resumes stage two from step 3 and
    # leaves the finished stages alone. The restore asserts that every variable of the
    # agent is in the checkpoint: the advantage critic and its optimiser, λ_i and the
    # running sums of their estimates.
    caplog.set_level(logging.INFO)
    assert cli.main([*argv, "--stage-two-steps", "5"]) == 0
    assert re.search(r"stage_two: resumed from \S+ at step 3", caplog.text), caplog.text
    with open(capsys.readouterr().out.strip().splitlines()[-1]) as f:
        summary = json.load(f)
    assert summary["stages"]["stage_two"]["steps"] == 5
    assert summary["stages"]["stage_one"]["steps"] == 3
    assert summary["stage_two_lagranges"]["levels"] == pytest.approx(record["levels"])


def test_bad_flags_are_reported(data_dir, tmp_path, capsys):
    argv = ["train", "--data", data_dir, "--out", str(tmp_path), "--preset", "huge"]
    assert cli.main(argv) == 2
    assert "unknown preset 'huge'" in capsys.readouterr().err


def test_data_without_candidates_is_a_clear_error(tmp_path):
    from tscac_tf.testing.fake_sessions import write_fake_sessions

    write_fake_sessions(str(tmp_path))
    with pytest.raises(ValueError, match="no `candidate_video_ids`"):
        tscac_training.infer_num_candidates(str(tmp_path))
