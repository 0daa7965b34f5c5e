"""Walker/Vose alias tables draw each index with its weight's share."""

import numpy as np
import pytest

from tscac_tf.simulator import alias_table


def test_exact_probabilities_of_the_table():
    weights = np.array([1.0, 0.0, 3.0, 6.0])
    prob, alias = alias_table.build(weights)
    n = weights.size
    exact = prob / n
    for i in range(n):
        exact[alias[i]] += (1.0 - prob[i]) / n
    np.testing.assert_allclose(exact, weights / weights.sum(), atol=1e-12)


def test_draw_frequencies():
    weights = np.array([5.0, 1.0, 1.0, 3.0])
    prob, alias = alias_table.build(weights)
    rng = np.random.default_rng(0)
    draws = alias_table.draw(prob, alias, rng.random(200_000), rng.random(200_000))
    np.testing.assert_allclose(np.bincount(draws) / draws.size, weights / 10, atol=0.005)


def test_sub_tables_stored_back_to_back():
    p1, a1 = alias_table.build(np.array([1.0, 1.0]))
    p2, a2 = alias_table.build(np.array([0.0, 1.0, 0.0]))
    prob, alias = np.concatenate([p1, p2]), np.concatenate([a1, a2 + 2])
    rng = np.random.default_rng(1)
    draws = alias_table.draw(prob, alias, rng.random(1000), rng.random(1000), 2, 3)
    assert set(draws.tolist()) == {3}


def test_bad_weights_are_rejected():
    with pytest.raises(ValueError, match="weights >= 0 with a positive sum"):
        alias_table.build(np.array([0.0, -1.0]))
