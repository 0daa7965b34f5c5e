"""The candidates step's retrieval: masking the shown videos in the index vs widening its top k.

    python benchmarks/candidates_benchmark.py --data-dir workdir/preprocess/<run> \
        --model-dir workdir/retrieval/<run> [--users 1000] [--repeats 2]

The candidates step (beam_pipelines/candidates) drops from each step's retrieval the
videos its user was shown before. Since session 16 its RunInference handler passes them
to the index's `top_k_excluding`, which masks them before a top k of K; an index exported
before `top_k_excluding` existed is asked for a top k widened by the most a step can drop,
and the shown videos are dropped afterwards. This script times the handler both ways, in
one process, on the same users (their sessions of both splits, as the step groups them):
steps per second, after one warm-up call each, best of --repeats; and checks that both ways
give the same candidates for every step. Figures go to benchmarks/results/candidates.json.
"""

from __future__ import annotations

import argparse
import os
import time

import tscac_tf  # noqa: F401  (Keras 2 before anything imports TensorFlow)

# isort: split
import numpy as np
import results_file  # benchmarks/results_file.py (this script's directory is on sys.path)
import tensorflow as tf

from beam_pipelines.candidates.retrieval_model_handler import (
    RetrievalModelHandler,
    most_shown,
)
from beam_pipelines.candidates.session_record import decode_session
from beam_pipelines.candidates.user_sessions import user_sessions
from tscac_tf.data import session_io
from tscac_tf.retrieval import model_dir
from tscac_tf.specs import session_schema as ss

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results", "candidates.json")


class _TopKOnly:
    """The loaded index as an older export sees it: `top_k` and nothing else."""

    def __init__(self, index):
        self._index = index

    def top_k(self, *args):
        return self._index.top_k(*args)


def read_users(data_dir: str, limit: int | None):
    """The first `limit` users' sessions of both splits, grouped as the candidates step does."""
    by_user = {}
    for split in (ss.TRAIN_SPLIT, ss.EVAL_SPLIT):
        files = session_io.session_files(data_dir, split)
        records = tf.data.TFRecordDataset(files, compression_type="GZIP").as_numpy_iterator()
        for raw in records:
            record = decode_session(raw)
            by_user.setdefault(record.context["user_id"], []).append((split, record))
    users = [user_sessions(pairs) for pairs in by_user.values()]
    return users[:limit] if limit else users


def best_rate(handler, users, model, repeats: int) -> tuple[float, list]:
    """(steps per second, best of `repeats`; the last run's results)."""
    handler.run_inference(users[:2], model)  # traces the model's functions
    steps, best, results = sum(u.num_steps for u in users), float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        results = handler.run_inference(users, model)
        best = min(best, time.perf_counter() - start)
    return steps / best, results


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", required=True, help="ExampleGen output (sessions).")
    parser.add_argument("--model-dir", required=True, help="`tscac retrieval train` output.")
    parser.add_argument("--users", type=int, help="Only the first N users (default: all).")
    parser.add_argument("--top-k", type=int, default=ss.DEFAULT_NUM_CANDIDATES)
    parser.add_argument("--history-length", type=int, default=ss.DEFAULT_HISTORY_LENGTH)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--output", default=RESULTS)
    args = parser.parse_args(argv)
    users = read_users(args.data_dir, args.users)
    handler = RetrievalModelHandler(
        model_dir.index_path(args.model_dir), args.history_length, args.top_k
    )
    index = handler.load_model()
    masked, masked_out = best_rate(handler, users, index, args.repeats)
    widened, widened_out = best_rate(handler, users, _TopKOnly(index), args.repeats)
    identical = all(
        np.array_equal(a, b)
        for x, y in zip(masked_out, widened_out, strict=True)
        for a, b in zip(x.inference, y.inference, strict=True)
    )
    widths = [max(1, most_shown(u)) for u in users]
    result = {
        "data_dir": os.path.abspath(args.data_dir),
        "model_dir": os.path.abspath(args.model_dir),
        "users": len(users),
        "steps": sum(u.num_steps for u in users),
        "top_k": args.top_k,
        "exclusion_width": {"mean": round(float(np.mean(widths)), 1), "max": int(max(widths))},
        "steps_per_s": {"masked": round(masked), "widened": round(widened)},
        "speedup": round(masked / widened, 2),
        "identical_candidates": identical,
    }
    return results_file.finish(args.output, result)


if __name__ == "__main__":
    main()
