"""The fake export obeys the serving contract, with numbers worked by hand."""

import numpy as np
import pytest
import tensorflow as tf

from tscac_tf.testing import fake_serving_model as fsm


@pytest.fixture(scope="module")
def model():
    return fsm.FakeServingModel(
        fsm.FakeServingModelConfig(num_users=4, num_videos=6, embedding_dim=3, top_n=4)
    )


def test_rank_scores_are_preference_dot_embedding(model):
    inputs = {
        "user_id": np.array([1, 99], np.int64),  # 99 is unknown: row 0
        "history_video_ids": np.full([2, 20], -1, np.int64),
        "history_play_time_ms": np.zeros([2, 20], np.int64),
        "candidate_video_ids": np.array([[2, -1, 5], [0, 1, 1000]], np.int64),
    }
    inputs["history_video_ids"][0, :2] = [3, 4]
    inputs["history_play_time_ms"][0, :2] = [10_000, 0]
    out = {k: v.numpy() for k, v in model.rank(**inputs).items()}
    users, videos = model._user_embeddings.numpy(), model._video_embeddings.numpy()
    # p = u + (2 e(3) + 1 e(4)) / 2 for user 1; p = u(unknown) for the unknown user.
    p0 = users[2] + (2 * videos[4] + videos[5]) / 2
    np.testing.assert_allclose(out["preference"], [p0, users[0]], rtol=1e-5)
    np.testing.assert_allclose(out["scores"][0], [p0 @ videos[3], -1e9, p0 @ videos[6]], rtol=1e-5)
    np.testing.assert_allclose(
        out["scores"][1, 2], users[0] @ videos[0], rtol=1e-5
    )  # unknown video
    order = np.argsort(-out["scores"], axis=1, kind="stable")
    np.testing.assert_array_equal(
        out["ranked_video_ids"], np.take_along_axis(inputs["candidate_video_ids"], order, axis=1)
    )
    assert out["ranked_video_ids"][0, -1] == -1


def test_recommend_returns_top_n_known_videos(model):
    out = model.recommend(np.array([0]), np.full([1, 20], -1), np.zeros([1, 20], np.int64))
    ids, scores = out["video_ids"].numpy()[0], out["scores"].numpy()[0]
    assert ids.shape == (4,) and set(ids) <= set(range(6))
    assert np.all(np.diff(scores) <= 0)  # best first


def test_recommend_leaves_out_the_history_and_the_excluded_videos(model):
    empty = np.full([1, 20], -1)
    top = model.recommend(np.array([0]), empty, np.zeros([1, 20], np.int64))["video_ids"].numpy()
    history = empty.copy()
    history[0, :2] = top[0, :2]
    fresh = model.recommend(np.array([0]), history, np.where(history >= 0, 1, 0))
    assert not set(fresh["video_ids"].numpy()[0]) & set(top[0, :2])
    excluded = model.recommend_excluding(
        np.array([0]), history, np.where(history >= 0, 1, 0), top[:, 2:4]
    )
    ids = excluded["video_ids"].numpy()[0]
    # 6 videos, 4 left out: two remain, then padding with the padded score
    assert set(ids[:2]) == set(range(6)) - set(top[0, :4]) and (ids[2:] == -1).all()
    assert (excluded["scores"].numpy()[0, 2:] == np.float32(fsm.PADDED_SCORE)).all()


def test_saved_signatures(tmp_path):
    fsm.save_fake_serving_model(str(tmp_path))
    signatures = tf.saved_model.load(str(tmp_path)).signatures
    assert sorted(signatures) == ["rank", "recommend", "recommend_excluding", "serving_default"]
    assert set(signatures["serving_default"].structured_outputs) == {
        "video_ids",
        "scores",
        "preference",
    }


def test_config_validation():
    with pytest.raises(ValueError, match="num_videos must be >= 1"):
        fsm.FakeServingModelConfig(num_videos=0)
