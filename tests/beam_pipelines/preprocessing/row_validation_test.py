"""Row validation: one reason per bad row, and the real tables' quirks pass."""

import os

import numpy as np
import pandas as pd
import pytest

from beam_pipelines.preprocessing import csv_blocks, input_files, row_validation
from beam_pipelines.preprocessing import dead_letters as dl
from tscac_tf.specs import kuairand_schema as ks

FIXTURE = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "kuairand_format")
GOOD = "4,7,20220408,1000,1649383260000,1,1,0,0,0,0,1,30000,20000,0,0,0,0,1"


def _validate_logs(lines):
    block = csv_blocks.parse_block(("\n".join(lines) + "\n").encode(), 2, ks.LOG_COLUMN_NAMES)
    return row_validation.validate(block.frame, ks.LOG_COLUMNS)


def _with(column, value):
    fields = GOOD.split(",")
    fields[ks.LOG_COLUMN_NAMES.index(column)] = value
    return ",".join(fields)


@pytest.mark.parametrize(
    "column, value, reason, detail",
    [
        ("play_time_ms", "-5", dl.OUT_OF_RANGE, "play_time_ms=-5: expected >= 0"),
        ("is_like", "2", dl.OUT_OF_RANGE, "is_like=2: expected <= 1"),
        ("video_id", "abc", dl.NOT_A_NUMBER, "video_id='abc': expected a number (int)"),
        ("time_ms", "1.5", dl.NOT_AN_INTEGER, "time_ms=1.5: expected an integer"),
        ("user_id", "", dl.MISSING_VALUE, "user_id='': expected a value"),
        ("date", "20220231", dl.BAD_DATE, "date=20220231: expected a calendar date yyyymmdd"),
        ("date", "2022048", dl.BAD_DATE, "date=2022048: expected a calendar date yyyymmdd"),
        ("date", "2022-04-08", dl.NOT_A_NUMBER, "date='2022-04-08': expected a number (date)"),
        ("hourmin", "1260", dl.BAD_HOURMIN, "hourmin=1260: expected hhmm"),
        ("tab", "15", dl.OUT_OF_RANGE, "tab=15: expected <= 14"),
    ],
)
def test_each_bad_field_gets_its_reason(column, value, reason, detail):
    checked = _validate_logs([GOOD, _with(column, value)])
    np.testing.assert_array_equal(checked.ok, [True, False])
    ((row, got_reason, got_detail),) = checked.failures
    assert (row, got_reason) == (1, reason)
    assert got_detail.startswith(detail)


def test_first_failing_column_in_schema_order_wins():
    line = _with("video_id", "x").replace(",30000,", ",-1,")
    checked = _validate_logs([line])
    assert checked.failures[0][1] == dl.NOT_A_NUMBER and "video_id" in checked.failures[0][2]


def test_clean_numeric_columns_stay_int64():
    checked = _validate_logs([GOOD, GOOD])
    assert checked.ok.all() and checked.values["time_ms"].dtype == np.int64
    assert checked.values["time_ms"][0] == 1649383260000


def _read_table(name, columns):
    path = os.path.join(FIXTURE, name)
    data, first_line = next(csv_blocks.read_blocks(path, -1))
    text = [c.name for c in columns if c.kind == "str"]
    return csv_blocks.parse_block(data, first_line, input_files.read_header(path), text).frame


def test_real_user_rows_with_quirks_pass():
    # Real KuaiRand-Pure rows: -124 missing codes, UNKNOWN degree, "[100,1k)" and "0"
    # range strings, empty onehot_feat4 and onehot_feat12..17.
    frame = _read_table("user_features.csv", ks.USER_COLUMNS)
    checked = row_validation.validate(
        frame, ks.USER_COLUMNS, {"user_active_degree": ks.USER_ACTIVE_DEGREES}
    )
    assert checked.ok.all(), checked.failures
    assert list(checked.values["is_live_streamer"]) == [-124] * 4
    assert "UNKNOWN" in list(checked.values["user_active_degree"])
    assert np.isnan(checked.values["onehot_feat12"][1])
    assert checked.values["fans_user_num_range"][1] == "[100,1k)"


def test_real_video_rows_with_quirks_pass():
    # Empty video_duration, music_type and tag; AD video with UNKNOWN upload_type.
    frame = _read_table("video_features_basic.csv", ks.VIDEO_COLUMNS)
    checked = row_validation.validate(frame, ks.VIDEO_COLUMNS)
    assert checked.ok.all(), checked.failures
    assert checked.values["tag"].tolist() == ["39", "20,67", "39", "6", None, None]
    assert np.isnan(checked.values["video_duration"][1])


def test_unknown_category_and_missing_text():
    frame = _read_table("user_features.csv", ks.USER_COLUMNS).copy()
    frame.loc[0, "user_active_degree"] = "super_active"
    frame.loc[1, "register_days_range"] = np.nan
    frame.loc[2, "is_live_streamer"] = -3  # not the missing code, out of range
    checked = row_validation.validate(
        frame, ks.USER_COLUMNS, {"user_active_degree": ks.USER_ACTIVE_DEGREES}
    )
    reasons = {row: reason for row, reason, _ in checked.failures}
    assert reasons == {0: dl.BAD_CATEGORY, 1: dl.MISSING_VALUE, 2: dl.OUT_OF_RANGE}
    assert "super_active" in checked.failures[0][2]


def test_text_in_an_object_column_is_not_a_number():
    frame = pd.DataFrame({c: ["1"] for c in ks.LOG_COLUMN_NAMES}, dtype=object)
    frame["date"] = ["20220408"]
    frame["hourmin"] = ["True"]
    checked = row_validation.validate(frame, ks.LOG_COLUMNS)
    assert checked.failures[0][1] == dl.NOT_A_NUMBER
