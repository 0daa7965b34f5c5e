"""Training throughput: each TSCAC stage's train step vs a plain Keras `fit` of the same networks.

    .venv/bin/python benchmarks/train_benchmark.py                       # default preset sizes
    .venv/bin/python benchmarks/train_benchmark.py --preset small --steps 40

For each stage (behaviour cloning, stage one, stage two), in one process and on the same
in-memory batches (fake transitions over the real KuaiRand-Pure tables, H and K of the
preset), it times:
  agent: the project's training loop, `Trainer.train_call` (a tf.function running
         `steps_per_call` agent train steps through `strategy.run`);
  keras: `Model.fit` of a Keras model made of networks of the same sizes as the stage's
         networks: the trainable ones fitted (the actors' softmax cross-entropy on the
         logged action, the critics' squared error on the reward), the frozen ones the
         agent also runs (behaviour model and target critic; in stage two the six
         stage-one actors) evaluated without gradients; the same optimiser, and
         `steps_per_execution` equal to the loop's steps per call. `ratio` = agent / this.
  keras, trainable only: the same without the frozen networks, for reference
         (`ratio_to_trainable_only`): it shows what the frozen forward passes cost.
Prints transitions/s and the ratios and writes benchmarks/results/train.json.
Target: every `ratio` >= 0.5.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import tempfile
import time

import tscac_tf  # noqa: F401  (TF_USE_LEGACY_KERAS before TensorFlow)

# isort: split
import results_file  # benchmarks/results_file.py (this script's directory is on sys.path)
import tensorflow as tf

from tscac_tf.agents.tscac import config as tscac_config
from tscac_tf.agents.tscac.tscac_training import build_agents
from tscac_tf.networks.actor_network import ActorNetwork
from tscac_tf.networks.feature_lookup import FeatureLookup
from tscac_tf.networks.value_network import ValueNetwork
from tscac_tf.testing import fake_transitions as ft
from tscac_tf.training.loop_config import LoopConfig
from tscac_tf.training.trainer import Trainer

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS = os.path.join(REPO, "benchmarks", "results", "train.json")


class _FitModel(tf.keras.Model):
    """A stage's networks as one Keras model: the trainable ones give the outputs that are
    fitted; the frozen ones (behaviour model, target critic, stage-one actors) are only
    evaluated, into one output with loss weight 0 so their forward pass is not pruned."""

    def __init__(self, actors, critic, frozen_actors, frozen_critic) -> None:
        super().__init__()
        self._actors, self._critic = actors, critic
        self._frozen_actors, self._frozen_critic = frozen_actors, frozen_critic
        for net in [*frozen_actors, *([frozen_critic] if frozen_critic else [])]:
            net.trainable = False

    def call(self, x):
        obs = x["observation"]
        out = {f"{n}_logits": a(obs)[0]["logits"] for n, a in self._actors.items()}
        if self._critic is not None:
            out.update({f"{n}_value": v for n, v in self._critic(obs)[0].items()})
        frozen = [tf.nn.softmax(a(obs)[0]["logits"])[:, 0] for a in self._frozen_actors]
        if self._frozen_critic is not None:
            frozen += list(self._frozen_critic(x["next_observation"])[0].values())
        out["frozen"] = tf.add_n(frozen) if frozen else tf.zeros_like(obs["user_id"], tf.float32)
        return out


def _fit_model(stage: str, lookup, config, with_frozen: bool):
    """(model, fitted actor names, fitted value names) with fresh networks of the stage's sizes."""
    net, aux = config.network, list(config.auxiliary_names)

    def actor(name):
        return ActorNetwork.from_config(lookup, net, f"fit_{name}_actor")

    def critic(names, name):
        shared = stage == "stage_one" and config.stage_one.shared_critic_trunk
        return ValueNetwork.from_config(lookup, net, names, shared, name=name)

    actors, values, frozen_actors = {
        "behavior": (["behavior"], [], []),
        "stage_one": (aux, aux, ["behavior"]),
        "stage_two": (["watch_time"], ["watch_time"], aux + ["behavior"]),
    }[stage]
    trained_critic = critic(values, f"fit_{stage}_critic") if values else None
    model = _FitModel(
        {n: actor(n) for n in actors},
        trained_critic,
        [actor(f"frozen_{n}") for n in frozen_actors] if with_frozen else [],
        critic(values, f"fit_{stage}_target") if values and with_frozen else None,
    )
    return model, actors, values


