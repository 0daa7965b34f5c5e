"""RunInference's model handler gives the same answers as calling the signature directly."""

import numpy as np
import pytest

from beam_pipelines.scoring.recommend_model_handler import RecommendModelHandler
from tscac_tf.testing import fake_serving_model as fsm


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("model"))
    return path, fsm.save_fake_serving_model(path)


def test_run_inference_matches_the_signature(saved):
    path, model = saved
    handler = RecommendModelHandler(path, max_batch_size=4)
    assert handler.batch_elements_kwargs() == {"max_batch_size": 4}
    inputs = fsm.example_inputs("recommend", batch=3)
    batch = [{k: v[i] for k, v in inputs.items()} for i in range(3)]
    results = list(handler.run_inference(batch, handler.load_model()))
    expected = {k: v.numpy() for k, v in model.recommend(**inputs).items()}
    for i, result in enumerate(results):
        assert result.example is batch[i]
        for name, value in expected.items():
            np.testing.assert_allclose(result.inference[name], value[i], rtol=1e-6)


def test_exclusion_lists_of_any_length_are_padded_per_batch(saved):
    path, model = saved
    handler = RecommendModelHandler(path, signature="recommend_excluding")
    inputs = fsm.example_inputs("recommend", batch=3)
    lists = [np.array([3, 4, 5], np.int64), np.zeros([0], np.int64), np.array([9], np.int64)]
    batch = [
        {**{k: v[i] for k, v in inputs.items()}, "exclude_video_ids": lists[i]} for i in range(3)
    ]
    results = list(handler.run_inference(batch, handler.load_model()))
    padded = np.array([[3, 4, 5], [-1, -1, -1], [9, -1, -1]], np.int64)
    expected = model.recommend_excluding(**inputs, exclude_video_ids=padded)
    for i, result in enumerate(results):
        np.testing.assert_array_equal(result.inference["video_ids"], expected["video_ids"][i])
        assert not set(result.inference["video_ids"].tolist()) & set(lists[i].tolist())


def test_missing_signature_is_named(saved):
    with pytest.raises(ValueError, match="has no 'nope' signature"):
        RecommendModelHandler(saved[0], signature="nope").load_model()
