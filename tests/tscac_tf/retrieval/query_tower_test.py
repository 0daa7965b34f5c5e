"""QueryTower: shapes, unit norm, padding masked out, unknown users, watch-ratio weighting."""

import dataclasses

import numpy as np
import pytest
import tensorflow as tf

from tscac_tf.retrieval import config, tag_profile
from tscac_tf.retrieval.candidate_tower import CandidateTower
from tscac_tf.retrieval.query_tower import QueryTower
from tscac_tf.testing import fake_sessions, fake_transitions

WORLD = fake_sessions.FakeWorld(num_users=6, num_videos=20, train_sessions=1, eval_sessions=1)


@pytest.fixture(scope="module")
def towers(tmp_path_factory):
    data = str(tmp_path_factory.mktemp("data"))
    tables = fake_sessions.write_fake_sessions(data, WORLD)
    cfg = config.preset("small").towers
    tf.keras.utils.set_random_seed(0)
    candidate = CandidateTower(tables, cfg)
    profile = tag_profile.from_split(data, tables, smoothing=2.0)
    return tables, candidate, QueryTower(tables, candidate, cfg, profile, profile_weight=0.3)


def _query(tower, user, ids, play):
    return tower(
        {
            "user_id": tf.constant(user, tf.int64),
            "history_video_ids": tf.constant(ids, tf.int64),
            "history_play_time_ms": tf.constant(play, tf.int64),
        }
    ).numpy()


def test_query_is_direction_one_and_profile_and_candidate_direction_prior_and_tags(towers):
    tables, candidate, query = towers
    videos = tables.video_ids[1:4]
    users = [tables.user_ids[1], tables.user_ids[2]]
    out = _query(query, users, [videos, [-1, -1, -1]], [[9000] * 3, [0] * 3])
    d, t = config.preset("small").towers.embedding_dim, tables.num_tag_codes
    assert out.shape == (2, d + 1 + t)
    np.testing.assert_allclose(np.linalg.norm(out[:, :d], axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(out[:, d], 1.0)
    log_profile = query.tag_log_profile.numpy()[tables.user_rows(np.array(users))]
    assert np.ptp(log_profile[0]) > 0  # a real profile, not the untrained zeros
    np.testing.assert_allclose(out[:, d + 1 :], 0.3 * log_profile, rtol=1e-6)
    e = candidate(tf.constant(videos)).numpy()
    direction = candidate.direction(tf.constant(videos)).numpy()
    shares = tag_profile.video_tag_shares(tables)[tables.video_rows(videos)]
    assert e.shape == (3, d + 1 + t)
    np.testing.assert_allclose(e[:, :d], direction, rtol=1e-6)
    np.testing.assert_allclose(e[:, d + 1 :], shares, rtol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(direction, axis=1), 1.0, rtol=1e-5)
    # The score is cos(u, direction(v)) + b(v) + w Σ_t s_vt log P̂(t | u).
    scores = out @ e.T
    want = out[:, :d] @ direction.T + e[:, d][None, :] + 0.3 * log_profile @ shares.T
    np.testing.assert_allclose(scores, want, rtol=1e-5)


def test_without_the_tag_profile_the_embeddings_are_direction_and_one_or_prior(towers):
    tables = towers[0]
    cfg = dataclasses.replace(config.preset("small").towers, tag_profile=False)
    candidate = CandidateTower(tables, cfg)
    query = QueryTower(tables, candidate, cfg)
    out = _query(query, [tables.user_ids[1]], [[tables.video_ids[2]]], [[5000]])
    assert out.shape == (1, cfg.embedding_dim + 1) and out[0, -1] == 1.0
    assert candidate(tf.constant(tables.video_ids[1:3])).shape == (2, cfg.embedding_dim + 1)
    with pytest.raises(ValueError, match="tag_log_profile must be"):
        QueryTower(tables, candidate, config.preset("small").towers, np.zeros([2, 2]))


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
