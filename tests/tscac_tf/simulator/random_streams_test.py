"""Counter-based draws: pure functions of (seed, keys), uniform, independent of the batch."""

import numpy as np

from tscac_tf.simulator import random_streams as rs


def test_same_keys_same_draws_whatever_the_batch():
    users = np.arange(1000)
    whole = rs.uniform(7, rs.Stream.ATTENTION, users, 3)
    part = rs.uniform(7, rs.Stream.ATTENTION, users[[5, 900, 17]], 3)
    np.testing.assert_array_equal(part, whole[[5, 900, 17]])


def test_seed_stream_and_keys_all_change_the_draws():
    base = rs.uniform(1, rs.Stream.ATTENTION, np.arange(100))
    for other in (
        rs.uniform(2, rs.Stream.ATTENTION, np.arange(100)),
        rs.uniform(1, rs.Stream.LEAVE, np.arange(100)),
        rs.uniform(1, rs.Stream.ATTENTION, np.arange(100) + 100),
    ):
        assert np.mean(other == base) < 0.01


def test_uniforms_are_uniform_in_the_open_interval():
    u = rs.uniform(3, np.arange(200_000))
    assert 0.0 < u.min() and u.max() < 1.0
    assert abs(u.mean() - 0.5) < 0.005
    assert abs(u.var() - 1 / 12) < 0.002
    counts = np.histogram(u, bins=10, range=(0, 1))[0]
    assert counts.min() > 19_000 and counts.max() < 21_000


def test_pairs_and_triples_split_one_hash_into_uncorrelated_uniforms():
    h = rs.hash_keys(5, np.arange(100_000))
    for parts in (rs.to_uniform_pair(h), rs.to_uniform_triple(h)):
        for u in parts:
            assert 0.0 < u.min() and u.max() < 1.0 and abs(u.mean() - 0.5) < 0.01
        assert abs(np.corrcoef(parts[0], parts[1])[0, 1]) < 0.02


def test_extend_equals_hashing_the_keys_in_one_go():
    base = rs.hash_keys(9, np.arange(10), 4)
    np.testing.assert_array_equal(rs.extend(base, 8), rs.hash_keys(9, np.arange(10), 4, 8))


def test_negative_keys_are_valid_and_distinct():
    assert rs.hash_keys(0, -1) != rs.hash_keys(0, 1)


def test_category_key_is_stable():
    assert rs.category_key("upload_type", "Web") == rs.category_key("upload_type", "Web")
    assert rs.category_key("upload_type", "Web") != rs.category_key("music_type", "Web")
    assert rs.category_key("a", 1) == 2372022401  # crc32(b"a=1"), the same in every process
