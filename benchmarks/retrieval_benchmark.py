"""Retrieval speed and quality: index latency at KuaiRand-Pure size, training, candidates step.

    .venv/bin/python benchmarks/retrieval_benchmark.py                  # fake world
    .venv/bin/python benchmarks/retrieval_benchmark.py --data-dir DIR   # an ExampleGen dir
    # the synthetic world: tscac generate --preset default --out W && tscac preprocess
    #   --data-dir W --out DIR, then --data-dir DIR --data-label "generate default, seed 0"
    .venv/bin/python benchmarks/retrieval_benchmark.py --preset small --skip-index

Measures, in one process:
  index: a `pure`-preset RetrievalIndex over the real KuaiRand-Pure tables (27,285 users,
    7,583 videos; towers untrained, which does not change the cost): export seconds and
    size, then top-100 latency at batch 1 (median of 200 calls) and queries/s at batch 256
    and 4,096 with H = 20, in memory and through the loaded SavedModel;
  train: `trainer.train` on the data (the fake world of tscac_tf/testing/fake_sessions.py
    scaled up, unless --data-dir): seconds and positives/s per epoch after the first;
  evaluate: recall@10/50/100 and NDCG@50 of the model, popularity and random;
  candidates: the Beam step on the DirectRunner: steps/s and the share of inserted steps.
Prints the figures and writes benchmarks/results/retrieval.json.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import tempfile
import time

import tscac_tf  # noqa: F401  (TF_USE_LEGACY_KERAS before TensorFlow)

# isort: split
import numpy as np
import results_file  # benchmarks/results_file.py (this script's directory is on sys.path)
import tensorflow as tf

from beam_pipelines.candidates import pipeline
from tscac_tf.features.feature_tables import FeatureTables
from tscac_tf.retrieval import config, evaluation, retrieval_index, trainer
from tscac_tf.testing import fake_retrieval_model, fake_sessions

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS = os.path.join(REPO, "benchmarks", "results", "retrieval.json")
PURE = os.path.join(REPO, "tscac_tf", "datasets", "kuairand_pure")
BENCH_WORLD = fake_sessions.FakeWorld(
    num_users=600, num_videos=3000, num_tags=30, train_sessions=8, eval_sessions=3
)


def _queries(tables: FeatureTables, batch: int, rng: np.random.Generator, history: int = 20):
    users = rng.choice(tables.user_ids[1:], batch)
    videos = rng.choice(tables.video_ids[1:], (batch, history))
    lengths = rng.integers(0, history + 1, batch)
    pad = np.arange(history)[None, :] >= lengths[:, None]
    play = rng.integers(500, 60_000, (batch, history))
    return users, np.where(pad, -1, videos), np.where(pad, 0, play)


def _queries_per_second(top_k, queries, repeats: int) -> float:
    top_k(*queries, np.int32(100))  # trace / warm up
    start = time.perf_counter()
    for _ in range(repeats):
        top_k(*queries, np.int32(100))["video_ids"].numpy()
    return repeats * len(queries[0]) / (time.perf_counter() - start)


def bench_index(workdir: str) -> dict:
    tables = FeatureTables.from_csv(
        os.path.join(PURE, "user_features_pure.csv"),
        os.path.join(PURE, "video_features_basic_pure.csv"),
    )
    index = fake_retrieval_model.untrained_index(tables, config.preset("pure"))
    start = time.perf_counter()
    path = index.export(os.path.join(workdir, "pure_index"))
    export_s = time.perf_counter() - start
    size = sum(os.path.getsize(os.path.join(d, f)) for d, _, files in os.walk(path) for f in files)
    loaded = retrieval_index.load(path)
    rng = np.random.default_rng(0)
    out = {
        "users": len(tables.user_ids) - 1,
        "videos": index.num_videos,
        "export_seconds": round(export_s, 2),
        "saved_model_mb": round(size / 2**20, 2),
    }
    for name, model in (("in_memory", index), ("saved_model", loaded)):
        single = _queries(tables, 1, rng)
        model.top_k(*single, np.int32(100))
        times = []
        for _ in range(200):
            t = time.perf_counter()
            model.top_k(*single, np.int32(100))["video_ids"].numpy()
            times.append(time.perf_counter() - t)
        out[f"{name}_batch1_median_ms"] = round(1000 * float(np.median(times)), 3)
        for batch, repeats in ((256, 40), (4096, 5)):
            qps = _queries_per_second(model.top_k, _queries(tables, batch, rng), repeats)
            out[f"{name}_batch{batch}_queries_per_s"] = round(qps)
    return out


def bench_pipeline(data_dir: str, workdir: str, cfg: config.RetrievalConfig) -> dict:
    model_dir = os.path.join(workdir, "model")
    start = time.perf_counter()
    trained = trainer.train(data_dir, model_dir, cfg)
    train_s = time.perf_counter() - start
    start = time.perf_counter()
    metrics = evaluation.evaluate_model_dir(
        data_dir, model_dir, os.path.join(workdir, "evaluation.json")
    )
    eval_s = time.perf_counter() - start
    start = time.perf_counter()
    counters = pipeline.run(
        [f"--data_dir={data_dir}", f"--model_dir={model_dir}", f"--output_dir={workdir}/out"]
    )
    candidates_s = time.perf_counter() - start
    return {
        "train": {**trained, "wall_seconds": round(train_s, 2)},
        "evaluate": {**metrics, "wall_seconds": round(eval_s, 2)},
        "candidates": {
            **counters,
            "wall_seconds": round(candidates_s, 2),
            "steps_per_s": round(counters["steps"] / candidates_s),
            "inserted_share": round(counters["logged_video_inserted"] / counters["steps"], 4),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", help="ExampleGen output (default: the scaled fake world).")
    parser.add_argument("--data-label", help="What --data-dir holds (recorded in the JSON).")
    parser.add_argument("--preset", default="default", help="Retrieval preset for training.")
    parser.add_argument("--epochs", type=int, help="Override the preset's epochs.")
    parser.add_argument("--skip-index", action="store_true", help="Skip the Pure-size index.")
    parser.add_argument("--out", default=RESULTS)
    args = parser.parse_args()
    cfg = config.preset(args.preset)
    if args.epochs:
        cfg = dataclasses.replace(
            cfg, training=dataclasses.replace(cfg.training, epochs=args.epochs)
        )
    summary = {
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count()},
        "tensorflow": tf.__version__,
        "preset": args.preset,
    }
    with tempfile.TemporaryDirectory() as workdir:
        if not args.skip_index:
            summary["index"] = bench_index(workdir)
            print(json.dumps(summary["index"], indent=1))
        data_dir = args.data_dir
        if data_dir is None:
            data_dir = os.path.join(workdir, "data")
            fake_sessions.write_fake_sessions(data_dir, BENCH_WORLD)
            summary["data"] = {"fake_world": dataclasses.asdict(BENCH_WORLD)}
        else:
            summary["data"] = {"data_dir": os.path.abspath(data_dir), "label": args.data_label}
        summary.update(bench_pipeline(data_dir, workdir, cfg))
    print(json.dumps({k: summary[k] for k in ("train", "candidates")}, indent=1))
    print(json.dumps(summary["evaluate"]["methods"], indent=1))
    results_file.write(args.out, summary, indent=2, sort_keys=True)


if __name__ == "__main__":
    main()
