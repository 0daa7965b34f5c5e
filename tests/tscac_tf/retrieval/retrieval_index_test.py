"""RetrievalIndex: exact top-k, padding past V, input checks, and the SavedModel round trip."""

import numpy as np
import pytest
import tensorflow as tf

from tscac_tf.retrieval import config, retrieval_index
from tscac_tf.testing import fake_retrieval_model, fake_sessions

WORLD = fake_sessions.FakeWorld(num_users=8, num_videos=40, train_sessions=1, eval_sessions=1)
CONFIG = config.preset("small")


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp("index")
    tables = fake_sessions.write_fake_sessions(str(root / "data"), WORLD)
    index = fake_retrieval_model.untrained_index(tables, CONFIG)
    exported = index.export(str(root / "model" / "index"))
    return tables, index, retrieval_index.load(exported), root


def _queries(tables):
    videos = tables.video_ids
    user_id = np.array([tables.user_ids[1], tables.user_ids[4], 123_456], np.int64)
    history = np.array([[videos[3], videos[9], -1], [-1, -1, -1], [999_999, videos[2], -1]])
    play = np.array([[4000, 20000, 0], [0, 0, 0], [800, 15000, 0]], np.int64)
    return user_id, history, play


def test_top_k_is_the_exact_inner_product_ranking(setup):
    tables, index, _, _ = setup
    user_id, history, play = _queries(tables)
    out = index.top_k(user_id, history, play, np.int32(7))
    assert out["video_ids"].dtype == tf.int64 and out["scores"].dtype == tf.float32
    assert out["video_ids"].shape == (3, 7)
    query = index.query_tower(
        {"user_id": user_id, "history_video_ids": history, "history_play_time_ms": play}
    ).numpy()
    all_videos = tables.video_ids[1:]
    scores = query @ index.brute_force._candidates.numpy().T
    order = np.argsort(-scores, axis=1, kind="stable")[:, :7]
    np.testing.assert_array_equal(out["video_ids"].numpy(), all_videos[order])
    np.testing.assert_allclose(
        out["scores"].numpy(), np.take_along_axis(scores, order, 1), atol=1e-5
    )


def test_k_beyond_the_number_of_videos_is_padded(setup):
    tables, index, _, _ = setup
    out = index.top_k(*_queries(tables), np.int32(45))
    ids, scores = out["video_ids"].numpy(), out["scores"].numpy()
    assert ids.shape == (3, 45)
    assert sorted(ids[0, :40]) == sorted(tables.video_ids[1:])
    assert np.all(ids[:, 40:] == -1) and np.all(scores[:, 40:] == retrieval_index.PADDING_SCORE)


def test_mismatched_history_shapes_are_invalid_arguments(setup):
    tables, index, _, _ = setup
    user_id, history, play = _queries(tables)
    with pytest.raises(tf.errors.InvalidArgumentError, match="same \\[B, H\\] shape"):
        index.top_k(user_id, history, play[:, :2], np.int32(3))
    with pytest.raises(tf.errors.InvalidArgumentError, match="same batch size"):
        index.top_k(user_id[:2], history, play, np.int32(3))


def test_export_round_trip_returns_the_in_memory_top_k(setup):
    tables, index, loaded, _ = setup
    queries = _queries(tables)
    expected = index.top_k(*queries, np.int32(10))
    got = loaded.top_k(*queries, np.int32(10))
    np.testing.assert_array_equal(got["video_ids"], expected["video_ids"])
    np.testing.assert_allclose(got["scores"], expected["scores"], rtol=1e-6)
    served = loaded.signatures["serving_default"](
        user_id=tf.constant(queries[0]),
        history_video_ids=tf.constant(queries[1]),
        history_play_time_ms=tf.constant(queries[2]),
    )
    assert served["video_ids"].shape == (3, CONFIG.index_top_n)
    np.testing.assert_array_equal(served["video_ids"][:, :10], expected["video_ids"])


def test_export_stores_the_video_embeddings_once(setup):
    tables, index, _, root = setup
    num_videos, dim = index.brute_force._candidates.shape
    assert num_videos == len(tables.video_ids) - 1
    saved = tf.train.list_variables(str(root / "model" / "index" / "variables" / "variables"))
    shapes = [tuple(shape) for _, shape in saved]
    assert shapes.count((num_videos, dim)) == 1, saved
    assert shapes.count((num_videos,)) == 1, saved  # the video ids, once too


