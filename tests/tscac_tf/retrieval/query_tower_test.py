"""QueryTower: shapes, unit norm, padding masked out, unknown users, watch-ratio weighting."""

import numpy as np
import pytest
import tensorflow as tf

from tscac_tf.retrieval import config
from tscac_tf.retrieval.candidate_tower import CandidateTower
from tscac_tf.retrieval.query_tower import QueryTower
from tscac_tf.testing import fake_sessions, fake_transitions

WORLD = fake_sessions.FakeWorld(num_users=6, num_videos=20, train_sessions=1, eval_sessions=1)


@pytest.fixture(scope="module")
def towers(tmp_path_factory):
    tables = fake_sessions.write_fake_sessions(str(tmp_path_factory.mktemp("data")), WORLD)
    cfg = config.preset("small").towers
    tf.keras.utils.set_random_seed(0)
    candidate = CandidateTower(tables, cfg)
    return tables, candidate, QueryTower(tables, candidate, cfg)


def _query(tower, user, ids, play):
    return tower(
        {
            "user_id": tf.constant(user, tf.int64),
            "history_video_ids": tf.constant(ids, tf.int64),
            "history_play_time_ms": tf.constant(play, tf.int64),
        }
    ).numpy()


def test_query_is_unit_direction_plus_one_and_candidate_direction_plus_prior(towers):
    tables, candidate, query = towers
    videos = tables.video_ids[1:4]
    out = _query(
        query,
        [tables.user_ids[1], tables.user_ids[2]],
        [videos, [-1, -1, -1]],
        [[9000] * 3, [0] * 3],
    )
    d = config.preset("small").towers.embedding_dim
    assert out.shape == (2, d + 1)
    np.testing.assert_allclose(np.linalg.norm(out[:, :d], axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(out[:, d], 1.0)
    e = candidate(tf.constant(videos)).numpy()
    direction = candidate.direction(tf.constant(videos)).numpy()
    assert e.shape == (3, d + 1)
    np.testing.assert_allclose(e[:, :d], direction, rtol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(direction, axis=1), 1.0, rtol=1e-5)
    # The score is cos(u, direction(v)) + b(v).
    scores = out @ e.T
    np.testing.assert_allclose(scores, out[:, :d] @ direction.T + e[:, d][None, :], rtol=1e-5)


def test_padding_does_not_change_the_query(towers):
    tables, _, query = towers
    user, (a, b) = [tables.user_ids[3]], tables.video_ids[1:3]
    short = _query(query, user, [[a, b]], [[4000, 12000]])
    long = _query(query, user, [[a, b, -1, -1, -1]], [[4000, 12000, 0, 0, 0]])
    np.testing.assert_allclose(short, long, atol=1e-6)


def test_unknown_users_are_valid_and_share_the_unknown_row(towers):
    tables, _, query = towers
    history = [[tables.video_ids[5], -1]]
    a = _query(query, [999_999], history, [[3000, 0]])
    b = _query(query, [-42], history, [[3000, 0]])
    known = _query(query, [tables.user_ids[1]], history, [[3000, 0]])
    np.testing.assert_allclose(a, b)
    assert np.all(np.isfinite(a)) and not np.allclose(a, known)


def test_watch_ratio_changes_the_query(towers):
    tables, _, query = towers
    user, (a, b) = [tables.user_ids[2]], tables.video_ids[1:3]
    watched_a = _query(query, user, [[a, b]], [[60_000, 100]])
    watched_b = _query(query, user, [[a, b]], [[100, 60_000]])
    assert not np.allclose(watched_a, watched_b, atol=1e-4)


def test_candidate_tower_pools_every_tag_of_a_video():
    # Real KuaiRand-Pure rows: some videos have two tags; the second must reach e(v).
    tables = fake_transitions.fake_feature_tables(num_users=5, num_videos=60)
    two = np.nonzero((tables.video_tags > 0).sum(axis=1) == 2)[0]
    assert two.size, "the first 60 KuaiRand-Pure videos include two-tag videos"
    row = int(two[0])
    tf.keras.utils.set_random_seed(0)
    candidate = CandidateTower(tables, config.preset("small").towers)
    video = tf.constant([tables.video_ids[row]], tf.int64)
    first, second = tables.video_tags[row, :2]
    bag = candidate.tag_embedding(tf.constant([first, second])).numpy().mean(axis=0)
    features = candidate._features(video).numpy()[0]
    np.testing.assert_allclose(features[-bag.size :], bag, rtol=1e-6)
    before = candidate(video).numpy()
    codes = candidate._tag_codes.numpy()
    codes[row, 1] = 0  # drop the second tag only
    candidate._tag_codes.assign(codes)
    assert not np.allclose(candidate(video).numpy(), before, atol=1e-5)
    # the unknown video (padding, cold start) has no tags and pools to zeros
    unknown = candidate._features(tf.constant([-1], tf.int64)).numpy()[0]
    np.testing.assert_array_equal(unknown[-bag.size :], 0.0)
