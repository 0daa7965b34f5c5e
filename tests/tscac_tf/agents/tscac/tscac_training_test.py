"""Tests of the TSCAC run's assembly (the run itself is tests/tscac_tf/cli/train_test.py)."""

import tscac_tf  # noqa: F401  (first: pins Keras 2 before TensorFlow loads)

# isort: split

import concurrent.futures
import dataclasses
import json
import logging
import os
import shutil
import types

import numpy as np
import pytest
import tensorflow as tf

from tscac_tf.agents.tscac import tscac_training
from tscac_tf.networks.actor_network import PADDED_SCORE
from tscac_tf.testing import fake_transitions as ft


def test_infer_num_candidates(tmp_path):
    fake = ft.FakeTransitionsConfig(num_sessions=8, num_candidates=11)
    ft.write_fake_candidate_sessions(str(tmp_path), fake)
    assert tscac_training.infer_num_candidates(str(tmp_path)) == 11


def test_agents_share_the_tables_and_stage_two_uses_the_stage_one_actors(tables, config):
    agents = tscac_training.build_agents(tables, config)
    s1, s2 = agents.stage_one, agents.stage_two
    assert s2._auxiliary_actors == s1.actor_networks  # the same (frozen) objects
    assert s1._propensity.network is agents.behavior.actor_network
    lookups = {
        id(v)
        for net in (agents.behavior.actor_network, s2.actor_network, s1.value_network)
        for v in net.non_trainable_variables
    }
    assert len(lookups) == 9  # one FeatureLookup: nine table variables in total


def test_the_advantage_critic_is_built_on_request_and_checkpointed_with_stage_two(
    tables, config, tmp_path
):
    assert tscac_training.build_agents(tables, config).stage_two.advantage_network is None
    stage_two = dataclasses.replace(config.stage_two, advantage_critic=True)
    agents = tscac_training.build_agents(tables, dataclasses.replace(config, stage_two=stage_two))
    agent = agents.stage_two
    agent.initialize()
    critic = agent.advantage_network
    assert critic.name == "watch_time_advantage"
    assert not {id(v) for v in critic.trainable_variables} & {
        id(v) for v in agent.actor_network.trainable_variables
    }
    # what the trainer checkpoints (the agent) restores the critic and its Adam slots
    checkpoint = tf.train.Checkpoint(agent=agent)
    path = checkpoint.save(str(tmp_path / "ckpt"))
    saved = [v.numpy() for v in critic.trainable_variables]
    for v in critic.trainable_variables:
        v.assign_add(tf.ones_like(v))
    checkpoint.restore(path).assert_existing_objects_matched()
    for value, v in zip(saved, critic.trainable_variables, strict=True):
        np.testing.assert_array_equal(value, v.numpy())
    slots = {v.name for v in agent._advantage_optimizer.variables()}
    assert len(slots) > 1  # the iteration counter and the moments built at initialize()


class _FixedLogits:
    """An actor whose logits are `bonus` on the first candidate and 0 elsewhere, masked."""

    def __init__(self, bonus: float):
        self._bonus = bonus

    def __call__(self, observation):
        ids = observation["candidate_video_ids"]
        first = tf.one_hot(tf.zeros(tf.shape(ids)[:1], tf.int32), tf.shape(ids)[1])
        logits = tf.where(tf.equal(ids, -1), PADDED_SCORE, self._bonus * first)
        return {"logits": logits}, ()


def _heldout(directory, config, bonus):
    agent = types.SimpleNamespace(actor_network=_FixedLogits(bonus))
    return tscac_training.behavior_heldout(str(directory), agent, config)


def test_behaviour_heldout_fit_is_measured_against_a_uniform_choice(tmp_path, config, caplog):
    fake = ft.FakeTransitionsConfig(num_sessions=40, num_candidates=8, padded_share=0.5)
    ft.write_fake_candidate_sessions(str(tmp_path), fake)
    uniform = _heldout(tmp_path, config, 0.0)
    assert uniform["transitions"] > 0
    # A uniform π_β scores exactly the uniform cross-entropy, mean ln K_t over the valid
    # candidates, which padding makes smaller than ln K.
    assert uniform["cross_entropy"] == pytest.approx(uniform["uniform_cross_entropy"], abs=1e-5)
    assert 0 < uniform["uniform_cross_entropy"] < np.log(8)
    assert uniform["uniform_top1_accuracy"] > 1 / 8

    # A π_β sure of the first candidate is worse than uniform on the logged choices, and
    # says so.
    with caplog.at_level(logging.WARNING, logger=tscac_training.__name__):
        confident = _heldout(tmp_path, config, 5.0)
    assert confident["cross_entropy"] > confident["uniform_cross_entropy"] + 0.5
    assert "no better than a uniform choice" in caplog.text


def test_behaviour_heldout_fit_without_an_eval_split_is_none_and_logged(tmp_path, config, caplog):
    ft.write_fake_candidate_sessions(str(tmp_path), ft.FakeTransitionsConfig(num_sessions=8))
    shutil.rmtree(tmp_path / "eval")
    with caplog.at_level(logging.WARNING, logger=tscac_training.__name__):
        assert _heldout(tmp_path, config, 0.0) is None
    assert "no eval split" in caplog.text