def time_keras(stage, lookup, config, dataset, steps, steps_per_call, with_frozen) -> float:
    model, actors, values = _fit_model(stage, lookup, config, with_frozen)

    def to_xy(batch):
        y = {f"{n}_logits": batch["action"] for n in actors}
        y.update({f"{n}_value": batch["reward"][n] for n in values})
        y["frozen"] = tf.zeros_like(batch["behavior_propensity"])
        x = {"observation": batch["observation"], "next_observation": batch["next_observation"]}
        return x, y

    losses = {f"{n}_logits": tf.keras.losses.SparseCategoricalCrossentropy(True) for n in actors}
    losses.update({f"{n}_value": "mse" for n in values})
    losses["frozen"] = "mse"
    model.compile(
        optimizer=config.behavior.optimizer.make(),
        loss=losses,
        loss_weights={name: 0.0 if name == "frozen" else 1.0 for name in losses},
        steps_per_execution=steps_per_call,
    )
    data = dataset.map(to_xy)
    model.fit(data, steps_per_epoch=steps_per_call, epochs=1, verbose=0)  # trace, warm up
    start = time.perf_counter()
    model.fit(data, steps_per_epoch=steps, epochs=1, verbose=0)
    return steps * config.batch_size / (time.perf_counter() - start)


def time_agent(agent, dataset, steps, steps_per_call, batch_size) -> float:
    loop = LoopConfig(steps_per_call=steps_per_call)
    trainer = Trainer(agent, dataset, tempfile.mkdtemp(), loop, name="benchmark")
    trainer.train_call(steps_per_call)  # trace, warm up
    start = time.perf_counter()
    for _ in range(steps // steps_per_call):
        trainer.train_call(steps_per_call)
    return steps * batch_size / (time.perf_counter() - start)


def _fake_data(config, sessions: int, batch_size: int):
    """(tables, a cached, repeated dataset of fake transitions with the preset's H and K)."""
    net = config.network
    fake = ft.FakeTransitionsConfig(
        num_users=2000,
        num_videos=3000,
        num_sessions=sessions,
        history_length=net.history_length,
        num_candidates=net.num_candidates,
    )
    tables = ft.fake_feature_tables(fake.num_users, fake.num_videos)
    dataset = ft.fake_transitions_dataset(tables, fake, batch_size, shuffle=False)
    return tables, dataset.cache().repeat().prefetch(tf.data.AUTOTUNE)


def _report(args, config, results: dict) -> dict:
    return {
        "benchmark": "train",
        "args": vars(args),
        "network": dataclasses.asdict(config.network),
        "stages": results,
        "target_ratio": 0.5,
        "meets_target": all(r["ratio"] >= 0.5 for r in results.values()),
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "tensorflow": tf.__version__,
            "devices": [d.name for d in tf.config.list_logical_devices()],
        },
    }


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="default", help="small, default or pure sizes.")
    parser.add_argument("--steps", type=int, default=40, help="Timed steps per stage.")
    parser.add_argument("--steps-per-call", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--sessions", type=int, default=1500, help="Fake sessions generated.")
    parser.add_argument("--output", default=RESULTS)
    args = parser.parse_args(argv)
    if args.steps % args.steps_per_call:
        parser.error("--steps must be a multiple of --steps-per-call")

    config = tscac_config.preset(args.preset, batch_size=args.batch_size)
    tables, dataset = _fake_data(config, args.sessions, args.batch_size)
    agents = build_agents(tables, config)
    lookup = FeatureLookup(tables)
    results = {}
    for stage in ("behavior", "stage_one", "stage_two"):
        agent_tps = time_agent(
            getattr(agents, stage), dataset, args.steps, args.steps_per_call, args.batch_size
        )
        timed = (args.steps, args.steps_per_call)
        keras_tps = time_keras(stage, lookup, config, dataset, *timed, with_frozen=True)
        trainable_tps = time_keras(stage, lookup, config, dataset, *timed, with_frozen=False)
        results[stage] = {
            "agent_transitions_per_s": round(agent_tps, 1),
            "keras_fit_transitions_per_s": round(keras_tps, 1),
            "ratio": round(agent_tps / keras_tps, 3),
            "keras_fit_trainable_only_transitions_per_s": round(trainable_tps, 1),
            "ratio_to_trainable_only": round(agent_tps / trainable_tps, 3),
        }
        print(
            f"{stage:10s} agent {agent_tps:8.1f}/s  keras fit {keras_tps:8.1f}/s  "
            f"ratio {agent_tps / keras_tps:.2f}x (target >= 0.5x)  |  keras fit of the "
            f"trainable networks only {trainable_tps:8.1f}/s  ratio {agent_tps / trainable_tps:.2f}x",
            flush=True,
        )
    report = _report(args, config, results)
    results_file.write(args.output, report)
    return report


if __name__ == "__main__":
    main()
