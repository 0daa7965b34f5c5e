"""`tscac serve` as a process: starts on free loopback ports, answers, exits 0 on SIGTERM."""

import os
import signal
import socket
import subprocess
import sys

import numpy as np

from serving.client import TFServingClient
from tscac_tf.cli import build_parser, serve
from tscac_tf.testing import fake_serving_model as fsm

REPO = os.path.join(os.path.dirname(__file__), "..", "..", "..")


def test_flags_become_a_server_config(tmp_path):
    args = build_parser().parse_args(
        [
            "serve",
            "--model-base-path",
            str(tmp_path),
            "--version-labels",
            "stable=2",
            "--rest-port",
            "-1",
            "--max-excluded",
            "500",
        ]
    )
    config = serve.build_config(args)
    assert config.limits.max_excluded == 500 and config.limits.max_history == 1_000
    (model,) = config.models
    assert model.base_path == os.path.join(str(tmp_path), "tscac")
    assert dict(model.version_labels) == {"stable": 2}
    assert (config.host, config.grpc_port, config.rest_port) == ("127.0.0.1", 8500, None)


def test_serve_answers_and_drains_on_sigterm(tmp_path):
    model, _ = fsm.publish_fake_serving_model(str(tmp_path))
    env = {**os.environ, "TF_USE_LEGACY_KERAS": "1", "PYTHONPATH": os.path.abspath(REPO)}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tscac_tf.cli",
            "serve",
            "--model-base-path",
            str(tmp_path),
            "--port",
            "0",
            "--rest-port",
            "0",
            "--poll-seconds",
            "0.2",
            "--intra-op-threads",
            "1",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    try:
        banner = process.stdout.readline()
        assert "versions {'tscac': [1]}" in banner, banner
        words = banner.split()
        grpc_target = words[words.index("gRPC") + 1]
        rest_target = words[words.index("REST") + 1]
        inputs = fsm.example_inputs("rank")
        expected = model.rank(**inputs)["ranked_video_ids"].numpy()
        for target, protocol in ((grpc_target, "grpc"), (rest_target, "rest")):
            got = TFServingClient(target, protocol=protocol).rank(**inputs)
            np.testing.assert_array_equal(got["ranked_video_ids"], expected)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
        assert "stopped after draining" in process.stdout.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_bad_flags_exit_2(tmp_path, capsys):
    args = build_parser().parse_args(
        ["serve", "--model-base-path", str(tmp_path), "--version-labels", "stable"]
    )
    assert serve.run(args) == 2
    assert "must look like stable=3" in capsys.readouterr().err


def test_a_port_in_use_exits_2(tmp_path, capsys):
    fsm.publish_fake_serving_model(str(tmp_path))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        flags = ["--model-base-path", str(tmp_path), "--port", str(port), "--rest-port", "0"]
        assert serve.run(build_parser().parse_args(["serve", *flags])) == 2
    assert "could not start" in capsys.readouterr().err