def test_loaded_index_embeds_in_another_saved_model(setup, tmp_path):
    tables, index, loaded, _ = setup

    class Recommender(tf.Module):  # what the serving export does with the index
        def __init__(self, retrieval):
            super().__init__()
            self.retrieval = retrieval

        @tf.function(input_signature=retrieval_index.QUERY_SIGNATURE)
        def recommend(self, user_id, history_video_ids, history_play_time_ms):
            return self.retrieval.top_k(user_id, history_video_ids, history_play_time_ms, 5)

    tf.saved_model.save(Recommender(loaded), str(tmp_path / "outer"))
    outer = tf.saved_model.load(str(tmp_path / "outer"))
    queries = _queries(tables)
    np.testing.assert_array_equal(
        outer.recommend(*queries)["video_ids"], index.top_k(*queries, np.int32(5))["video_ids"]
    )


def test_export_replaces_a_previous_export_and_load_names_a_missing_one(setup):
    tables, index, _, root = setup
    path = index.export(str(root / "model" / "index"))
    assert sorted(p.name for p in (root / "model").iterdir()) == ["index"]
    reloaded = retrieval_index.load(path)
    queries = _queries(tables)
    np.testing.assert_array_equal(
        reloaded.top_k(*queries, np.int32(4))["video_ids"],
        index.top_k(*queries, np.int32(4))["video_ids"],
    )
    with pytest.raises(FileNotFoundError, match="saved_model.pb"):
        retrieval_index.load(str(root / "nothing"))


def _first_k_left(index, queries, excluded, k):
    """Reference: the full top_k ranking with the excluded ids dropped, the first k kept."""
    everything = index.top_k(*queries, np.int32(index.num_videos))["video_ids"].numpy()
    out = []
    for row, left_out in zip(everything.tolist(), excluded.tolist(), strict=True):
        kept = [v for v in row if v not in set(left_out)][:k]
        out.append(kept + [-1] * (k - len(kept)))
    return np.array(out, np.int64)


def test_top_k_excluding_is_top_k_without_the_excluded(setup):
    tables, index, loaded, _ = setup
    queries = _queries(tables)
    videos = tables.video_ids
    plain = index.top_k(*queries, np.int32(7))
    for model in (index, loaded):
        # nothing excluded (no columns, or only padding and unknown ids): exactly top_k
        for excluded in (np.zeros([3, 0], np.int64), np.array([[-1, 10**12]] * 3, np.int64)):
            out = model.top_k_excluding(*queries, excluded, np.int32(7))
            np.testing.assert_array_equal(out["video_ids"], plain["video_ids"])
            np.testing.assert_allclose(out["scores"], plain["scores"], rtol=1e-6, atol=1e-6)
    # each row leaves out some of its own top videos, another row's, a repeat and padding
    top = plain["video_ids"].numpy()
    excluded = np.array(
        [
            [top[0, 0], top[0, 2], top[0, 2], -1, videos[5]],
            [top[1, 1], top[0, 0], -1, -1, -1],
            [top[2, 0], top[2, 1], top[2, 3], top[2, 4], 10**12],
        ],
        np.int64,
    )
    want = _first_k_left(index, queries, excluded, 7)
    for model in (index, loaded):
        out = model.top_k_excluding(*queries, excluded, np.int32(7))
        np.testing.assert_array_equal(out["video_ids"], want)
        assert not any(
            set(row) & set(left) for row, left in zip(want.tolist(), excluded.tolist(), strict=True)
        )
        # the scores are top_k's scores of the same videos
        full = index.top_k(*queries, np.int32(index.num_videos))
        score_of = [
            dict(zip(ids, s, strict=True))
            for ids, s in zip(full["video_ids"].numpy(), full["scores"].numpy(), strict=True)
        ]
        np.testing.assert_allclose(
            out["scores"].numpy(),
            [[score_of[r][v] for v in row] for r, row in enumerate(want.tolist())],
            rtol=1e-5,
            atol=1e-5,
        )


def test_top_k_excluding_pads_when_the_index_runs_out_and_checks_the_batch(setup):
    tables, index, _, _ = setup
    user_id, history, play = _queries(tables)
    kept = tables.video_ids[[6, 17]]
    everything_else = np.setdiff1d(tables.video_ids[1:], kept)
    excluded = np.broadcast_to(everything_else, (3, everything_else.size))
    out = index.top_k_excluding(user_id, history, play, excluded, np.int32(5))
    ids, scores = out["video_ids"].numpy(), out["scores"].numpy()
    assert all(sorted(row[:2]) == sorted(kept) for row in ids)
    assert np.all(ids[:, 2:] == -1) and np.all(scores[:, 2:] == retrieval_index.PADDING_SCORE)
    with pytest.raises(tf.errors.InvalidArgumentError, match="exclude_video_ids"):
        index.top_k_excluding(user_id, history, play, excluded[:2], np.int32(5))
