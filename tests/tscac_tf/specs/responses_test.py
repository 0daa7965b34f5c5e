"""Tests for the response registry."""

import dataclasses
import re

import pytest

from tscac_tf.specs import responses


def test_registry_order_and_roles():
    assert responses.RESPONSE_NAMES == (
        "watch_time",
        "click",
        "like",
        "follow",
        "comment",
        "forward",
        "hate",
    )
    assert responses.MAIN_RESPONSE.name == "watch_time"
    assert [r.role for r in responses.RESPONSES].count("main") == 1
    assert responses.AUXILIARY_NAMES == responses.RESPONSE_NAMES[1:]


def test_rewards_from_raw_log_values():
    assert responses.get("watch_time").reward_from_raw(12_500) == pytest.approx(12.5)
    assert responses.get("hate").reward_from_raw(1) == -1.0
    assert responses.get("like").reward_from_raw(1) == 1.0


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("discount", 0.0, "discount γ must be in (0, 1]"),
        ("discount", 1.5, "discount γ must be in (0, 1]"),
        ("lagrange", -0.1, "λ must be >= 0"),
        ("sign", 2.0, "sign must be +1 or -1"),
        ("role", "side", "role must be 'main' or 'auxiliary'"),
    ],
)
def test_invalid_spec_is_rejected_with_the_field(field, value, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        dataclasses.replace(responses.get("click"), **{field: value})


def test_main_response_has_no_lambda():
    with pytest.raises(ValueError, match="main response has no λ"):
        dataclasses.replace(responses.MAIN_RESPONSE, lagrange=1.0)


def test_unknown_name_lists_the_registry():
    with pytest.raises(KeyError, match="watch_time"):
        responses.get("share")


def test_check_names_reports_got_and_expected():
    responses.check_names(list(reversed(responses.RESPONSE_NAMES)), "reward")
    with pytest.raises(ValueError, match="reward has 2 responses"):
        responses.check_names(["click", "like"], "reward")


def test_overrides_shared_and_per_response():
    specs = responses.with_overrides(
        discounts={"like": 0.5}, shared_lagrange=2.0, lagranges={"hate": 3.0}
    )
    by_name = {s.name: s for s in specs}
    assert by_name["like"].discount == 0.5
    assert by_name["click"].discount == responses.get("click").discount
    assert by_name["click"].lagrange == 2.0
    assert by_name["hate"].lagrange == 3.0
    assert by_name["watch_time"].lagrange == 0.0
    with pytest.raises(KeyError):
        responses.with_overrides(discounts={"nope": 0.5})
    with pytest.raises(ValueError):
        responses.with_overrides(lagranges={"watch_time": 1.0})
