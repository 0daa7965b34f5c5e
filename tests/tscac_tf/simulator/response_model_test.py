"""Watch and interaction model: closed-form expectations against sampling and by hand."""

import numpy as np
import pytest

from tscac_tf.simulator import response_model as rm
from tscac_tf.simulator.world_config import INTERACTIONS, ResponseConfig
from tscac_tf.specs import kuairand_schema as ks

CONFIG = ResponseConfig()
_N = 400_000


def _uniforms(n, seed=0):
    return np.random.default_rng(seed).random(n)


@pytest.mark.parametrize("duration_ms", [5_000, 12_000, 60_000, 300_000])
@pytest.mark.parametrize("mu", [-0.5, 1.5, 3.0])
def test_stage_probabilities_and_play_time_match_sampling(mu, duration_ms):
    watch = rm.watch_thresholds(np.array([duration_ms]), CONFIG)
    sigma = CONFIG.attention_sigma
    stages = rm.stage_probabilities(mu, watch["log_click_at"], watch["log_long_at"], sigma)[:, 0]
    play = rm.sample_play_ms(np.full(_N, mu), np.full(_N, duration_ms), _uniforms(_N), CONFIG)
    sampled = np.bincount(rm.stage_of(play, duration_ms), minlength=3) / _N
    np.testing.assert_allclose(stages, sampled, atol=4e-3)
    expected = rm.expected_play_s(mu, watch["cap_s"], watch["log_cap"], sigma)[0]
    assert expected == pytest.approx(play.mean() / 1000.0, rel=0.02)


def test_stage_of_uses_the_kuairand_definitions():
    play = np.array([3_000, 7_001, 7_000, 20_000, 9_000])
    duration = np.array([6_000, 60_000, 60_000, 60_000, 9_000])
    np.testing.assert_array_equal(rm.stage_of(play, duration), [0, 1, 0, 2, 2])
    click = ks.is_click(play, duration).astype(int)
    assert np.array_equal(rm.stage_of(play, duration) > 0, click == 1)


def test_short_videos_are_watched_to_the_end_more_often_long_ones_give_more_seconds():
    duration = np.array([8_000.0, 30_000.0, 200_000.0])
    watch = rm.watch_thresholds(duration, CONFIG)
    sigma = CONFIG.attention_sigma
    complete = 1.0 - rm.gaussian.normal_cdf((np.log(duration / 1000.0) - 1.0) / sigma)
    assert complete[0] > complete[1] > complete[2]
    seconds = rm.expected_play_s(1.0, watch["cap_s"], watch["log_cap"], sigma)
    assert seconds[0] < seconds[1] < seconds[2]


def test_plays_of_short_videos_can_loop_up_to_the_replay_cap():
    u = _uniforms(1000)
    short = rm.sample_play_ms(np.full(1000, 4.0), np.full(1000, 10_000), u, CONFIG)
    assert short.max() == 20_000 and np.any((short > 10_000) & (short < 20_000))
    long = rm.sample_play_ms(np.full(1000, 4.0), np.full(1000, 30_000), u, CONFIG)
    assert long.max() == 30_000


def test_neutral_pair_has_the_real_stage_rates():
    model = rm.InteractionModel(CONFIG)
    for stage in range(3):
        one_hot = np.eye(3)[stage][:, None]
        expected = model.expected(one_hot, np.zeros((len(INTERACTIONS), 1)), np.zeros(1, bool))
        for name in INTERACTIONS:
            assert expected[name][0] == pytest.approx(CONFIG.stage_rates[name][stage], rel=1e-9)


def test_expected_interactions_match_sampling():
    model = rm.InteractionModel(CONFIG)
    rng = np.random.default_rng(1)
    log_mult = np.array([[2.0], [2.5], [1.5], [2.0], [1.0]])  # INTERACTIONS order
    stages = np.array([[0.2], [0.3], [0.5]])
    expected = model.expected(stages, log_mult, np.zeros(1, bool))
    stage = rng.choice(3, size=_N, p=stages[:, 0])
    draws = model.sample(
        stage, np.repeat(log_mult, _N, axis=1), np.zeros(_N, bool), rng.random((5, _N))
    )
    for name in INTERACTIONS:
        assert draws[name].mean() == pytest.approx(expected[name][0], rel=0.05, abs=2e-4)
    hate = model.hate_given_stage(log_mult, np.zeros(1, bool))[:, 0]
    for s in range(3):
        assert draws["hate"][stage == s].mean() == pytest.approx(hate[s], rel=0.1, abs=2e-4)


def test_follows_come_with_likes():
    model = rm.InteractionModel(CONFIG)
    rng = np.random.default_rng(2)
    stage = np.full(_N, 2)
    draws = model.sample(stage, np.full((5, _N), 1.0), np.zeros(_N, bool), rng.random((5, _N)))
    liked = draws["like"] == 1
    assert draws["follow"][liked].mean() > 5 * draws["follow"][~liked].mean()


def test_no_follow_of_a_followed_author_and_probabilities_are_capped():
    model = rm.InteractionModel(CONFIG)
    followed = np.array([True, False])
    e = model.multipliers(np.full((5, 2), 30.0), followed)
    assert e[INTERACTIONS.index("follow"), 0] == 0.0
    expected = model.expected(
        np.array([[0.0, 0.0], [0.0, 0.0], [1.0, 1.0]]), np.full((5, 2), 30.0), followed
    )
    assert max(v.max() for v in expected.values()) <= CONFIG.max_probability + 1e-12
