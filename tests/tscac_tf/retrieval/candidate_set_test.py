"""Candidate sets: the logged video is always in C_t; insertion is seeded and recorded."""

import numpy as np
import pytest

from tscac_tf.retrieval import candidate_set


def test_hit_keeps_the_ranking_and_points_at_the_logged_video():
    rng = candidate_set.session_rng(0, "s")
    cands, index, inserted = candidate_set.attach_logged(
        np.array([[5, 6, 7, 8]]), np.array([7]), 3, rng
    )
    np.testing.assert_array_equal(cands, [[5, 6, 7]])
    assert index.tolist() == [2] and inserted.tolist() == [0]


def test_miss_replaces_the_lowest_ranked_candidate():
    rng = candidate_set.session_rng(0, "s")
    # 8 is retrieved at rank 4, outside K = 3: a miss.
    cands, index, inserted = candidate_set.attach_logged(
        np.array([[5, 6, 7, 8]]), np.array([8]), 3, rng
    )
    assert inserted.tolist() == [1]
    assert cands[0, index[0]] == 8
    assert sorted(cands[0].tolist()) == [5, 6, 8]  # 7, the lowest ranked, is gone
    kept = [v for v in cands[0] if v != 8]
    assert kept == [5, 6]  # the others keep their order


def test_logged_video_is_always_present_and_positions_are_spread():
    rng = np.random.default_rng(1)
    retrieved = np.stack([rng.permutation(100)[:10] for _ in range(400)])
    logged = rng.integers(0, 100, 400)
    cands, index, inserted = candidate_set.attach_logged(
        retrieved, logged, 10, candidate_set.session_rng(4, "u-1")
    )
    assert cands.shape == (400, 10)
    np.testing.assert_array_equal(cands[np.arange(400), index], logged)
    for t in range(400):
        assert len(set(cands[t].tolist())) == 10  # no duplicates
        assert inserted[t] == int(logged[t] not in retrieved[t])
    positions = np.bincount(index[inserted == 1], minlength=10)
    assert positions.min() > 0  # inserted at every position, not always last


def test_short_retrieval_is_padded_and_insertion_uses_a_free_slot():
    rng = candidate_set.session_rng(0, "s")
    cands, index, inserted = candidate_set.attach_logged(
        np.array([[4, 9, -1, -1]]), np.array([3]), 4, rng
    )
    assert inserted.tolist() == [1]
    assert sorted(cands[0, :3].tolist()) == [3, 4, 9] and cands[0, 3] == -1
    assert cands[0, index[0]] == 3


def test_same_seed_and_session_give_the_same_sets():
    retrieved = np.arange(60).reshape(6, 10)
    logged = np.array([99, 98, 3, 97, 96, 95])
    a = candidate_set.attach_logged(retrieved, logged, 5, candidate_set.session_rng(7, "x"))
    b = candidate_set.attach_logged(retrieved, logged, 5, candidate_set.session_rng(7, "x"))
    c = candidate_set.attach_logged(retrieved, logged, 5, candidate_set.session_rng(8, "x"))
    for left, right in zip(a, b, strict=True):
        np.testing.assert_array_equal(left, right)
    assert not np.array_equal(a[1], c[1])


def test_rejects_too_few_retrieved():
    with pytest.raises(ValueError, match="fewer than the 5 candidates"):
        candidate_set.attach_logged(
            np.zeros((2, 3), np.int64), np.zeros(2, np.int64), 5, np.random.default_rng(0)
        )


def _attach_loop(retrieved, logged, k, uniforms):
    """The rule written as a plain loop, one step at a time."""
    out, index, inserted = [], [], []
    for t in range(len(logged)):
        real = [v for v in retrieved[t, :k] if v != -1]
        if logged[t] in real:
            out.append(real + [-1] * (k - len(real)))
            index.append(real.index(logged[t]))
            inserted.append(0)
            continue
        kept = real[: k - 1]
        position = int(uniforms[t] * (len(kept) + 1))
        row = kept[:position] + [int(logged[t])] + kept[position:]
        out.append(row + [-1] * (k - len(row)))
        index.append(position)
        inserted.append(1)
    return np.array(out), np.array(index), np.array(inserted)


