"""The served model's `recommend` and `recommend_excluding`: retrieved, filtered, ranked."""

import os

import numpy as np
import pytest
import tensorflow as tf

from tscac_tf.export import serving_export, serving_layout
from tscac_tf.retrieval import retrieval_index
from tscac_tf.testing import fake_serving_model as fsm

NUM_VIDEOS = 30
K = 5
QUERY = retrieval_index.QUERY_SIGNATURE


class RotatingIndex(tf.Module):
    """A retrieval index stand-in: user u's ranking is u, u + 1, ... (mod V), −1 padded past V."""

    @tf.function(input_signature=[*QUERY, tf.TensorSpec([], tf.int32, "k")])
    def top_k(self, user_id, history_video_ids, history_play_time_ms, k):
        found = tf.minimum(k, NUM_VIDEOS)
        ids = (tf.range(NUM_VIDEOS, dtype=tf.int64)[None, :] + user_id[:, None]) % NUM_VIDEOS
        ids = tf.pad(ids[:, :found], [[0, 0], [0, k - found]], constant_values=-1)
        return {"video_ids": ids, "scores": -tf.cast(tf.abs(ids), tf.float32)}


def index_ranking(user: int) -> list[int]:
    return [(user + j) % NUM_VIDEOS for j in range(NUM_VIDEOS)]


def reference_first_k(video_ids, excluded, k):
    out = []
    for row, left_out in zip(video_ids.tolist(), excluded.tolist(), strict=True):
        kept = [v for v in row if v != -1 and v not in set(left_out)][:k]
        out.append(kept + [-1] * (k - len(kept)))
    return np.array(out, np.int64)


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    """(rank SavedModel dir, index SavedModel dir)."""
    root = tmp_path_factory.mktemp("exports")
    rank_dir, index_dir = str(root / "rank"), str(root / "index")
    fsm.save_fake_serving_model(rank_dir, fsm.FakeServingModelConfig(num_videos=NUM_VIDEOS))
    tf.saved_model.save(RotatingIndex(), index_dir)
    return rank_dir, index_dir


@pytest.fixture(scope="module")
def module(exports):
    rank_dir, index_dir = exports
    return serving_export.ServingModule(
        tf.saved_model.load(rank_dir), retrieval_index.load(index_dir), K
    )


def test_first_k_not_excluded_matches_a_loop():
    rng = np.random.default_rng(0)
    for m, e, k in [(8, 3, 4), (6, 0, 4), (3, 2, 5), (10, 10, 10)]:
        video_ids = rng.integers(-1, 12, size=[16, m]).astype(np.int64)
        excluded = rng.integers(-1, 12, size=[16, e]).astype(np.int64)
        got = serving_export.first_k_not_excluded(
            tf.constant(video_ids), tf.constant(excluded), k
        ).numpy()
        np.testing.assert_array_equal(got, reference_first_k(video_ids, excluded, k))


def test_recommend_leaves_out_the_history_and_ranks_the_next_k(module):
    user = np.array([0, 7], np.int64)
    # user 0's index ranking starts 0, 1, 2, ...: the history takes 0, 2 and 3 of its top 5
    history = np.array([[0, 2, 3, -1], [-1, -1, -1, -1]], np.int64)
    play = np.where(history >= 0, 5000, 0).astype(np.int64)
    out = module.recommend(tf.constant(user), tf.constant(history), tf.constant(play))
    ids = out["video_ids"].numpy()
    assert sorted(ids[0]) == [1, 4, 5, 6, 7]  # the first five of the ranking not in the history
    assert sorted(ids[1]) == index_ranking(7)[:K]  # an empty history leaves out nothing
    # the policy's order and scores over exactly those candidates
    ranked = module.rank(
        tf.constant(user), tf.constant(history), tf.constant(play), tf.constant(ids)
    )
    scores = ranked["scores"].numpy()
    np.testing.assert_array_equal(ids, ranked["ranked_video_ids"].numpy())
    np.testing.assert_allclose(out["scores"].numpy(), scores)
    assert (np.diff(out["scores"].numpy(), axis=1) <= 0).all()  # best first


def test_recommend_excluding_also_leaves_out_the_excluded(module):
    user = np.array([0, 25], np.int64)
    history = np.array([[0, -1], [-1, -1]], np.int64)
    play = np.zeros_like(history)
    excluded = np.array([[1, 2, 9, -1], [25, 27, 28, 29]], np.int64)
    out = module.recommend_excluding(
        tf.constant(user), tf.constant(history), tf.constant(play), tf.constant(excluded)
    )
    ids = out["video_ids"].numpy()
    assert sorted(ids[0]) == [3, 4, 5, 6, 7]
    assert sorted(ids[1]) == [0, 1, 2, 3, 26]  # user 25's ranking wraps around past 29
    plain = module.recommend(tf.constant(user), tf.constant(history), tf.constant(play))
    assert set(plain["video_ids"].numpy()[0]) == {1, 2, 3, 4, 5}


