"""TF Serving layout: integer versions, atomic publishing, warmup PredictionLogs."""

import os

import numpy as np
import pytest
import tensorflow as tf
from tensorflow_serving.apis import prediction_log_pb2

from tscac_tf.export import serving_layout as sl
from tscac_tf.testing import fake_serving_model as fsm


@pytest.fixture(scope="module")
def saved_model(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("saved"))
    fsm.save_fake_serving_model(path)
    return path


def test_publish_versions_in_tf_serving_layout(saved_model, tmp_path):
    base = str(tmp_path)
    warmup = sl.contract_warmup_requests(20, batch_sizes=(1,), num_candidates=(5,))
    first = sl.publish_version(sl.copy_saved_model(saved_model), base, warmup_requests=warmup)
    assert first == os.path.join(base, "tscac", "1")
    for entry in ("saved_model.pb", "variables", "assets.extra/tf_serving_warmup_requests"):
        assert os.path.exists(os.path.join(first, entry)), entry
    assert sl.publish_version(sl.copy_saved_model(saved_model), base).endswith("/2")
    assert sl.publish_version(sl.copy_saved_model(saved_model), base, version=10).endswith("/10")
    os.makedirs(os.path.join(base, "tscac", "11"))  # no saved_model.pb: not a version
    os.makedirs(os.path.join(base, "tscac", "notes"))
    assert sl.list_versions(sl.model_dir(base)) == [1, 2, 10]
    assert sl.latest_version(sl.model_dir(base)) == 10
    assert sl.list_versions(os.path.join(base, "missing")) == []
    # no temporary directory left behind
    assert sorted(os.listdir(sl.model_dir(base))) == ["1", "10", "11", "2", "notes"]


def test_publish_refuses_existing_versions_and_cleans_up_failures(saved_model, tmp_path):
    base = str(tmp_path)
    sl.publish_version(sl.copy_saved_model(saved_model), base, version=3)
    with pytest.raises(FileExistsError, match="version 3 already exists"):
        sl.publish_version(sl.copy_saved_model(saved_model), base, version=3)
    with pytest.raises(ValueError, match="wrote no saved_model.pb"):
        sl.publish_version(lambda d: os.makedirs(d), base, version=4)

    def crash(directory):
        os.makedirs(directory)
        raise RuntimeError("export crashed half way")

    with pytest.raises(RuntimeError, match="half way"):
        sl.publish_version(crash, base, version=5)
    assert sorted(os.listdir(sl.model_dir(base))) == ["3"]  # no partial version, no temp dir


def test_resolve_saved_model_dir(saved_model, tmp_path):
    base = str(tmp_path)
    sl.publish_version(sl.copy_saved_model(saved_model), base, version=2)
    sl.publish_version(sl.copy_saved_model(saved_model), base, version=7)
    newest = os.path.join(base, "tscac", "7")
    assert sl.resolve_saved_model_dir(base) == newest
    assert sl.resolve_saved_model_dir(sl.model_dir(base)) == newest
    assert sl.resolve_saved_model_dir(saved_model) == saved_model
    with pytest.raises(FileNotFoundError, match="no SavedModel at"):
        sl.resolve_saved_model_dir(str(tmp_path / "empty"))


def test_warmup_file_parses_as_prediction_logs_the_model_accepts(saved_model, tmp_path):
    target = str(tmp_path / "v")
    sl.copy_saved_model(saved_model)(target)
    requests = sl.contract_warmup_requests(20, batch_sizes=(1, 3), num_candidates=(4, 9))
    sl.write_warmup_requests(target, requests)
    raw = list(tf.data.TFRecordDataset(os.path.join(target, sl.WARMUP_FILE)).as_numpy_iterator())
    logs = [prediction_log_pb2.PredictionLog.FromString(r) for r in raw]
    assert logs == sl.read_warmup_requests(target)
    assert [log.predict_log.request.model_spec.signature_name for log in logs] == [
        "recommend",
        "recommend_excluding",
        "rank",
        "rank",
        "recommend",
        "recommend_excluding",
        "rank",
        "rank",
    ]
    signatures = tf.saved_model.load(target).signatures
    for log, request in zip(logs, requests, strict=True):
        inputs = {k: tf.make_ndarray(v) for k, v in log.predict_log.request.inputs.items()}
        for name, value in request.inputs.items():
            np.testing.assert_array_equal(inputs[name], value)
        outputs = signatures[request.signature_name](
            **{k: tf.constant(v) for k, v in inputs.items()}
        )
        assert outputs["preference"].shape[0] == inputs["user_id"].shape[0]
    excluded = requests[1].inputs["exclude_video_ids"]
    assert excluded.shape == (1, sl.WARMUP_EXCLUDED) and excluded[0, -1] == -1
    assert excluded[0, 0] == 1000
    assert len(sl.contract_warmup_requests(20, (1, 3), (4, 9), excluding=False)) == 6
    rank = requests[2].inputs
    assert rank["candidate_video_ids"].shape == (1, 4) and rank["candidate_video_ids"][0, -1] == -1
    with pytest.raises(ValueError, match="expected 1 to 1000 warmup requests"):
        sl.write_warmup_requests(target, [])
