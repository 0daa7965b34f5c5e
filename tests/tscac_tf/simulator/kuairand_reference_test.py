"""The published KuaiRand-Pure figures and what the response model derives from them."""

import pytest

from tscac_tf.simulator import kuairand_reference as ref


def test_rates_are_positives_over_rows():
    assert ref.RATES["click"] == pytest.approx(0.4597, abs=1e-4)
    assert ref.RATES["hate"] == pytest.approx(710 / 1_436_609)


def test_co_occurrence_is_symmetric_with_positives_on_the_diagonal():
    for (a, b), count in ref.CO_OCCURRENCE.items():
        assert ref.CO_OCCURRENCE[(b, a)] == count
        if a == b:
            assert count == ref.POSITIVES[a]


def test_stage_sizes_partition_the_rows():
    sizes = ref.stage_sizes()
    assert sizes == (1_436_609 - 660_342, 660_342 - 474_789, 474_789)
    assert sum(sizes) == ref.NUM_ROWS


def test_stage_rates_by_hand():
    # like: 26,546 - 22,421 = 4,125 without click; 22,421 - 17,756 = 4,665 click only.
    assert ref.stage_rates("like") == pytest.approx(
        (4125 / 776_267, 4665 / 185_553, 17_756 / 474_789)
    )
    # hate is mostly on short plays: 390 of 710 hates have no click.
    assert ref.stage_rates("hate") == pytest.approx((390 / 776_267, 145 / 185_553, 175 / 474_789))


def test_stage_rates_reject_watch_signals():
    with pytest.raises(KeyError, match="interaction signal"):
        ref.stage_rates("click")


@pytest.mark.parametrize("signal", ["follow", "comment", "forward", "hate"])
def test_like_multiplier_reproduces_the_real_joint_count(signal):
    m = ref.like_multiplier(signal)
    likes, rates = ref.stage_rates("like"), ref.stage_rates(signal)
    joint = sum(
        n * l_s * m * r / (1 + (m - 1) * l_s)
        for n, l_s, r in zip(ref.stage_sizes(), likes, rates, strict=True)
    )
    assert joint == pytest.approx(ref.CO_OCCURRENCE[(signal, "like")], rel=1e-6)


def test_follows_come_with_likes_far_more_than_hates_do():
    assert ref.like_multiplier("follow") > 10 > ref.like_multiplier("comment") > 1
    assert ref.like_multiplier("hate") < 1.5