def test_behaviour_model_is_the_kept_checkpoint_that_best_predicts_heldout_choices(
    tmp_path, tables, config, monkeypatch
):
    from tscac_tf.agents.baselines import training as baselines_training

    data = tmp_path / "data"
    ft.write_fake_candidate_sessions(str(data), ft.FakeTransitionsConfig(num_sessions=60))
    agent = tscac_training.build_agents(tables, config).behavior
    agent.initialize()
    stage_dir = tmp_path / "run" / "behavior"
    checkpoint = tf.train.Checkpoint(agent=agent, step=agent.train_step_counter)
    manager = tf.train.CheckpointManager(checkpoint, str(stage_dir / "checkpoints"), 3)
    variables = agent.actor_network.trainable_variables
    start = [v.numpy() for v in variables]
    scores, weights = {}, {}
    # Scaled copies of one network: the last, the most confident, predicts worst.
    for step, scale in ((10, 0.5), (20, 1.0), (30, 40.0)):
        for v, value in zip(variables, start, strict=True):
            v.assign(value * scale)
        agent.train_step_counter.assign(step)
        path = manager.save(checkpoint_number=step)
        scores[path] = tscac_training.behavior_heldout(str(data), agent, config)["cross_entropy"]
        weights[path] = [v.numpy() for v in variables]
    best = min(scores, key=scores.get)
    assert best != manager.latest_checkpoint

    selection = tscac_training.select_behavior_checkpoint(str(data), agent, str(stage_dir), config)
    assert selection["checkpoint"] == os.path.basename(best)
    assert selection["heldout"]["cross_entropy"] == pytest.approx(scores[best])
    assert selection["step"] == int(agent.train_step_counter.numpy())
    for v, value in zip(variables, weights[best], strict=True):
        np.testing.assert_array_equal(v.numpy(), value)
    # The baselines restore the same checkpoint from the run's directory ...
    assert baselines_training.behavior_checkpoint(str(tmp_path / "run")) == best
    # ... and a call given the checkpoints' scores (train_behavior's) does not score again.
    for v in variables:
        v.assign(tf.zeros_like(v))
    known = {os.path.basename(p): {"cross_entropy": ce, "step": 0} for p, ce in scores.items()}
    monkeypatch.setattr(tscac_training, "behavior_heldout", None)  # a call would fail
    again = tscac_training.select_behavior_checkpoint(
        str(data), agent, str(stage_dir), config, known
    )
    assert again["checkpoint"] == selection["checkpoint"]
    for v, value in zip(variables, weights[best], strict=True):
        np.testing.assert_array_equal(v.numpy(), value)


class _ScriptedHeldout:
    """behavior_heldout's stand-in: a fixed cross-entropy per training step; it records the
    steps it scored and the weights it saw, and fails at `fail_at`."""

    def __init__(self, curve: dict[int, float], fail_at: int | None = None):
        self.curve, self.fail_at = curve, fail_at
        self.steps, self.weights = [], {}

    def __call__(self, data_dir, agent, config, log=True, batches=None):
        step = int(agent.train_step_counter.numpy())
        if step == self.fail_at:
            raise RuntimeError(f"killed at step {step}")
        self.steps.append(step)
        self.weights[step] = [v.numpy() for v in agent.actor_network.trainable_variables]
        return {
            "transitions": 1,
            "cross_entropy": self.curve[step],
            "uniform_cross_entropy": 3.0,
            "top1_accuracy": 0.0,
            "uniform_top1_accuracy": 0.0,
        }


# Best at step 20; steps 30 and 40 do not beat it.
_CURVE = {10: 3.0, 20: 2.5, 30: 2.7, 40: 2.6, 50: 2.4, 60: 2.3}


def _behaviour_run(tables, config, dataset, data, stage_dir, **behaviour):
    behavior = dataclasses.replace(config.behavior, heldout_every=10, **behaviour)
    config = dataclasses.replace(config, behavior=behavior)
    agent = tscac_training.build_agents(tables, config).behavior
    return agent, tscac_training.train_behavior(agent, dataset, str(stage_dir), config, str(data))


@pytest.fixture()
def behaviour_data(tmp_path):
    data = tmp_path / "data"
    ft.write_fake_candidate_sessions(str(data), ft.FakeTransitionsConfig(num_sessions=8))
    return data


