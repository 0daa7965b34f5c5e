"""Tests of the training loop: resume after a kill, summaries, NaN detection, MirroredStrategy."""

import tscac_tf  # noqa: F401  (first: pins Keras 2 before TensorFlow loads)

# isort: split

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import tensorflow as tf
from tf_agents.agents import tf_agent

from tscac_tf.agents.behavior_cloning.behavior_cloning_agent import BehaviorCloningAgent
from tscac_tf.agents.tscac import config as tscac_config
from tscac_tf.networks.actor_network import ActorNetwork
from tscac_tf.networks.feature_lookup import FeatureLookup
from tscac_tf.testing import fake_transitions as ft
from tscac_tf.training import trainer as trainer_lib
from tscac_tf.training.loop_config import LoopConfig

FAKE = ft.FakeTransitionsConfig(num_sessions=40)
LOOP = LoopConfig(steps_per_call=2, checkpoint_every=4, summary_every=2, log_every=2)


@pytest.fixture(scope="module")
def tables():
    return ft.fake_feature_tables(FAKE.num_users, FAKE.num_videos)


def _agent(tables):
    config = tscac_config.preset("small")
    actor = ActorNetwork.from_config(FeatureLookup(tables), config.network, "behavior_actor")
    return BehaviorCloningAgent(actor, config.behavior)


def _slots(agent):
    optimizer = agent.optimizer_variables()[0][0]
    return [
        optimizer.get_slot(v, name).numpy()
        for v in agent.actor_network.trainable_variables
        for name in ("m", "v")
    ]


def test_a_new_trainer_resumes_step_weights_and_optimizer_slots(tmp_path, tables):
    dataset = ft.fake_transitions_dataset(tables, FAKE, batch_size=16)
    first = _agent(tables)
    trainer = trainer_lib.Trainer(first, dataset, str(tmp_path), LOOP, name="bc")
    assert trainer.restored_from is None
    losses = trainer.run(6)
    assert trainer.step == 6 and np.isfinite(losses["loss"]) and "top1_accuracy" in losses
    saved = sorted(os.listdir(tmp_path / trainer_lib.CHECKPOINT_SUBDIR))
    assert any(name.startswith("ckpt-4.") for name in saved)  # crossed 4
    assert any(name.startswith("ckpt-6.") for name in saved)  # the end of the run
    weights, slots = [v.numpy() for v in first.actor_network.trainable_variables], _slots(first)
    assert any(np.abs(s).max() > 0 for s in slots)  # Adam moments exist and are not zero

    # "Killed": the first trainer is abandoned. A fresh agent and trainer on the same dir:
    second = _agent(tables)
    resumed = trainer_lib.Trainer(second, dataset, str(tmp_path), LOOP, name="bc")
    assert resumed.restored_from.endswith("ckpt-6") and resumed.step == 6
    for old, new in zip(weights, second.actor_network.trainable_variables, strict=True):
        np.testing.assert_array_equal(old, new)
    for old, new in zip(slots, _slots(second), strict=True):
        np.testing.assert_array_equal(old, new)
    assert resumed.run(6) == {}  # nothing left to do
    assert resumed.run(9)["loss"] > 0 and resumed.step == 9


def test_summaries_have_one_scalar_per_loss_term(tmp_path, tables):
    dataset = ft.fake_transitions_dataset(tables, FAKE, batch_size=16)
    trainer_lib.Trainer(_agent(tables), dataset, str(tmp_path), LOOP, name="bc").run(4)
    tags = set()
    for path in tf.io.gfile.glob(str(tmp_path / trainer_lib.SUMMARY_SUBDIR / "*")):
        for record in tf.compat.v1.train.summary_iterator(path):
            tags.update(v.tag for v in record.summary.value)
    assert {"bc/loss", "bc/cross_entropy", "bc/top1_accuracy", "bc/grad_norm"} <= tags


def test_flatten_losses_joins_nested_names():
    info = tf_agent.LossInfo(
        loss=tf.constant(1.0), extra={"critic_loss": {"click": 2.0, "hate": 3.0}, "ess": 0.5}
    )
    assert trainer_lib.flatten_losses(info) == {
        "loss": info.loss,
        "critic_loss/click": 2.0,
        "critic_loss/hate": 3.0,
        "ess": 0.5,
    }


class _NanAgent(tf.Module):
    """The smallest agent the loop accepts; its loss turns NaN at step 3."""

    def __init__(self):
        super().__init__()
        self.train_step_counter = tf.Variable(0, dtype=tf.int64)
        self.weight = tf.Variable(1.0)

    def initialize(self):
        """Nothing to set up: the loop only calls it."""

    def train(self, experience):
        self.train_step_counter.assign_add(1)
        bad = tf.cast(self.train_step_counter >= 3, tf.float32)
        loss = self.weight * tf.reduce_mean(experience) / (1.0 - bad)  # 0/0 at step 3
        return tf_agent.LossInfo(loss=loss, extra={})


