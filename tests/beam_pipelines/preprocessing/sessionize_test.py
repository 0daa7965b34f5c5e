"""Session cutting on hand-made columns, checked against a plain loop."""

import numpy as np
import pytest

from beam_pipelines.preprocessing import sessionize

MIN = 60_000


def _loop_starts(users, times, dates, gap, new_day):
    starts = []
    for i in range(len(users)):
        starts.append(
            i == 0
            or users[i] != users[i - 1]
            or times[i] - times[i - 1] > gap
            or (new_day and dates[i] != dates[i - 1])
        )
    return starts


@pytest.mark.parametrize("new_day", [True, False])
def test_session_starts_match_a_loop(new_day):
    users = np.array([4, 4, 4, 4, 4, 128, 128, 128])
    times = np.array([0, 1, 20, 50, 51, 0, 15, 46]) * MIN
    dates = np.array([8, 8, 8, 8, 9, 8, 9, 9])
    got = sessionize.session_starts(users, times, dates, 30 * MIN, new_day)
    np.testing.assert_array_equal(got, _loop_starts(users, times, dates, 30 * MIN, new_day))


def test_gap_is_strictly_greater_and_day_change_splits():
    users = np.zeros(4, int)
    times = np.array([0, 30, 61, 62]) * MIN  # 30 min: same session; 31 min: new
    dates = np.array([8, 8, 8, 9])
    np.testing.assert_array_equal(
        sessionize.session_starts(users, times, dates, 30 * MIN, True), [1, 0, 1, 1]
    )
    np.testing.assert_array_equal(
        sessionize.session_starts(users, times, dates, 30 * MIN, False), [1, 0, 1, 0]
    )


def test_session_index_counts_per_user_and_date():
    users = np.array([4, 4, 4, 128, 4])
    dates = np.array([8, 8, 9, 8, 8])
    np.testing.assert_array_equal(sessionize.session_index(users, dates), [0, 1, 0, 0, 2])


def test_duplicates_keep_the_first_row_of_each_key():
    users = np.array([1, 1, 1, 1, 2])
    videos = np.array([5, 6, 5, 5, 5])
    times = np.array([10, 10, 10, 11, 10])
    duplicate, first = sessionize.duplicate_rows(users, videos, times)
    np.testing.assert_array_equal(duplicate, [0, 0, 1, 0, 0])
    np.testing.assert_array_equal(first, [0, 1, 0, 3, 4])


def test_event_order_breaks_ties_by_file_then_line():
    order = sessionize.event_order(
        user_id=np.array([2, 1, 1, 1]),
        time_ms=np.array([0, 5, 5, 1]),
        file_index=np.array([0, 1, 0, 1]),
        line=np.array([2, 2, 9, 3]),
    )
    np.testing.assert_array_equal(order, [3, 2, 1, 0])


def test_split_codes_by_inclusive_periods():
    codes = sessionize.split_codes(
        np.array([20220407, 20220408, 20220421, 20220422, 20220508, 20220509]),
        (20220408, 20220421),
        (20220422, 20220508),
    )
    np.testing.assert_array_equal(codes, [-1, 0, 0, 1, 1, -1])
