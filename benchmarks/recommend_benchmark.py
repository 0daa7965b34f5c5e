"""In-process latency of `recommend` and `recommend_excluding` on a real export.

    python benchmarks/recommend_benchmark.py --model-base-path workdir/export/<run> [--calls 50]

`recommend` is the export's `serving_default`: it runs the query tower, a brute-force
scan of every video, the history filter and the policy's `rank` over K candidates.
`recommend_excluding` adds an exclusion list of E ids per user, whose scores the index
masks before its top k (an index exported before `top_k_excluding` existed widens the
top k to K + H + E instead, and filters after it: run the script on such an export to
compare). For batch B in {1, 32, 256} and E in {0 (plain `recommend`),
100, 1,000, 10,000 (the server's default --max-excluded)} this measures p50 / p99 wall
milliseconds of sequential calls (after warmup) and the CPU milliseconds per call, and
checks that no answer holds an excluded or a history video. Exclusion lists are distinct
random ids of the index (when E exceeds the catalogue minus K, fewer). The gRPC / REST
overhead over in-process is `serving_benchmark.py`'s subject. Prints a table and writes
benchmarks/results/recommend.json.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import tscac_tf  # noqa: F401  (Keras 2 before anything imports TensorFlow)

# isort: split
import numpy as np
import results_file  # benchmarks/results_file.py (this script's directory is on sys.path)
import tensorflow as tf

from tscac_tf.export import serving_layout

BATCHES = (1, 32, 256)
EXCLUDED = (0, 100, 1_000, 10_000)
HISTORY = 20
RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results", "recommend.json")


def _requests(video_ids: np.ndarray, batch: int, excluded: int, k: int, rng) -> dict:
    """Inputs of one call: half-full histories and E distinct excluded ids per user."""
    history = np.full([batch, HISTORY], -1, np.int64)
    history[:, : HISTORY // 2] = rng.choice(video_ids, size=[batch, HISTORY // 2])
    inputs = {
        "user_id": rng.integers(0, 30_000, size=batch).astype(np.int64),
        "history_video_ids": history,
        "history_play_time_ms": np.where(history >= 0, 9_000, 0).astype(np.int64),
    }
    if excluded:
        e = min(excluded, len(video_ids) - k - HISTORY)
        inputs["exclude_video_ids"] = np.stack(
            [rng.choice(video_ids, size=e, replace=False) for _ in range(batch)]
        ).astype(np.int64)
    return inputs


def _catalogue_and_k(model) -> tuple[np.ndarray, int]:
    """(every indexed video id, K of `recommend`), through the export's own functions."""
    user = tf.constant([0], tf.int64)
    empty = tf.constant([[-1]], tf.int64)
    everything = model.index.top_k(user, empty, tf.zeros_like(empty), tf.constant(10**7))
    ids = everything["video_ids"].numpy()[0]
    k = model.signatures["recommend"](
        user_id=user, history_video_ids=empty, history_play_time_ms=tf.zeros_like(empty)
    )["video_ids"].shape[1]
    return ids[ids != -1], int(k)


def _measure(signature, inputs: dict, calls: int, warmup: int = 3) -> tuple[dict, np.ndarray]:
    tensors = {name: tf.constant(value) for name, value in inputs.items()}
    for _ in range(warmup):
        out = signature(**tensors)
    times = []
    cpu = time.process_time()
    for _ in range(calls):
        start = time.perf_counter()
        out = signature(**tensors)
        out["video_ids"].numpy()
        times.append(time.perf_counter() - start)
    figures = {
        "p50_ms": float(np.percentile(times, 50) * 1e3),
        "p99_ms": float(np.percentile(times, 99) * 1e3),
        "cpu_ms_per_call": (time.process_time() - cpu) / calls * 1e3,
    }
    return figures, out["video_ids"].numpy()


def _left_out_returned(inputs: dict, video_ids: np.ndarray) -> int:
    """How many answers hold a video of the row's history or exclusion list (must be 0)."""
    left_out = inputs["history_video_ids"]
    if "exclude_video_ids" in inputs:
        left_out = np.concatenate([left_out, inputs["exclude_video_ids"]], axis=1)
    return sum(
        len(set(row.tolist()) & (set(out.tolist()) - {-1}))
        for row, out in zip(left_out, video_ids, strict=True)
    )


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-base-path", required=True, help="a real export's base path")
    parser.add_argument("--calls", type=int, default=50, help="timed calls per case")
    parser.add_argument("--output", default=RESULTS)
    args = parser.parse_args(argv)

    saved_model_dir = serving_layout.resolve_saved_model_dir(args.model_base_path)
    model = tf.saved_model.load(saved_model_dir)
    missing = {"recommend", "recommend_excluding"} - set(model.signatures)
    if missing:
        raise SystemExit(f"{saved_model_dir} has no {sorted(missing)} signature(s): re-export it")
    video_ids, k = _catalogue_and_k(model)
    rng = np.random.default_rng(0)
    rows = []
    for batch in BATCHES:
        for excluded in EXCLUDED:
            inputs = _requests(video_ids, batch, excluded, k, rng)
            name = "recommend_excluding" if excluded else "recommend"
            figures, answer = _measure(model.signatures[name], inputs, args.calls)
            row = {
                "signature": name,
                "batch": batch,
                "excluded": inputs["exclude_video_ids"].shape[1] if excluded else 0,
                **figures,
                "left_out_videos_returned": _left_out_returned(inputs, answer),
                "padded_answers": int((answer == -1).sum()),
            }
            rows.append(row)
            print(
                f"B={batch:<4d} E={row['excluded']:<6d} {name:<20s} p50 {row['p50_ms']:8.2f} ms"
                f"  p99 {row['p99_ms']:8.2f} ms  cpu {row['cpu_ms_per_call']:8.2f} ms/call"
                f"  left-out returned {row['left_out_videos_returned']}",
                flush=True,
            )
    result = {
        "benchmark": "recommend",
        "model": saved_model_dir,
        "num_videos": int(len(video_ids)),
        "num_candidates": k,
        "history_length": HISTORY,
        "calls_per_case": args.calls,
        "rows": rows,
        "summary": {
            f"{r['signature']}_B{r['batch']}_E{r['excluded']}_p99_ms": round(r["p99_ms"], 2)
            for r in rows
        },
        "all_answers_clean": all(r["left_out_videos_returned"] == 0 for r in rows),
    }
    return results_file.finish(args.output, result)


if __name__ == "__main__":
    main()
    sys.exit(0)
