"""Serving latency and throughput of `rank`: gRPC and REST beside the SavedModel in-process.

    python benchmarks/serving_benchmark.py [--model-base-path exports/] [--requests 300]

Starts `tscac serve` as a separate process on free loopback ports (so client and server do
not share a GIL), loads the same version in this process, and for K in {50, 500} and
batch B in {1, 32} measures, per path (in-process: the loaded SavedModel's signature, as
a user calls it, and the server's own engine, `Servable`, which runs the MetaGraph in a
session as tensorflow_model_server does; gRPC; REST):
  latency     p50 / p99 over a bounded loop of sequential requests (after a warmup),
  throughput  requests/s and rows/s with --concurrency client threads, bounded requests.
Prints a table and the overhead ratios (p99 of gRPC / REST over p99 in-process, and over
the server's engine in-process: what the front ends alone add), checks the target (gRPC
p99 <= 2x in-process p99 at B = 1, K = 500) and writes
benchmarks/results/serving.json. Without --model-base-path it publishes the fake export
(tscac_tf/testing/fake_serving_model.py) to a temporary directory.
"""

from __future__ import annotations

import argparse
import os
import platform
import signal
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np
import results_file  # benchmarks/results_file.py (this script's directory is on sys.path)

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

from serving.client import TFServingClient  # noqa: E402  (serving imports tscac_tf first)
from serving.servable import Servable  # noqa: E402
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


def _server_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process so far (Linux /proc)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _latency(call, requests: int, server_pid: int, warmup: int = 20) -> dict:
    """p50 / p99 wall ms of sequential calls, and CPU ms per call here and in the server.

    CPU time is the load-independent part of the cost: on a shared machine wall-clock
    percentiles include time spent waiting for a core.
    """
    for _ in range(warmup):
        call()
    times = []
    cpu, server_cpu = time.process_time(), _server_cpu_s(server_pid)
    for _ in range(requests):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return {
        "p50_ms": float(np.percentile(times, 50) * 1e3),
        "p99_ms": float(np.percentile(times, 99) * 1e3),
        "client_cpu_ms": (time.process_time() - cpu) / requests * 1e3,
        "server_cpu_ms": (_server_cpu_s(server_pid) - server_cpu) / requests * 1e3,
    }


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


def _callers(saved_model_dir: str, grpc_target: str, rest_target: str):
    import tensorflow as tf  # after tscac_tf (through serving): Keras 2

    signature = tf.saved_model.load(saved_model_dir).signatures["rank"]

    def in_process(inputs):
        outputs = signature(**{k: tf.constant(v) for k, v in inputs.items()})
        return {k: v.numpy() for k, v in outputs.items()}

    engine = Servable("tscac", 0, saved_model_dir)

    grpc_client = TFServingClient(grpc_target)
    rest_client = TFServingClient(rest_target, protocol="rest")
    rest_client.metadata()  # cached: each call below is one predict round trip
    return {
        "in_process": in_process,
        "in_process_engine": lambda inputs: engine.predict("rank", inputs, None),
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
        callers = _callers(saved_model_dir, grpc_target, rest_target)
        for batch, k in CASES:
            inputs = fsm.example_inputs("rank", batch, k, history)
            requests = args.requests if batch == 1 else max(args.requests // 3, 30)
            for path, call in callers.items():
                measured = _latency(lambda c=call, x=inputs: c(x), requests, process.pid)
                rps = _throughput(lambda c=call, x=inputs: c(x), requests, args.concurrency)
                row = {"path": path, "batch": batch, "k": k, **measured}
                row.update(requests_per_s=rps, rows_per_s=rps * batch)
                results.append(row)
                _print_row(row)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
    return _summary(args, base, results)


def _print_row(row: dict) -> None:
    remote = not row["path"].startswith("in_process")
    cpu = row["client_cpu_ms"] + (row["server_cpu_ms"] if remote else 0.0)
    print(
        f"B={row['batch']:<3d} K={row['k']:<4d} {row['path']:<17s} p50 {row['p50_ms']:7.3f} ms  "
        f"p99 {row['p99_ms']:7.3f} ms  cpu {cpu:6.3f} ms/req  {row['requests_per_s']:8.1f} req/s  "
        f"{row['rows_per_s']:9.1f} rows/s",
        flush=True,
    )


def _summary(args, base, results) -> dict:
    import tensorflow as tf

    by = {(r["path"], r["batch"], r["k"]): r for r in results}
    overhead = {}
    for batch, k in CASES:
        local = by[("in_process", batch, k)]
        engine = by[("in_process_engine", batch, k)]
        for path in ("grpc", "rest"):
            remote = by[(path, batch, k)]
            overhead[f"{path}_B{batch}_K{k}_p99_ratio"] = remote["p99_ms"] / local["p99_ms"]
            overhead[f"{path}_B{batch}_K{k}_p50_ratio"] = remote["p50_ms"] / local["p50_ms"]
            cpu = remote["client_cpu_ms"] + remote["server_cpu_ms"]
            overhead[f"{path}_B{batch}_K{k}_cpu_ratio"] = cpu / local["client_cpu_ms"]
            overhead[f"{path}_B{batch}_K{k}_p99_over_engine"] = remote["p99_ms"] / engine["p99_ms"]
    ratio = overhead["grpc_B1_K500_p99_ratio"]
    print("\noverhead over in-process (p99, p50, CPU per request client + server):")
    for name, value in overhead.items():
        print(f"  {name:32s} {value:5.2f}x")
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
    results_file.write(args.out, summary, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