@pytest.mark.parametrize("real_per_step", [12, 6, 3, 0])
def test_vectorised_rule_equals_the_loop(real_per_step):
    rng = np.random.default_rng(real_per_step)
    steps, k = 300, 8
    retrieved = np.full((steps, 12), -1)
    for t in range(steps):
        n = rng.integers(0, real_per_step + 1)
        retrieved[t, :n] = rng.permutation(30)[:n]
    logged = rng.integers(0, 30, steps)
    got = candidate_set.attach_logged(retrieved, logged, k, candidate_set.session_rng(1, "v"))
    uniforms = candidate_set.session_rng(1, "v").random(steps)
    for left, right in zip(got, _attach_loop(retrieved, logged, k, uniforms), strict=True):
        np.testing.assert_array_equal(left, right)


def test_without_shown_drops_earlier_sessions_and_earlier_steps():
    # Session [7, 3, 9]; the user saw 5 in an earlier session. Step 0 may offer 3 and 9
    # (shown later), step 1 not 7, step 2 neither 7 nor 3. -1 is retrieval's padding.
    retrieved = np.array(
        [
            [5, 7, 3, 9, 1, -1],
            [7, 5, 3, 1, 9, 2],
            [3, 7, 2, 5, -1, -1],
        ]
    )
    kept = candidate_set.without_shown(retrieved, np.array([7, 3, 9]), np.array([5]), 3)
    np.testing.assert_array_equal(kept, [[7, 3, 9], [3, 1, 9], [2, -1, -1]])


def test_without_shown_keeps_the_ranking_when_nothing_was_shown():
    retrieved = np.array([[4, 2, 8], [8, 4, 2]])
    kept = candidate_set.without_shown(retrieved, np.array([1, 6]), np.zeros([0], np.int64), 2)
    np.testing.assert_array_equal(kept, retrieved[:, :2])


def test_without_shown_pads_when_k_exceeds_the_retrieved_width():
    kept = candidate_set.without_shown(np.array([[4, 2]]), np.array([9]), np.array([2]), 3)
    np.testing.assert_array_equal(kept, [[4, -1, -1]])


def _random_session(seed, steps, seen, width):
    """(session videos [steps], earlier videos [seen], rankings [steps, width]) of 40 videos."""
    rng = np.random.default_rng(seed)
    session = rng.choice(40, size=steps, replace=False)
    earlier = rng.choice(40, size=seen, replace=False)
    return session, earlier, np.stack([rng.permutation(40)[:width] for _ in session])


def test_without_shown_equals_the_loop():
    session, seen, retrieved = _random_session(4, steps=12, seen=10, width=30)
    kept = candidate_set.without_shown(retrieved, session, seen, 8)
    for t in range(len(session)):
        shown = set(seen.tolist()) | set(session[:t].tolist())
        expected = [v for v in retrieved[t].tolist() if v not in shown][:8]
        assert kept[t].tolist() == expected


def test_without_shown_of_some_steps_equals_those_rows_of_all_steps():
    session, seen, retrieved = _random_session(5, steps=9, seen=6, width=25)
    every = candidate_set.without_shown(retrieved, session, seen, 7)
    steps = np.array([8, 0, 3, 3])
    some = candidate_set.without_shown(retrieved[steps], session, seen, 7, steps=steps)
    np.testing.assert_array_equal(some, every[steps])


def test_without_shown_rejects_mismatched_steps():
    with pytest.raises(ValueError, match="retrieved"):
        candidate_set.without_shown(np.zeros([2, 3], np.int64), np.array([1]), np.array([]), 2)
    with pytest.raises(ValueError, match="steps"):
        candidate_set.without_shown(
            np.zeros([1, 3], np.int64), np.array([1, 2]), np.array([]), 2, steps=np.array([2])
        )