def test_a_nan_loss_stops_the_run_and_names_the_step(tmp_path):
    dataset = tf.data.Dataset.from_tensor_slices(tf.zeros([8, 2]))
    trainer = trainer_lib.Trainer(_NanAgent(), dataset, str(tmp_path), LoopConfig(steps_per_call=1))
    with pytest.raises(FloatingPointError, match="at step 3"):
        trainer.run(5)


_MIRRORED_SCRIPT = textwrap.dedent(
    """
    import json, sys, tempfile
    import tscac_tf
    import numpy as np, tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    from tscac_tf.agents.behavior_cloning.behavior_cloning_agent import BehaviorCloningAgent
    from tscac_tf.agents.tscac import config as tscac_config
    from tscac_tf.networks.actor_network import ActorNetwork
    from tscac_tf.networks.feature_lookup import FeatureLookup
    from tscac_tf.networks.target_network import make_target, target_updater
    from tscac_tf.networks.value_network import ValueNetwork
    from tscac_tf.testing import fake_transitions as ft
    from tscac_tf.training.loop_config import LoopConfig
    from tscac_tf.training.trainer import Trainer

    fake = ft.FakeTransitionsConfig(num_sessions=40)
    tables = ft.fake_feature_tables(fake.num_users, fake.num_videos)
    config = tscac_config.preset("small")
    dataset = ft.fake_transitions_dataset(tables, fake, batch_size=16, shuffle=False)
    loop = LoopConfig(steps_per_call=1)

    def trained(strategy, init=None):
        with strategy.scope():
            actor = ActorNetwork.from_config(FeatureLookup(tables), config.network, "bc")
            agent = BehaviorCloningAgent(actor, config.behavior)
            # Plain SGD, not the preset's Adam: Adam normalises each gradient by its own
            # size, so it would hide a replica sum that is off by a factor of 2, and it
            # turns float-rounding noise in a near-zero gradient into an update of up to
            # the learning rate. With SGD the weights are linear in the summed gradient.
            agent._optimizer = tf.keras.optimizers.legacy.SGD(learning_rate=0.05)
            if init is not None:
                for v, w in zip(actor.trainable_variables, init):
                    v.assign(w)
        init = [v.numpy() for v in actor.trainable_variables]
        trainer = Trainer(agent, dataset, tempfile.mkdtemp(), loop, strategy, name="bc")
        losses = trainer.run(3)
        return agent, init, [v.numpy() for v in actor.trainable_variables], losses, trainer.step

    _, init, default_weights, _, _ = trained(tf.distribute.get_strategy())
    mirrored = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    agent, _, mirrored_weights, losses, step = trained(mirrored, init)
    gap = max(float(np.abs(a - b).max()) for a, b in zip(default_weights, mirrored_weights))
    moved = max(float(np.abs(a - b).max()) for a, b in zip(default_weights, init))

    # A soft target update called inside strategy.run (replica context) under Mirrored.
    with mirrored.scope():
        critic = ValueNetwork.from_config(FeatureLookup(tables), config.network, ["click"])
        target = make_target(critic, "target")
        update = target_updater(critic, target, tau=0.5, period=1)
    for v in critic.trainable_variables:
        v.assign(v + 1.0)

    def in_replica():
        update()
        return tf.constant(0)

    tf.function(lambda: mirrored.run(in_replica))()
    target_moved = [float(np.mean(t.numpy() - (c.numpy() - 1.0))) for c, t in
                    zip(critic.trainable_variables, target.trainable_variables)]
    print("RESULT " + json.dumps({
        "replicas": mirrored.num_replicas_in_sync, "step": step, "loss": losses["loss"],
        "max_weight_gap": gap, "max_weight_move": moved, "target_moved": target_moved,
        "variable_type": type(agent.actor_network.trainable_variables[0]).__name__,
    }))
    """
)


def test_mirrored_strategy_over_two_cpus_matches_the_default_strategy(tmp_path):
    # Logical devices must exist before TensorFlow initialises: a fresh process.
    script = tmp_path / "mirrored.py"
    script.write_text(_MIRRORED_SCRIPT)
    env = dict(os.environ, TF_USE_LEGACY_KERAS="1", CUDA_VISIBLE_DEVICES="")
    done = subprocess.run(
        [sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=600
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert done.returncode == 0 and lines, done.stderr[-3000:]
    result = json.loads(lines[-1][len("RESULT ") :])
    assert result["replicas"] == 2 and result["step"] == 3 and np.isfinite(result["loss"])
    assert result["variable_type"] == "MirroredVariable"
    # The same 3 batches split over 2 replicas give the same weights as on one device:
    # each replica's gradient is scaled by 1/2 before the optimiser sums them. A sum off
    # by a factor of 2 would put the gap at the size of the move itself.
    assert result["max_weight_move"] > 1e-3
    assert result["max_weight_gap"] < 1e-3 * result["max_weight_move"]
    np.testing.assert_allclose(result["target_moved"], 0.5, atol=1e-5)
