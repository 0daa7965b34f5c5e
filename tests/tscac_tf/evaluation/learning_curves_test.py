import os

import tensorflow as tf

from tscac_tf.evaluation import learning_curves


def _write(summary_dir, tag, points):
    writer = tf.summary.create_file_writer(summary_dir)
    with writer.as_default():
        for step, value in points:
            tf.summary.scalar(tag, value, step=step)
    writer.close()


def test_read_curves_keeps_loss_terms_per_stage_in_step_order(tmp_path):
    run = tmp_path / "train"
    stage_two = str(run / "stage_two" / "summaries")
    _write(stage_two, "stage_two/critic_loss/watch_time", [(200, 3.0), (100, 5.0)])
    _write(stage_two, "stage_two/actor_loss/watch_time", [(100, -0.5), (200, -0.25)])
    _write(stage_two, "stage_two/loss", [(100, 4.5), (200, 2.75)])
    _write(stage_two, "stage_two/grad_norm_actor", [(100, 9.0)])
    _write(str(run / "behavior" / "summaries"), "behavior/cross_entropy", [(50, 2.5)])
    os.makedirs(run / "stage_one" / "summaries")  # a stage with no scalars yet

    curves = learning_curves.read_curves([str(run)])

    assert set(curves) == {"behavior", "stage_two"}
    assert curves["behavior"] == {"cross_entropy": [(50, 2.5)]}
    # The total `loss` repeats its terms and gradient norms are not losses: both left out.
    assert curves["stage_two"] == {
        "actor_loss/watch_time": [(100, -0.5), (200, -0.25)],
        "critic_loss/watch_time": [(100, 5.0), (200, 3.0)],
    }


def test_a_resumed_run_replaces_the_repeated_steps(tmp_path):
    summaries = str(tmp_path / "train" / "behavior" / "summaries")
    _write(summaries, "behavior/cross_entropy", [(100, 3.0), (200, 2.5)])
    _write(summaries, "behavior/cross_entropy", [(200, 2.25), (300, 2.0)])

    scalars = learning_curves.read_scalars(summaries)

    assert scalars["behavior/cross_entropy"] == [(100, 3.0), (200, 2.25), (300, 2.0)]


def test_several_run_dirs_are_told_apart(tmp_path):
    for name in ("train", "rcpo"):
        _write(str(tmp_path / name / "agent" / "summaries"), "agent/actor_loss/x", [(1, 1.0)])

    curves = learning_curves.read_curves([str(tmp_path / "train"), str(tmp_path / "rcpo")])

    assert set(curves) == {"train/agent", "rcpo/agent"}
