"""serving/configs/ parse as the protos tensorflow_model_server reads; the README's Docker
command uses them; and, where the binary is installed, TF Serving serves a fake export with
exactly those flags and answers as `tscac serve` does."""

import os
import re
import shlex
import shutil
import socket
import subprocess
import time

import numpy as np
import pytest

from serving import config_protos
from serving.client import TFServingClient
from serving.model_server import ModelServer
from serving.server_config import ServerConfig, read_model_config_file
from tscac_tf.testing import fake_serving_model as fsm

SERVING = os.path.join(os.path.dirname(__file__), "..", "..", "serving")
CONFIGS = os.path.join(SERVING, "configs")


def test_config_files_parse_with_tf_serving_protos():
    models = config_protos.parse_config_file(
        os.path.join(CONFIGS, "models.config"), config_protos.ModelServerConfig
    )
    (model,) = models.model_config_list.config
    assert (model.name, model.base_path, model.model_platform) == (
        "tscac",
        "/models/tscac",
        "tensorflow",
    )
    assert model.model_version_policy.latest.num_versions == 1
    batching = config_protos.parse_config_file(
        os.path.join(CONFIGS, "batching_parameters.txt"), config_protos.BatchingParameters
    )
    assert batching.max_batch_size.value > 0 and batching.num_batch_threads.value > 0
    assert not batching.pad_variable_length_inputs  # padded K would break the contract
    monitoring = config_protos.parse_config_file(
        os.path.join(CONFIGS, "monitoring.config"), config_protos.MonitoringConfig
    )
    assert monitoring.prometheus_config.enable


def test_a_misspelt_field_is_rejected(tmp_path):
    path = tmp_path / "batching.txt"
    path.write_text("max_batch_sise { value: 3 }")
    with pytest.raises(ValueError, match="batching.txt is not a valid BatchingParameters"):
        config_protos.parse_config_file(str(path), config_protos.BatchingParameters)


def _docker_command() -> list[str]:
    readme = open(os.path.join(SERVING, "README.md")).read()
    block = next(
        b for b in re.findall(r"^```\w*\n(.*?)^```$", readme, re.S | re.M) if "docker run" in b
    )
    return shlex.split(block.replace("\\\n", " "))


def _model_server_flags() -> list[str]:
    """The tensorflow_model_server flags of the README command (after the image name)."""
    command = _docker_command()
    image = next(i for i, arg in enumerate(command) if arg.startswith("tensorflow/serving"))
    return command[image + 1 :]


def test_readme_docker_command_uses_the_config_files():
    command = _docker_command()
    assert "type=bind,source=$PWD/serving/configs,target=/config,readonly" in command
    files = [flag.split("=/config/")[1] for flag in _model_server_flags() if "=/config/" in flag]
    assert sorted(files) == ["batching_parameters.txt", "models.config", "monitoring.config"]
    for name in files:
        assert os.path.isfile(os.path.join(CONFIGS, name)), name
    models = config_protos.parse_config_file(
        os.path.join(CONFIGS, "models.config"), config_protos.ModelServerConfig
    )
    mounts = [arg for arg in command if arg.startswith("type=bind")]
    assert any(f"target={models.model_config_list.config[0].base_path}," in m for m in mounts)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(
    shutil.which("tensorflow_model_server") is None,
    reason="tensorflow_model_server binary not on PATH (install TF Serving to run this check)",
)
def test_tensorflow_model_server_answers_like_tscac_serve(fake_base, tmp_path):
    base, model = fake_base
    models = open(os.path.join(CONFIGS, "models.config")).read()
    config = tmp_path / "models.config"
    config.write_text(models.replace("/models/tscac", os.path.join(base, "tscac")))
    flags = [
        flag.replace("/config/models.config", str(config)).replace("/config/", CONFIGS + "/")
        for flag in _model_server_flags()
    ]
    grpc_port, rest_port = _free_port(), _free_port()
    process = subprocess.Popen(
        ["tensorflow_model_server", f"--port={grpc_port}", f"--rest_api_port={rest_port}", *flags]
    )
    ours = ModelServer(
        ServerConfig(models=read_model_config_file(str(config)), grpc_port=0, rest_port=0)
    ).start()
    try:
        inputs = fsm.example_inputs("rank", batch=1, num_candidates=6)
        expected = {k: v.numpy() for k, v in model.rank(**inputs).items()}
        for target, protocol in (
            (f"127.0.0.1:{grpc_port}", "grpc"),
            (f"127.0.0.1:{rest_port}", "rest"),
            (f"127.0.0.1:{ours.grpc_port}", "grpc"),
        ):
            client = TFServingClient(target, protocol=protocol, timeout=30)
            assert client.wait_until_available(timeout=120) == 1
            got = client.rank(**inputs)
            for name, value in expected.items():
                np.testing.assert_allclose(got[name], value, rtol=1e-6)
            assert sorted(client.metadata()) == ["rank", "recommend", "serving_default"]
    finally:
        ours.stop()
        process.terminate()
        process.wait(timeout=30)
        time.sleep(0.1)
