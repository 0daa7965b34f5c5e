"""Ground truth and the oracle frontier on the small world (no trained model needed)."""

import numpy as np
import pytest

from tscac_tf.evaluation import ground_truth, oracle
from tscac_tf.simulator.world import World


@pytest.fixture(scope="module")
def world():
    return World.preset("small", seed=3)


CONFIG = ground_truth.GroundTruthConfig(num_users=40, num_sessions=1, seeds=(1, 2, 3))


def first(observation):
    return np.zeros(len(observation["user_id"]), np.int64)


def test_common_random_numbers_make_runs_identical(world):
    a = ground_truth.evaluate_policies(world, {"first": first}, CONFIG)["first"]
    b = ground_truth.evaluate_policies(world, {"first": first}, CONFIG)["first"]
    for metric in a:
        np.testing.assert_array_equal(a[metric], b[metric])
    assert len(a["depth"]) == 40 * 3
    assert (a["hate"] >= 0).all() and (a["depth"] >= 1).all()


def test_metrics_are_raw_counts_and_seconds(world):
    out = ground_truth.evaluate_policies(world, {"first": first}, CONFIG)["first"]
    # per-session totals of 0/1 flags can never exceed the session depth
    for name in ("click", "like", "follow", "comment", "forward", "hate"):
        assert (out[name] <= out["depth"]).all() and (out[name] >= 0).all()
    assert out["watch_time"].mean() > 0


def test_oracle_with_interaction_weight_trades_watch_time_for_interactions(world):
    rates = {"watch_time": 10.0, "click": 0.5, "like": 0.02, "follow": 0.001, "comment": 0.003,
             "forward": 0.001, "hate": -0.0005}  # fmt: skip
    policies = {
        "wt": oracle.myopic_oracle(world, 0.0, rates),
        "int": oracle.myopic_oracle(world, 5.0, rates),
    }
    out = ground_truth.evaluate_policies(world, policies, CONFIG, with_state=list(policies))
    per_step = {n: {m: v[m].sum() / v["depth"].sum() for m in v} for n, v in out.items()}
    assert per_step["wt"]["watch_time"] > per_step["int"]["watch_time"]
    assert per_step["int"]["like"] > per_step["wt"]["like"]


def test_frontier_fraction():
    rows = {
        "bc": {"group": "policy", "all_constraints_hold": True, "ground_truth": {"watch_time": {"mean": 100.0}}},
        "tscac": {"group": "policy", "all_constraints_hold": True, "ground_truth": {"watch_time": {"mean": 105.0}}},
        "oracle_a=0": {"group": "oracle", "all_constraints_hold": False, "ground_truth": {"watch_time": {"mean": 130.0}}},
        "oracle_a=1": {"group": "oracle", "all_constraints_hold": True, "ground_truth": {"watch_time": {"mean": 120.0}}},
    }  # fmt: skip
    assert oracle.frontier_best(rows) == "oracle_a=1"
    assert oracle.fraction_of_frontier(rows) == {"bc": 0.0, "tscac": pytest.approx(0.25)}


def test_config_validation():
    with pytest.raises(ValueError, match="at least 3 distinct seeds"):
        ground_truth.GroundTruthConfig(seeds=(1, 1, 2))
