"""Serving latency and throughput of `rank`: gRPC and REST beside the SavedModel in-process.

    python benchmarks/serving_benchmark.py [--model-base-path exports/] [--requests 300]

Starts `tscac serve` as a separate process on free loopback ports (so client and server do
not share a GIL), loads the same version in this process, and for K in {50, 500} and
batch B in {1, 32} measures, per path:
  latency     p50 / p99 over a bounded loop of sequential requests (after a warmup),
  throughput  requests/s and rows/s with --concurrency client threads, bounded requests.
Prints a table and the overhead ratio (p99 of gRPC / REST over p99 in-process), checks the
target (gRPC p99 <= 2x in-process p99 at B = 1, K = 500) and writes
benchmarks/results/serving.json. Without --model-base-path it publishes the fake export
(tscac_tf/testing/fake_serving_model.py) to a temporary directory.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

import tensorflow as tf  # noqa: E402

from serving.client import TFServingClient  # noqa: E402
from tscac_tf.export import serving_layout  # noqa: E402
from tscac_tf.testing import fake_serving_model as fsm  # noqa: E402

CASES = [(1, 50), (1, 500), (32, 50), (32, 500)]  # (B, K)
TARGET_RATIO = 2.0


def _start_server(base_path: str) -> tuple[subprocess.Popen, str, str]:
    command = [sys.executable, "-m", "tscac_tf.cli", "serve", "--model-base-path", base_path]
    env = {**os.environ, "TF_USE_LEGACY_KERAS": "1", "PYTHONPATH": REPO}
    process = subprocess.Popen(
        [*command, "--port", "0", "--rest-port", "0", "--max-batch-size", "64"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    banner = process.stdout.readline().split()
    if "gRPC" not in banner:
        process.kill()
        raise RuntimeError(f"tscac serve did not start: {' '.join(banner)}")
    return process, banner[banner.index("gRPC") + 1], banner[banner.index("REST") + 1]


def _latency_ms(call, requests: int, warmup: int = 20) -> tuple[float, float]:
    for _ in range(warmup):
        call()
    times = []
    for _ in range(requests):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return float(np.percentile(times, 50) * 1e3), float(np.percentile(times, 99) * 1e3)


def _throughput(call, requests: int, concurrency: int) -> float:
    """Requests per second with `concurrency` threads sharing `requests` calls."""
    counter = iter(range(requests))
    lock = threading.Lock()

    def worker():
        while True:
            with lock:
                if next(counter, None) is None:
                    return
            call()

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return requests / (time.perf_counter() - start)


def _callers(saved_model_dir: str, grpc_target: str, rest_target: str, history_length: int):
    signature = tf.saved_model.load(saved_model_dir).signatures["rank"]

    def in_process(inputs):
        outputs = signature(**{k: tf.constant(v) for k, v in inputs.items()})
        return {k: v.numpy() for k, v in outputs.items()}

    grpc_client = TFServingClient(grpc_target)
    rest_client = TFServingClient(rest_target, protocol="rest")
    rest_client.metadata()  # cached: each call below is one predict round trip
    return {
        "in_process": in_process,
        "grpc": lambda inputs: grpc_client.predict(inputs, "rank"),
        "rest": lambda inputs: rest_client.predict(inputs, "rank"),
    }


def _history_length(saved_model_dir: str) -> int:
    from serving.signature_spec import read_signature_specs

    shape = read_signature_specs(saved_model_dir)["rank"].inputs["history_video_ids"].shape
    return shape[1] if shape and shape[1] else 20


def run(args) -> dict:
    base = args.model_base_path
    if base is None:
        base = tempfile.mkdtemp(prefix="serving_benchmark_")
        fsm.publish_fake_serving_model(base)
    saved_model_dir = serving_layout.resolve_saved_model_dir(base)
    history = _history_length(saved_model_dir)
    process, grpc_target, rest_target = _start_server(base)
    results = []
    try:
        callers = _callers(saved_model_dir, grpc_target, rest_target, history)
        for batch, k in CASES:
            inputs = fsm.example_inputs("rank", batch, k, history)
            requests = args.requests if batch == 1 else max(args.requests // 3, 30)
            for path, call in callers.items():
                p50, p99 = _latency_ms(lambda c=call, x=inputs: c(x), requests)
                rps = _throughput(lambda c=call, x=inputs: c(x), requests, args.concurrency)
                results.append(
                    {
                        "path": path,
                        "batch": batch,
                        "k": k,
                        "p50_ms": p50,
                        "p99_ms": p99,
                        "requests_per_s": rps,
                        "rows_per_s": rps * batch,
                    }
                )
                print(
                    f"B={batch:<3d} K={k:<4d} {path:<10s} p50 {p50:7.3f} ms  p99 {p99:7.3f} ms  "
                    f"{rps:8.1f} req/s  {rps * batch:9.1f} rows/s",
                    flush=True,
                )
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
    return _summary(args, base, results)


def _summary(args, base, results) -> dict:
    by = {(r["path"], r["batch"], r["k"]): r for r in results}
    overhead = {}
    for batch, k in CASES:
        local = by[("in_process", batch, k)]["p99_ms"]
        for path in ("grpc", "rest"):
            overhead[f"{path}_B{batch}_K{k}_p99_ratio"] = by[(path, batch, k)]["p99_ms"] / local
    ratio = overhead["grpc_B1_K500_p99_ratio"]
    print("\noverhead (p99 over in-process p99):")
    for name, value in overhead.items():
        print(f"  {name:28s} {value:5.2f}x")
    verdict = "met" if ratio <= TARGET_RATIO else "NOT met"
    print(f"target gRPC p99 <= {TARGET_RATIO}x in-process at B=1, K=500: {ratio:.2f}x, {verdict}")
    return {
        "model": args.model_base_path or "fake export (tscac_tf/testing/fake_serving_model.py)",
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "load_average_1m": os.getloadavg()[0],
            "python": platform.python_version(),
            "tensorflow": tf.__version__,
        },
        "requests_per_case_b1": args.requests,
        "concurrency": args.concurrency,
        "results": results,
        "overhead": overhead,
        "target": {
            "grpc_p99_over_in_process_p99_B1_K500": ratio,
            "max": TARGET_RATIO,
            "met": ratio <= TARGET_RATIO,
        },
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-base-path", help="base path of an export (default: fake export)")
    parser.add_argument("--requests", type=int, default=300, help="requests per B=1 case")
    parser.add_argument("--concurrency", type=int, default=4, help="client threads (throughput)")
    parser.add_argument(
        "--out", default=os.path.join(REPO, "benchmarks", "results", "serving.json")
    )
    args = parser.parse_args(argv)
    summary = run(args)
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(summary, f, indent=2)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