def test_an_exhausted_index_pads_the_tail(module):
    everything_but_two = np.array([[v for v in range(NUM_VIDEOS) if v not in (4, 11)]], np.int64)
    history = np.full([1, 3], -1, np.int64)
    out = module.recommend_excluding(
        tf.constant([0], tf.int64), tf.constant(history), tf.zeros_like(history),
        tf.constant(everything_but_two),
    )  # fmt: skip
    ids, scores = out["video_ids"].numpy()[0], out["scores"].numpy()[0]
    assert sorted(ids[:2]) == [4, 11] and (ids[2:] == -1).all()
    assert (scores[2:] == np.float32(fsm.PADDED_SCORE)).all()


def test_a_mismatched_exclusion_batch_is_an_invalid_argument(module):
    history = np.full([2, 3], -1, np.int64)
    with pytest.raises(tf.errors.InvalidArgumentError, match="exclude_video_ids"):
        module.recommend_excluding(
            tf.constant([0, 1], tf.int64), tf.constant(history), tf.zeros_like(history),
            tf.constant([[1, 2]], tf.int64),
        )  # fmt: skip


def test_published_export_answers_like_the_module_and_warms_every_signature(
    exports, module, tmp_path
):
    rank_dir, index_dir = exports
    path = serving_export.export_serving_model(
        rank_dir, index_dir, str(tmp_path), num_candidates=K, history_length=4
    )
    assert path == os.path.join(str(tmp_path), "tscac", "1")
    loaded = tf.saved_model.load(path).signatures
    assert {"rank", "recommend", "recommend_excluding", "serving_default"} <= set(loaded)
    inputs = {
        "user_id": tf.constant([3, 10**12], tf.int64),
        "history_video_ids": tf.constant([[3, 5, -1, -1], [-1, -1, -1, -1]], tf.int64),
        "history_play_time_ms": tf.constant([[900, 20000, 0, 0], [0, 0, 0, 0]], tf.int64),
    }
    excluded = tf.constant([[4, 6], [-1, -1]], tf.int64)
    for name, got, want in [
        ("recommend", loaded["recommend"](**inputs), module.recommend(**inputs)),
        ("serving_default", loaded["serving_default"](**inputs), module.recommend(**inputs)),
        (
            "recommend_excluding",
            loaded["recommend_excluding"](**inputs, exclude_video_ids=excluded),
            module.recommend_excluding(**inputs, exclude_video_ids=excluded),
        ),
    ]:
        for output in ("video_ids", "scores", "preference"):
            np.testing.assert_allclose(got[output].numpy(), want[output].numpy(), err_msg=name)
    assert not set(loaded["recommend"](**inputs)["video_ids"].numpy()[0]) & {3, 5}
    warmed = [
        log.predict_log.request.model_spec.signature_name
        for log in serving_layout.read_warmup_requests(path)
    ]
    assert set(warmed) == {"rank", "recommend", "recommend_excluding"}


class TopKOnly(tf.Module):
    """A real index as exported before `top_k_excluding` existed: only `top_k`."""

    def __init__(self, index):
        super().__init__()
        self._index = index

    @tf.function(input_signature=[*QUERY, tf.TensorSpec([], tf.int32, "k")])
    def top_k(self, user_id, history_video_ids, history_play_time_ms, k):
        return self._index.top_k(user_id, history_video_ids, history_play_time_ms, k)


def test_a_real_index_masks_before_the_top_k_like_the_older_indexes_filter_after(exports, tmp_path):
    from tscac_tf.retrieval import config
    from tscac_tf.testing import fake_retrieval_model, fake_sessions

    world = fake_sessions.FakeWorld(num_users=6, num_videos=NUM_VIDEOS, train_sessions=1)
    tables = fake_sessions.write_fake_sessions(str(tmp_path / "data"), world)
    index = fake_retrieval_model.untrained_index(tables, config.preset("small"))
    rank = tf.saved_model.load(exports[0])
    masked = serving_export.ServingModule(rank, index, K)
    filtered = serving_export.ServingModule(rank, TopKOnly(index), K)
    videos = tables.video_ids[1:]
    inputs = {
        "user_id": tf.constant(tables.user_ids[[1, 2, 3]], tf.int64),
        "history_video_ids": tf.constant(
            [videos[[0, 4, 9]], [videos[3], -1, -1], [-1, -1, -1]], tf.int64
        ),
        "history_play_time_ms": tf.constant(
            [[900, 20000, 3000], [5000, 0, 0], [0, 0, 0]], tf.int64
        ),
    }
    excluded = tf.constant([videos[10:20], videos[:10], np.full(10, -1)], tf.int64)
    for name, args in (("recommend", {}), ("recommend_excluding", {"exclude_video_ids": excluded})):
        got = getattr(masked, name)(**inputs, **args)
        want = getattr(filtered, name)(**inputs, **args)
        for output in ("video_ids", "scores", "preference"):
            np.testing.assert_allclose(got[output].numpy(), want[output].numpy(), err_msg=name)
        left_out = np.concatenate(
            [inputs["history_video_ids"].numpy(), excluded.numpy() if args else excluded[:, :0]],
            axis=1,
        )
        for row, gone in zip(got["video_ids"].numpy().tolist(), left_out.tolist(), strict=True):
            assert len(set(row) - {-1}) == K and not set(row) & set(gone), name