def test_behaviour_training_stops_after_patience_scorings_without_a_better_fit(
    tmp_path, tables, config, dataset, behaviour_data, monkeypatch
):
    stage_dir = tmp_path / "behavior"
    scripted = _ScriptedHeldout(_CURVE)
    monkeypatch.setattr(tscac_training, "behavior_heldout", scripted)
    agent, (info, selection) = _behaviour_run(
        tables, config, dataset, behaviour_data, stage_dir, num_steps=60, patience=2
    )
    assert scripted.steps == [10, 20, 30, 40]  # stopped before the later, better steps
    assert info["stopped_early_at"] == 40 and info["steps"] == 40
    assert info["heldout_curve"] == {"10": 3.0, "20": 2.5, "30": 2.7, "40": 2.6}
    assert info["selected"] == selection["checkpoint"] == "ckpt-20"
    assert selection["heldout"]["cross_entropy"] == 2.5
    # patience + 1 checkpoints are kept, so the best is one of them; its weights are restored
    assert sorted(selection["candidates"]) == ["ckpt-20", "ckpt-30", "ckpt-40"]
    for v, value in zip(agent.actor_network.trainable_variables, scripted.weights[20], strict=True):
        np.testing.assert_array_equal(v.numpy(), value)
    assert not np.allclose(scripted.weights[20][0], scripted.weights[40][0])

    # Started again, a run that stopped early trains no further, scores nothing and
    # rewrites none of its records (`tscac baselines --workers` start it in each worker).
    records = [stage_dir / tscac_training.SELECTION_FILE, stage_dir / tscac_training.HELDOUT_FILE]
    written = [os.stat(r).st_ino for r in records]
    monkeypatch.setattr(tscac_training, "behavior_heldout", _ScriptedHeldout({}))
    monkeypatch.setattr(tscac_training, "heldout_batches", None)  # nor reads the eval split
    again, (info2, selection2) = _behaviour_run(
        tables, config, dataset, behaviour_data, stage_dir, num_steps=60, patience=2
    )
    assert info2["steps"] == 40 and info2["stopped_early_at"] == 40
    assert selection2 == selection
    assert [os.stat(r).st_ino for r in records] == written
    for v, value in zip(again.actor_network.trainable_variables, scripted.weights[20], strict=True):
        np.testing.assert_array_equal(v.numpy(), value)


def test_records_written_by_processes_at_once_are_each_whole(tmp_path):
    path = str(tmp_path / "record.json")
    values = [{"writer": i, "scores": list(range(2000))} for i in range(4)]

    def write_many(value):
        for n in range(50):
            tscac_training._write_json(path, {**value, "n": n})

    with concurrent.futures.ThreadPoolExecutor(len(values)) as pool:
        list(pool.map(write_many, values))  # re-raises a writer's error
    assert json.loads(open(path).read())["n"] == 49
    assert os.listdir(tmp_path) == ["record.json"]  # no temporary file left


def test_behaviour_training_killed_part_way_resumes_with_the_scores_it_had(
    tmp_path, tables, config, dataset, behaviour_data, monkeypatch
):
    stage_dir = tmp_path / "behavior"
    killed = _ScriptedHeldout(_CURVE, fail_at=30)
    monkeypatch.setattr(tscac_training, "behavior_heldout", killed)
    with pytest.raises(RuntimeError, match="killed at step 30"):
        _behaviour_run(tables, config, dataset, behaviour_data, stage_dir, num_steps=60, patience=2)
    resumed = _ScriptedHeldout(_CURVE)
    monkeypatch.setattr(tscac_training, "behavior_heldout", resumed)
    _, (info, selection) = _behaviour_run(
        tables, config, dataset, behaviour_data, stage_dir, num_steps=60, patience=2
    )
    # step 30's checkpoint was saved but not scored: scored on resuming; 10 and 20 are not
    assert resumed.steps == [30, 40]
    assert info["stopped_early_at"] == 40 and selection["checkpoint"] == "ckpt-20"
    assert list(info["heldout_curve"]) == ["10", "20", "30", "40"]


def test_behaviour_training_without_patience_trains_every_step_and_keeps_every_scoring(
    tmp_path, tables, config, dataset, behaviour_data, monkeypatch
):
    stage_dir = tmp_path / "behavior"
    # A stale record from another run, with no checkpoint beside it, is not trusted.
    stage_dir.mkdir()
    (stage_dir / tscac_training.HELDOUT_FILE).write_text(
        json.dumps({"scores": {}, "stopped_early_at": 10})
    )
    scripted = _ScriptedHeldout({**_CURVE, 55: 2.45})
    monkeypatch.setattr(tscac_training, "behavior_heldout", scripted)
    _, (info, selection) = _behaviour_run(
        tables, config, dataset, behaviour_data, stage_dir, num_steps=55, patience=0
    )
    # every 10 steps and the last, unaligned one; no early stop although 30 and 40 are worse
    assert info["stopped_early_at"] is None and info["steps"] == 55
    assert scripted.steps == [10, 20, 30, 40, 50, 55] and len(selection["candidates"]) == 6
    assert selection["checkpoint"] == "ckpt-50"


def test_behaviour_training_without_an_eval_split_keeps_the_last_weights(
    tmp_path, tables, config, dataset, behaviour_data, monkeypatch, caplog
):
    shutil.rmtree(behaviour_data / "eval")
    monkeypatch.setattr(tscac_training, "behavior_heldout", None)  # a call would fail
    with caplog.at_level(logging.WARNING, logger=tscac_training.__name__):
        _, (info, selection) = _behaviour_run(
            tables, config, dataset, behaviour_data, tmp_path / "behavior", num_steps=30
        )
    assert selection is None and info == {"steps": 30, "final_losses": info["final_losses"]}
    assert info["final_losses"]["loss"] > 0
    assert "not chosen on held-out data" in caplog.text
