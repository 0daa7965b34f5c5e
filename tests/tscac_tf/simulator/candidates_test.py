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


def test_videos_seen_in_earlier_sessions_are_never_offered(small_world):
    videos = small_world.population.videos
    state = us.UserState.initial(small_world.population, np.arange(50), 20)
    base = rs.hash_keys(3, np.arange(50))
    unfiltered = small_world.candidate_generator.generate(
        state.interest, state.history_video, base, state.seen
    )
    rows = np.arange(50)
    for step in range(10):  # show each lane its first candidate, then start a new session
        shown = small_world.candidates(state, rows, rs.hash_keys(step, rows))[:, 0]
        us.apply_exposure(
            state, rows, shown, np.zeros(50, np.int64), np.zeros(50), np.zeros(50),
            np.zeros(50, np.int64), videos, small_world.config.dynamics,
        )  # fmt: skip
        us.start_sessions(state, rows, small_world.config.dynamics)
    assert (state.history_video == -1).all()  # nothing left to exclude but `seen`
    shown_before = {lane: set() for lane in range(50)}
    for lane, row in enumerate(np.unpackbits(state.seen, axis=1, bitorder="little")):
        shown_before[lane] = set(np.nonzero(row)[0].tolist())
    assert all(len(s) == 10 for s in shown_before.values())
    after = small_world.candidate_generator.generate(
        state.interest, state.history_video, base, state.seen
    )
    for lane in range(50):
        assert not set(after[lane].tolist()) & shown_before[lane]
        assert len(set(after[lane].tolist())) == 50
    # the same request without the filter offers some of them again
    assert any(set(unfiltered[lane].tolist()) & shown_before[lane] for lane in range(50))


def test_a_user_who_has_seen_almost_everything_still_gets_k_distinct_videos(small_world):
    from tscac_tf.simulator.candidates import CandidateGenerator

    generator = CandidateGenerator(small_world.population.videos, small_world.config.behavior)
    num_videos = small_world.population.videos.ids.size
    seen = np.zeros((1, us.seen_bytes(num_videos)), np.uint8)
    unseen = np.arange(10)
    bits = np.ones(num_videos, np.uint8)
    bits[unseen] = 0
    seen[0] = np.packbits(np.pad(bits, (0, seen.shape[1] * 8 - num_videos)), bitorder="little")
    out = generator._first_distinct(np.zeros((1, 100), np.int64), np.array([[-1]]), 50, seen)
    assert len(set(out[0].tolist())) == 50
    assert set(unseen.tolist()) <= set(out[0].tolist())  # the unseen ones come first
