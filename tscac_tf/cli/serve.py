"""`tscac serve`: serve exported versions over TF Serving's gRPC and REST APIs.

    tscac serve --model-base-path exports/ [--port 8500] [--rest-port 8501]
                [--host 127.0.0.1] [--model-name tscac] [--version-labels stable=3,canary=4]

`--model-base-path DIR` is the directory that holds `<model-name>/<version>/saved_model.pb`
(the parent of what tensorflow_model_server calls `--model_base_path`; so `exports/` here
serves `exports/tscac/1`, `exports/tscac/2`, ...). The newest version is served and the
directory is polled for new ones, which are loaded, warmed and swapped in without failing
a request. `--model-config-file` takes a TF Serving models.config instead. Ports 0 pick free
ports; `--rest-port -1` turns REST off. SIGTERM / SIGINT stop accepting, drain in-flight
requests and exit 0.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading

COMMAND = "serve"
HELP = "Serve exported versions over TF Serving's gRPC and REST APIs (loopback by default)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--model-base-path",
        help="directory holding <model-name>/<integer version>/saved_model.pb",
    )
    source.add_argument("--model-config-file", help="a TF Serving ModelServerConfig text proto")
    parser.add_argument(
        "--model-name", default="tscac", help="name clients address (default tscac)"
    )
    parser.add_argument("--host", default="127.0.0.1", help="bind address (default loopback)")
    parser.add_argument("--port", type=int, default=8500, help="gRPC port; 0 picks a free one")
    parser.add_argument(
        "--rest-port", type=int, default=8501, help="REST port; 0 picks a free one, -1 disables"
    )
    parser.add_argument(
        "--version-labels", default="", help="labels for --model-base-path, e.g. stable=3,canary=4"
    )
    parser.add_argument("--poll-seconds", type=float, default=1.0, help="version poll interval")
    parser.add_argument("--num-threads", type=int, default=16, help="gRPC worker threads")
    parser.add_argument("--grace-seconds", type=float, default=10.0, help="drain time on stop")
    parser.add_argument(
        "--intra-op-threads",
        type=int,
        default=0,
        help="TensorFlow intra-op threads (0: TF default)",
    )
    parser.add_argument(
        "--inter-op-threads",
        type=int,
        default=0,
        help="TensorFlow inter-op threads (0: TF default)",
    )
    parser.add_argument("--max-batch-size", type=int, default=1024, help="largest B per request")
    parser.add_argument("--max-candidates", type=int, default=10_000, help="largest K per request")
    parser.add_argument("--max-history", type=int, default=1_000, help="largest H per request")
    parser.add_argument(
        "--max-request-bytes", type=int, default=64 << 20, help="largest request body / message"
    )
    parser.add_argument(
        "--max-excluded",
        type=int,
        default=10_000,
        help="largest E (exclude_video_ids per row of recommend_excluding)",
    )


def build_config(args: argparse.Namespace):
    """Flags -> ServerConfig."""
    from serving import server_config as sc
    from serving.validation import ServingLimits
    from tscac_tf.export import serving_layout

    if args.model_config_file:
        if args.version_labels:
            raise ValueError(
                "--version-labels applies to --model-base-path; put labels in the config"
            )
        models = sc.read_model_config_file(args.model_config_file)
    else:
        labels = sc.parse_version_labels(args.version_labels)
        base = serving_layout.model_dir(args.model_base_path, args.model_name)
        models = (sc.ModelConfig(args.model_name, base, version_labels=labels),)
    return sc.ServerConfig(
        models=models,
        host=args.host,
        grpc_port=args.port,
        rest_port=None if args.rest_port < 0 else args.rest_port,
        poll_seconds=args.poll_seconds,
        num_threads=args.num_threads,
        grace_seconds=args.grace_seconds,
        limits=ServingLimits(
            args.max_batch_size,
            args.max_candidates,
            args.max_history,
            args.max_request_bytes,
            args.max_excluded,
        ),
    )


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    import tensorflow as tf

    from serving.model_server import ModelServer

    # Like tensorflow_model_server's --tensorflow_{intra,inter}_op_parallelism; must be set
    # before TensorFlow's runtime starts (before the first SavedModel loads).
    if args.intra_op_threads:
        tf.config.threading.set_intra_op_parallelism_threads(args.intra_op_threads)
    if args.inter_op_threads:
        tf.config.threading.set_inter_op_parallelism_threads(args.inter_op_threads)

    try:
        config = build_config(args)
    except (ValueError, OSError) as e:
        print(f"tscac serve: {e}", file=sys.stderr)
        return 2
    try:
        server = ModelServer(config).start()
    except (OSError, RuntimeError) as e:  # a port in use, an unreachable host
        print(f"tscac serve: could not start: {e}", file=sys.stderr)
        return 2
    versions = {m.name: server.manager.registry(m.name).loaded_versions() for m in config.models}
    rest = f"http://{config.host}:{server.rest_port}" if server.rest_port else "off"
    print(
        f"tscac serve: gRPC {config.host}:{server.grpc_port} REST {rest} versions {versions}",
        flush=True,
    )
    _wait_for_stop_signal()
    server.stop()
    print("tscac serve: stopped after draining in-flight requests", flush=True)
    return 0


def _wait_for_stop_signal() -> None:
    """Blocks until SIGTERM or SIGINT, then puts the previous handlers back."""
    stop_requested = threading.Event()
    previous = {
        sig: signal.signal(sig, lambda *_: stop_requested.set())
        for sig in (signal.SIGTERM, signal.SIGINT)
    }
    try:
        while not stop_requested.wait(0.5):
            pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
