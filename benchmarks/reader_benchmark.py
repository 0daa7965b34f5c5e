"""The training reader's cost per batch, with and without the in-memory cache.

    .venv/bin/python benchmarks/reader_benchmark.py --data WORKDIR/candidates/<run>

DATA is a retrieval candidates-step output (what `tscac train` reads). For each setting it
builds the training reader (`tscac_training.reader_dataset`, the default preset's H, K, B
and `retrieved_steps_only`), reads one epoch (which fills the cache when there is one),
then times the next `--batches` batches: wall-clock batches/s and this process's CPU time
per batch (all threads). The CPU time is what the reader takes away from the train step
on a machine whose cores are all busy training. Writes benchmarks/results/reader.json.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import time

import tscac_tf  # noqa: F401  (TF_USE_LEGACY_KERAS before TensorFlow)

# isort: split
import results_file  # benchmarks/results_file.py (this script's directory is on sys.path)
import tensorflow as tf

from tscac_tf.agents.tscac import config as tscac_config
from tscac_tf.agents.tscac import tscac_training
from tscac_tf.data import reader

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS = os.path.join(REPO, "benchmarks", "results", "reader.json")


def _cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


def time_reader(data_dir: str, config, batches: int) -> dict:
    iterator = iter(tscac_training.reader_dataset(data_dir, config))
    transitions = sum(1 for _ in reader.transitions_dataset(
        data_dir, "train", 1024, config.network.history_length, config.network.num_candidates,
        shuffle=False, retrieved_steps_only=config.retrieved_steps_only,
    ).unbatch())  # fmt: skip
    epoch = transitions // config.batch_size + 1
    for _ in range(epoch):  # the first epoch: fills the cache when there is one
        next(iterator)
    wall, cpu = time.perf_counter(), _cpu_seconds()
    for _ in range(batches):
        next(iterator)
    wall, cpu = time.perf_counter() - wall, _cpu_seconds() - cpu
    return {
        "transitions_per_epoch": transitions,
        "batches_per_s": round(batches / wall, 1),
        "cpu_ms_per_batch": round(1000 * cpu / batches, 1),
    }


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="A candidates-step output directory.")
    parser.add_argument("--preset", default="default")
    parser.add_argument("--batches", type=int, default=600, help="Timed batches per setting.")
    parser.add_argument("--output", default=RESULTS)
    args = parser.parse_args(argv)

    config = tscac_config.preset(args.preset)
    k = tscac_training.infer_num_candidates(args.data)
    config = dataclasses.replace(
        config, network=dataclasses.replace(config.network, num_candidates=k)
    )
    results = {}
    for cached in (False, True):
        setting = "cached" if cached else "uncached"
        results[setting] = time_reader(
            args.data, dataclasses.replace(config, cache_training_data=cached), args.batches
        )
        r = results[setting]
        print(f"{setting:9s} {r['batches_per_s']:7.1f} batches/s  {r['cpu_ms_per_batch']:6.1f} "
              f"CPU-ms/batch (B={config.batch_size}, after one epoch)", flush=True)  # fmt: skip
    report = {
        "benchmark": "reader",
        "args": vars(args),
        "batch_size": config.batch_size,
        "results": results,
        "cpu_saved_per_batch_ms": round(
            results["uncached"]["cpu_ms_per_batch"] - results["cached"]["cpu_ms_per_batch"], 1
        ),
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "tensorflow": tf.__version__,
        },  # fmt: skip
    }
    results_file.write(args.output, report)
    return report


if __name__ == "__main__":
    main()
