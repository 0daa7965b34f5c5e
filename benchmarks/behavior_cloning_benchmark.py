"""Behaviour cloning trained on every logged step vs on the retrieved steps only.

    .venv/bin/python benchmarks/behavior_cloning_benchmark.py --workdir WORKDIR [--steps 1500]

WORKDIR is a finished `tscac run` on a synthetic preset (it needs generate/ and
candidates/). Trains the behaviour model twice with the preset's settings, once on every
training step and once on the steps whose logged video retrieval ranked into C_t itself
(`TscacConfig.retrieved_steps_only`), and plays both in the world beside three
references: a uniformly random candidate, the first candidate, and the world's own
logging ranker (which produced the training logs). Also prints, for each BC model, the
mean per-request correlation between its candidate scores and the log of the true
expected watch time. Writes benchmarks/results/behavior_cloning.json.
"""

from __future__ import annotations

import argparse
import dataclasses
import glob
import os
import platform
import tempfile
import time

import numpy as np
import results_file  # benchmarks/results_file.py (this script's directory is on sys.path)

import tscac_tf  # noqa: F401  (Keras 2 before anything imports TensorFlow)
from tscac_tf.agents.tscac import config as tscac_config
from tscac_tf.agents.tscac import tscac_training
from tscac_tf.evaluation import ground_truth
from tscac_tf.evaluation.saved_model_policy import SavedModelPolicy
from tscac_tf.simulator.world import World

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _one_run(workdir: str, component: str) -> str:
    runs = sorted(glob.glob(os.path.join(workdir, component, "*", "_metadata.json")))
    if not runs:
        raise FileNotFoundError(f"{workdir}/{component}: no finished run")
    return os.path.dirname(runs[-1])


def _train_behavior(data_dir, out_dir, preset, steps, retrieved_only) -> tuple[str, float]:
    config = tscac_config.preset(preset, retrieved_steps_only=retrieved_only)
    config = dataclasses.replace(
        config,
        behavior=dataclasses.replace(config.behavior, num_steps=steps),
        stage_one=dataclasses.replace(config.stage_one, num_steps=0),
        stage_two=dataclasses.replace(config.stage_two, num_steps=0),
    )
    start = time.monotonic()
    summary = tscac_training.train_tscac(data_dir, out_dir, config)
    return summary["behavior_export"], time.monotonic() - start


def _score_correlation(world, policy: SavedModelPolicy, store: list):
    """A with-state policy_fn that plays `policy` greedily and records score/value corr."""

    def play(observation, state):
        scores = policy.scores(observation)
        ids = observation["candidate_video_ids"]
        raw = world.expected_raw(state, np.arange(len(state.user)), world._video_index(ids, state))
        log_watch = np.log(raw["watch_time"])
        for s, w in zip(scores[:8], log_watch[:8], strict=True):
            if s.std() > 0 and w.std() > 0:
                store.append(float(np.corrcoef(s, w)[0, 1]))
        return np.argmax(scores, axis=1).astype(np.int64)

    return play


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--preset", default="default")
    parser.add_argument("--steps", type=int, default=1500, help="BC training steps.")
    parser.add_argument("--users", type=int, default=400)
    args = parser.parse_args(argv)

    world = World.from_json(os.path.join(_one_run(args.workdir, "generate"), "world.json"))
    data_dir = _one_run(args.workdir, "candidates")
    config = ground_truth.GroundTruthConfig(num_users=args.users, num_sessions=2)
    users = ground_truth.held_out_users(world, config)
    results, correlations, seconds = {}, {}, {}
    with tempfile.TemporaryDirectory(prefix="bc_benchmark_") as tmp:
        for name, retrieved_only in (("bc_all_steps", False), ("bc_retrieved_steps", True)):
            export, seconds[name] = _train_behavior(
                data_dir, os.path.join(tmp, name), args.preset, args.steps, retrieved_only
            )
            policy = SavedModelPolicy(export)
            store: list = []
            results[name] = _play(
                world, _score_correlation(world, policy, store), users, config, True
            )
            correlations[name] = float(np.mean(store))
    rng = np.random.default_rng(0)
    references = {
        "random_candidate": (lambda o: rng.integers(0, o["candidate_video_ids"].shape[1], len(o["user_id"])), False),
        "first_candidate": (lambda o: np.zeros(len(o["user_id"]), np.int64), False),
    }  # fmt: skip
    for name, (fn, with_state) in references.items():
        results[name] = _play(world, fn, users, config, with_state)
    results["logging_ranker"] = _play_logging(world, users, config)
    payload = {
        "workdir": args.workdir,
        "preset": args.preset,
        "bc_steps": args.steps,
        "protocol": f"{len(users)} users x {config.num_sessions} sessions x seeds {list(config.seeds)}",
        "per_session": results,
        "score_vs_log_true_watch_time_correlation": correlations,
        "train_seconds": seconds,
        "machine": {"cpus": os.cpu_count(), "load_average_1m": os.getloadavg()[0],
                    "platform": platform.platform()},
    }  # fmt: skip
    for name, values in results.items():
        extra = f"  corr {correlations[name]:+.3f}" if name in correlations else ""
        print(f"{name:<20} watch {values['watch_time']:7.1f} s/session  click {values['click']:.3f}"
              f"  like {values['like']:.4f}  depth {values['depth']:.2f}{extra}")  # fmt: skip
    path = os.path.join(REPO, "benchmarks", "results", "behavior_cloning.json")
    results_file.write(path, payload)
    return 0


def _play(world, policy_fn, users, config, with_state) -> dict[str, float]:
    """Mean per-session metrics pooled over the config's seeds."""
    per_seed = [
        world.rollout(policy_fn, users, seed, num_sessions=config.num_sessions, with_state=with_state)
        for seed in config.seeds
    ]  # fmt: skip
    return _pooled(per_seed)


def _play_logging(world, users, config) -> dict[str, float]:
    per_seed = [
        world.rollout(world.behavior_policy_fn(seed), users, seed,
                      num_sessions=config.num_sessions, with_state=True)
        for seed in config.seeds
    ]  # fmt: skip
    return _pooled(per_seed)


def _pooled(results) -> dict[str, float]:
    metrics = [ground_truth.raw_session_metrics(r) for r in results]
    return {m: float(np.mean(np.concatenate([x[m] for x in metrics]))) for m in metrics[0]}


if __name__ == "__main__":
    raise SystemExit(main())
