"""The user's state: updates worked by hand, session starts, lasting follows."""

import numpy as np
import pytest

from tscac_tf.simulator import user_state as us
from tscac_tf.simulator.world_config import DynamicsConfig

CONFIG = DynamicsConfig()


@pytest.fixture()
def state(small_world):
    return us.UserState.initial(small_world.population, np.arange(3), history_length=4)


def _tagged_video(videos, tags: int):
    return int(np.nonzero((videos.tag_weight > 0).sum(axis=1) == tags)[0][0])


def test_initial_state(state, small_world):
    np.testing.assert_array_equal(state.interest[:, :-1], small_world.population.users.interest[:3])
    assert np.all(state.history_video == -1) and np.all(state.interest[:, -1] == 0)


def test_exposure_updates_by_hand(state, small_world):
    videos = small_world.population.videos
    v = _tagged_video(videos, 2)
    tags = videos.tag_index[v, :2]
    before = state.interest[1, tags].copy()
    state.saturation[1, tags] = 1.0
    state.satisfaction[1] = 0.5
    rows, video = np.array([1]), np.array([v])
    us.apply_exposure(
        state, rows, video, np.array([1234]), np.array([2.0]), np.array([1]), np.array([0]),
        videos, CONFIG,
    )  # fmt: skip
    # interest += drift · e · w = 0.05 · 2 · 0.5; saturation = 0.8 · 1 + 0.5 · 0.5.
    np.testing.assert_allclose(state.interest[1, tags], before + 0.05)
    np.testing.assert_allclose(state.saturation[1, tags], 0.8 + 0.25)
    assert state.satisfaction[1] == pytest.approx(0.6 * 0.5 + 0.4 * 2.0)
    assert state.annoyance[1] == 1.0 and state.position[1] == 1
    assert state.history_video[1, 0] == v and state.history_play_ms[1, 0] == 1234
    assert state.position[0] == 0 and state.satisfaction[0] == 0.0  # other lanes untouched


def test_experience_and_leave_logit_by_hand():
    assert us.experience(2, 1.0, 0, CONFIG) == pytest.approx(0.5 + 0.6)
    assert us.experience(0, 0.0, 1, CONFIG) == pytest.approx(-0.5 - 3.0)
    logit = us.leave_logit(1.0, 3, 0.5, 0.2, 1.0, 1, CONFIG)
    assert logit == pytest.approx(-1.2 - 0.4 + 0.04 * 3 - 1.2 * 0.5 + 0.5 * 0.2 + 1.0 + 1.5)


def test_session_start_resets_the_mood_and_shrinks_carry_overs(state):
    state.saturation[:] = 1.0
    state.satisfaction[:] = 2.0
    state.interest[0, 0] += 1.0
    state.history_video[:] = 5
    us.start_sessions(state, np.array([0]), CONFIG)
    assert state.satisfaction[0] == 0.0 and state.satisfaction[1] == 2.0
    assert state.saturation[0, 0] == pytest.approx(0.2)
    assert state.interest[0, 0] == pytest.approx(state.base_interest[0, 0] + 0.8)
    assert np.all(state.history_video[0] == -1) and np.all(state.history_video[1] == 5)


def test_a_follow_raises_affinity_to_the_author_for_good(state, small_world):
    videos = small_world.population.videos
    v = _tagged_video(videos, 1)
    rows, video = np.array([2]), np.array([v])
    before = us.affinity_terms(state, rows, video, videos, CONFIG)[0][0]
    us.apply_exposure(
        state, rows, video, np.array([1]), np.array([0.0]), np.array([0]), np.array([1]),
        videos, CONFIG,
    )  # fmt: skip
    us.start_sessions(state, rows, CONFIG)
    after = us.affinity_terms(state, rows, video, videos, CONFIG)[0][0]
    assert state.is_followed(rows, videos.author[video])[0]
    assert not state.is_followed(np.array([0]), videos.author[video])[0]
    saturation_left = CONFIG.saturation_session_carry * CONFIG.saturation_gain
    assert after == pytest.approx(before + CONFIG.follow_bonus - saturation_left)


def test_select_copies_lanes(state):
    part = state.select(np.array([2, 0]))
    part.satisfaction[:] = 9.0
    np.testing.assert_array_equal(part.user, [2, 0])
    assert np.all(state.satisfaction == 0.0)
