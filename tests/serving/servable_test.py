"""One loaded version: signatures, predict, warmup, and the retire-after-drain lifetime."""

import threading
import time

import grpc
import numpy as np
import pytest
import tensorflow as tf

from serving.errors import ServingError
from serving.servable import Servable, session_config
from serving.validation import ServingLimits
from tscac_tf.export import serving_layout
from tscac_tf.testing import fake_serving_model as fsm


@pytest.fixture(scope="module")
def servable(fake_base):
    return Servable("tscac", 1, serving_layout.resolve_saved_model_dir(fake_base[0]))


def test_predict_matches_the_model(fake_base, servable):
    inputs = fsm.example_inputs("rank", batch=2)
    got = servable.predict("rank", inputs, ServingLimits(), output_filter=["scores"])
    assert list(got) == ["scores"]
    np.testing.assert_allclose(
        got["scores"], fake_base[1].rank(**inputs)["scores"].numpy(), rtol=1e-6
    )
    default = servable.predict("", fsm.example_inputs("recommend"), None)
    assert set(default) == {"video_ids", "scores", "preference"}  # serving_default = recommend


def test_unknown_signature_and_model_errors(servable):
    with pytest.raises(ServingError, match='Serving signature name: "nope" not found') as error:
        servable.signature("nope")
    assert error.value.code == grpc.StatusCode.INVALID_ARGUMENT


def test_warmup_replays_the_written_requests(servable):
    # publish_fake_serving_model writes contract_warmup_requests(20, (1, 4), (5, 50)):
    # per batch size, recommend, recommend_excluding and rank at K = 5 and 50.
    assert servable.warmup() == 2 * (1 + 1 + 2)


def test_retire_waits_for_in_flight_requests(fake_base):
    servable = Servable("tscac", 1, serving_layout.resolve_saved_model_dir(fake_base[0]))
    assert servable.acquire() and servable.in_flight == 1
    retired = threading.Event()
    thread = threading.Thread(target=lambda: servable.retire() and retired.set())
    thread.start()
    time.sleep(0.2)
    assert not retired.is_set()
    assert not servable.acquire()  # retiring: no new requests
    servable.release()
    thread.join(10)
    assert retired.is_set() and servable.in_flight == 0


class _Checked(tf.Module):
    """y = 2x for x >= 0; a negative x fails inside the graph (tf.debugging)."""

    @tf.function(input_signature=[tf.TensorSpec([None], tf.int64, "x")])
    def double(self, x):
        with tf.control_dependencies([tf.debugging.assert_non_negative(x)]):
            return {"y": 2 * x}


def test_a_model_error_keeps_its_status_code(tmp_path):
    path = str(tmp_path / "1")
    module = _Checked()
    tf.saved_model.save(module, path, signatures={"serving_default": module.double})
    servable = Servable("checked", 1, path)
    got = servable.predict("", {"x": np.array([1, 4], np.int64)}, ServingLimits())
    np.testing.assert_array_equal(got["y"], [2, 8])
    with pytest.raises(ServingError, match="x >= 0") as error:
        servable.predict("", {"x": np.array([1, -4], np.int64)}, ServingLimits())
    assert error.value.code == grpc.StatusCode.INVALID_ARGUMENT
    assert servable.retire()
    assert not servable.acquire()  # retired: closed, refuses new requests


def test_sessions_take_the_processes_thread_settings(monkeypatch):
    # `tscac serve --intra-op-threads 3 --inter-op-threads 2` sets these before loading.
    monkeypatch.setattr(tf.config.threading, "get_intra_op_parallelism_threads", lambda: 3)
    monkeypatch.setattr(tf.config.threading, "get_inter_op_parallelism_threads", lambda: 2)
    config = session_config()
    assert config.intra_op_parallelism_threads == 3
    assert config.inter_op_parallelism_threads == 2
    assert config.allow_soft_placement
