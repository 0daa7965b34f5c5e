"""Constraint check and blessing."""

import pytest

from tscac_tf.evaluation import constraints

BC = {
    "watch_time": 100.0,
    "click": 5.0,
    "like": 0.2,
    "follow": 0.01,
    "comment": 0.03,
    "forward": 0.01,
    "hate": 0.005,
}


def test_equal_to_bc_holds_but_is_not_blessed():
    assert all(constraints.constraint_status(BC, BC).values())
    blessed, reasons = constraints.blessing(BC, BC)
    assert not blessed and reasons == ["watch_time 100 does not beat BC 100"]


def test_hate_is_a_ceiling_and_others_floors():
    values = dict(BC, watch_time=110.0, hate=0.006, like=0.19)
    status = constraints.constraint_status(values, BC)
    assert status == {
        "click": True,
        "like": False,
        "follow": True,
        "comment": True,
        "forward": True,
        "hate": False,
    }
    blessed, reasons = constraints.blessing(values, BC)
    assert not blessed and reasons == ["like 0.19 < BC 0.2", "hate 0.006 > BC 0.005"]


def test_blessed_when_all_hold_and_watch_time_beats_bc():
    assert constraints.blessing(dict(BC, watch_time=101.0, hate=0.004), BC) == (True, [])


def test_missing_metric_is_named():
    with pytest.raises(KeyError, match="policy values have no 'hate'"):
        constraints.constraint_status({k: v for k, v in BC.items() if k != "hate"}, BC)
