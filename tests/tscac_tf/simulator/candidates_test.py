"""The candidate generator: K distinct unseen videos, from the user's tags and the popular."""

import numpy as np

from tscac_tf.simulator import random_streams as rs
from tscac_tf.simulator import user_state as us


def _generate(world, interest, exclude, seed=0):
    base = rs.hash_keys(seed, np.arange(len(interest)))
    return world.candidate_generator.generate(interest, exclude, base)


def test_candidates_are_distinct_unseen_and_reproducible(small_world):
    state = us.UserState.initial(small_world.population, np.arange(50), 20)
    first = _generate(small_world, state.interest, state.history_video)
    state.history_video[:, :3] = first[:, :3]
    second = _generate(small_world, state.interest, state.history_video)
    assert second.shape == (50, 50)
    for row, seen in zip(second, state.history_video, strict=True):
        assert len(set(row.tolist())) == 50
        assert not set(row.tolist()) & set(seen[seen >= 0].tolist())
    np.testing.assert_array_equal(
        second, _generate(small_world, state.interest, state.history_video)
    )


def test_interest_draws_follow_the_users_tags(small_world):
    videos = small_world.population.videos
    t = videos.num_tags
    interest = np.full((200, t + 1), -10.0)
    favourite = int(np.argmax(np.bincount(videos.tag_index.ravel(), minlength=t + 1)[:t]))
    interest[:, favourite] = 10.0
    interest[:, -1] = 0.0
    candidates = _generate(small_world, interest, np.full((200, 20), -1))
    share = np.mean((videos.tag_index[candidates] == favourite).any(axis=-1))
    assert 0.5 < share < 0.8  # 60% interest draws, plus popular videos that carry the tag


def test_a_tiny_pool_is_filled_with_popular_unseen_videos(small_world):
    from tscac_tf.simulator.candidates import CandidateGenerator

    generator = CandidateGenerator(small_world.population.videos, small_world.config.behavior)
    draws = np.zeros((1, 100), np.int64)  # every draw the same video
    out = generator._first_distinct(draws, np.array([[5, -1]]), 50)
    assert len(set(out[0].tolist())) == 50 and 5 not in out[0] and out[0, 0] == 0
