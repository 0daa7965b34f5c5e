"""Tests for the KuaiRand schema against the real shipped tables."""

import csv
import os

import numpy as np
import pytest

from tscac_tf.specs import kuairand_schema as ks

PURE = os.path.join(os.path.dirname(ks.__file__), "..", "datasets", "kuairand_pure")


def _header(name):
    with open(os.path.join(PURE, name)) as f:
        return tuple(next(csv.reader(f)))


def test_user_and_video_columns_match_the_real_tables_exactly():
    assert _header("user_features_pure.csv") == ks.USER_COLUMN_NAMES
    assert _header("video_features_basic_pure.csv") == ks.VIDEO_COLUMN_NAMES


def test_log_columns_are_the_published_kuairand_order():
    assert ks.LOG_COLUMN_NAMES == (
        "user_id", "video_id", "date", "hourmin", "time_ms", "is_click", "is_like", "is_follow",
        "is_comment", "is_forward", "is_hate", "long_view", "play_time_ms", "duration_ms",
        "profile_stay_time", "comment_stay_time", "is_profile_enter", "is_rand", "tab",
    )  # fmt: skip


def test_real_active_degrees_are_all_known():
    with open(os.path.join(PURE, "user_features_pure.csv")) as f:
        seen = {row["user_active_degree"] for row in csv.DictReader(f)}
    assert seen <= set(ks.USER_ACTIVE_DEGREES)


@pytest.mark.parametrize(
    "name, version, part",
    [
        ("log_standard_4_08_to_4_21_pure.csv", "pure", None),
        ("log_standard_4_22_to_5_08_27k_part2.csv", "27k", "2"),
        ("log_random_4_22_to_5_08_1k.csv", "1k", None),
        ("log_standard_4_08_to_4_21_synthetic.csv", "synthetic", None),
    ],
)
def test_log_file_pattern_accepts_real_and_synthetic_names(name, version, part):
    match = ks.LOG_FILE_PATTERN.match(name)
    assert match and match["version"] == version and match["part"] == part


def test_log_file_pattern_rejects_other_files():
    assert ks.LOG_FILE_PATTERN.match("video_features_statistic_27k_part1.csv") is None


@pytest.mark.parametrize(
    "play, duration, click, long_view",
    [
        (5000, 5000, True, True),  # short video watched to the end
        (4999, 5000, False, False),
        (7001, 60000, True, False),  # valid play of a long video, but under 18 s
        (7000, 60000, False, False),
        (18000, 60000, True, True),
        (15000, 15000, True, True),  # duration <= 18 s: long view iff watched to the end
    ],
)
def test_click_and_long_view_definitions(play, duration, click, long_view):
    assert bool(ks.is_click(play, duration)) is click
    assert bool(ks.is_long_view(play, duration)) is long_view
    vec = ks.is_click(np.array([play, 0]), np.array([duration, 1000]))
    assert vec.tolist() == [click, False]
