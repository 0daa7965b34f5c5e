"""Version lifecycle: polling, labels, failed loads, unload after in-flight requests, and a
hot swap under concurrent gRPC + REST load with zero failed requests."""

import contextlib
import os
import shutil
import threading
import time

import grpc
import numpy as np
import pytest
from tensorflow_serving.apis import get_model_status_pb2

from serving.client import TFServingClient
from serving.errors import ServingError
from serving.model_registry import ModelRegistry
from serving.model_server import ModelServer
from serving.server_config import ModelConfig, ServerConfig, VersionPolicy
from tscac_tf.export import serving_layout
from tscac_tf.testing import fake_serving_model as fsm

State = get_model_status_pb2.ModelVersionStatus.State


@pytest.fixture(scope="module")
def two_versions(tmp_path_factory):
    """A base path with versions 1 (seed 0) and 2 (seed 1)."""
    base = str(tmp_path_factory.mktemp("two_versions"))
    fsm.publish_fake_serving_model(base, fsm.FakeServingModelConfig(seed=0))
    fsm.publish_fake_serving_model(base, fsm.FakeServingModelConfig(seed=1))
    return base


def _copy_versions(source_base, target_base, versions):
    for version in versions:
        shutil.copytree(
            serving_layout.version_dir(serving_layout.model_dir(source_base), version),
            serving_layout.version_dir(serving_layout.model_dir(target_base), version),
        )


def _enter(context_manager):
    """Enters and leaves CONTEXT_MANAGER (what `with` does), so a raise on entry escapes."""
    with contextlib.ExitStack() as stack:
        stack.enter_context(context_manager)


def _states(registry):
    return {s.version: s.state for s in registry.statuses()}


def test_poll_serves_newest_and_falls_back_when_a_load_fails(two_versions, tmp_path):
    base = str(tmp_path)
    _copy_versions(two_versions, base, [1])
    registry = ModelRegistry(ModelConfig("tscac", serving_layout.model_dir(base)))
    assert registry.poll() == [1]
    broken = serving_layout.version_dir(serving_layout.model_dir(base), 3)
    os.makedirs(broken)
    with open(os.path.join(broken, "saved_model.pb"), "wb") as f:
        f.write(b"not a SavedModel")
    assert registry.poll() == [1]  # 3 failed: 1 keeps serving
    status = registry.statuses(3)[0]
    assert status.state == State.END and status.error_code == grpc.StatusCode.UNKNOWN
    assert "load failed" in status.error_message
    _copy_versions(two_versions, base, [2])
    assert registry.poll() == [2]
    assert _states(registry) == {1: State.END, 2: State.AVAILABLE, 3: State.END}
    with registry.acquire() as servable:
        assert servable.version == 2


def test_labels_keep_their_version_loaded(two_versions):
    config = ModelConfig(
        "tscac", serving_layout.model_dir(two_versions), version_labels={"stable": 1, "canary": 2}
    )
    registry = ModelRegistry(config)
    assert registry.poll() == [1, 2]
    with registry.acquire(label="stable") as servable:
        assert servable.version == 1
    with registry.acquire() as servable:
        assert servable.version == 2
    with pytest.raises(ServingError) as error:
        registry.statuses(label="beta")
    assert error.value.code == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(ServingError) as error:
        _enter(registry.acquire(version=1, label="stable"))
    assert error.value.code == grpc.StatusCode.INVALID_ARGUMENT
    registry.unload_all()


def test_specific_policy_and_removed_versions(two_versions, tmp_path):
    base = str(tmp_path)
    _copy_versions(two_versions, base, [1, 2])
    policy = VersionPolicy("specific", versions=(1,))
    registry = ModelRegistry(ModelConfig("tscac", serving_layout.model_dir(base), policy))
    assert registry.poll() == [1]
    shutil.rmtree(serving_layout.version_dir(serving_layout.model_dir(base), 1))
    assert registry.poll() == []
    with pytest.raises(ServingError) as error:
        _enter(registry.acquire())
    assert error.value.code == grpc.StatusCode.NOT_FOUND


def test_unload_waits_for_in_flight_requests(two_versions):
    registry = ModelRegistry(ModelConfig("tscac", serving_layout.model_dir(two_versions)))
    registry.poll()
    inputs = fsm.example_inputs("rank")
    finished = threading.Event()
    with registry.acquire() as servable:
        unloader = threading.Thread(target=lambda: (registry.unload(2), finished.set()))
        unloader.start()
        time.sleep(0.3)
        assert not finished.is_set()  # still held by this request
        assert registry.statuses(2)[0].state == State.UNLOADING
        assert servable.predict("rank", inputs, None)["scores"].shape == (2, 6)
    unloader.join(10)
    assert finished.is_set() and registry.statuses(2)[0].state == State.END


def _version_of(answer, references):
    """Which version's in-process answer this is (exactly), or None."""
    for version, expected in references.items():
        if all(np.allclose(answer[k], expected[k], rtol=1e-6) for k in expected):
            return version
    return None


def test_hot_swap_under_concurrent_load_fails_no_request(tmp_path):
    base = str(tmp_path)
    v1, _ = fsm.publish_fake_serving_model(base, fsm.FakeServingModelConfig(seed=0))
    config = ServerConfig(
        models=(ModelConfig("tscac", serving_layout.model_dir(base)),),
        grpc_port=0,
        rest_port=0,
        poll_seconds=0.1,
    )
    inputs = fsm.example_inputs("rank", batch=2, num_candidates=8)
    answers, failures, stop = [], [], threading.Event()

    def load(protocol, port):
        client = TFServingClient(f"127.0.0.1:{port}", protocol=protocol)
        while not stop.is_set():
            try:
                answers.append(client.rank(**inputs))
            except Exception as e:  # noqa: BLE001 - every failure is what the test counts
                failures.append(repr(e))

    with ModelServer(config).start() as server:
        ports = {"grpc": server.grpc_port, "rest": server.rest_port}
        threads = [threading.Thread(target=load, args=(p, ports[p])) for p in ("grpc", "rest") * 2]
        for thread in threads:
            thread.start()
        time.sleep(0.5)
        v2, _ = fsm.publish_fake_serving_model(base, fsm.FakeServingModelConfig(seed=1))
        client = TFServingClient(f"127.0.0.1:{server.grpc_port}")
        deadline = time.monotonic() + 30
        while {s.version: s.state for s in client.status()}.get(1) != State.END:
            assert time.monotonic() < deadline, client.status()
            time.sleep(0.05)
        time.sleep(0.3)  # answers from v1 that were on the wire when it unloaded land first
        swapped_at = len(answers)
        time.sleep(0.5)
        stop.set()
        for thread in threads:
            thread.join(10)
    references = {
        1: {k: v.numpy() for k, v in v1.rank(**inputs).items()},
        2: {k: v.numpy() for k, v in v2.rank(**inputs).items()},
    }
    versions = [_version_of(a, references) for a in answers]
    assert failures == []
    assert None not in versions  # every answer is exactly one version's
    assert (
        1 in versions[:swapped_at] and versions[swapped_at:] and set(versions[swapped_at:]) == {2}
    )
