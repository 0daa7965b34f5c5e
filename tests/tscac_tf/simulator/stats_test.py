"""Statistics of a KuaiRand-format directory, checked on a hand-written real-named fixture."""

import datetime

import pandas as pd
import pytest

from tscac_tf.simulator import stats
from tscac_tf.specs import kuairand_schema as ks

_SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))


def _row(user, video, when, play=0, click=0, like=0, hate=0, tab=1, duration=10_000):
    moment = datetime.datetime.strptime(when, "%Y-%m-%d %H:%M").replace(tzinfo=_SHANGHAI)
    row = dict.fromkeys(ks.LOG_COLUMN_NAMES, 0)
    row.update(
        user_id=user, video_id=video, date=int(moment.strftime("%Y%m%d")),
        hourmin=moment.hour * 100, time_ms=int(moment.timestamp() * 1000), is_click=click,
        is_like=like, is_hate=hate, play_time_ms=play, duration_ms=duration, tab=tab,
    )  # fmt: skip
    return row


# user 1: sessions of 2, 1, 1, 1 exposures on 04-08 (twice), 04-09, 04-14 -> gaps 1 and 5 days
# user 2: sessions of 1 and 2 exposures on 04-22 and 04-24 -> gap 2 days
_PART1 = [
    _row(1, 10, "2022-04-08 10:00", play=12_000, click=1, like=1),
    _row(1, 11, "2022-04-08 10:01", play=2_000),
    _row(1, 12, "2022-04-08 12:00", play=30_000, click=1, tab=0),
    _row(1, 10, "2022-04-09 09:30", play=8_000, click=1),
    _row(1, 13, "2022-04-14 20:00", play=1_000, hate=1),
]
_PART2 = [
    _row(2, 10, "2022-04-22 08:00", play=4_000),
    _row(2, 14, "2022-04-24 21:00", play=40_000, click=1, tab=4),
    _row(2, 15, "2022-04-24 21:20", play=500),
]
_RANDOM = [_row(3, 16, "2022-04-25 10:00", play=9_000, click=1), _row(3, 17, "2022-04-25 10:01")]


@pytest.fixture(scope="module")
def real_named_dir(tmp_path_factory):
    directory = tmp_path_factory.mktemp("kuairand")
    for name, rows in (
        ("log_standard_4_08_to_4_21_27k_part1.csv", _PART1),
        ("log_standard_4_22_to_5_08_27k_part2.csv", _PART2),
        ("log_random_4_22_to_5_08_27k.csv", _RANDOM),
    ):
        pd.DataFrame(rows, columns=ks.LOG_COLUMN_NAMES).to_csv(directory / name, index=False)
    (directory / "notes.csv").write_text("not,a,log\n")
    return directory


def test_figures_by_hand(real_named_dir):
    figures = stats.compute_stats(str(real_named_dir))
    assert figures["files"] == {
        "log_standard_4_08_to_4_21_27k_part1.csv": 5,
        "log_standard_4_22_to_5_08_27k_part2.csv": 3,
    }
    assert (figures["rows"], figures["users"], figures["videos"]) == (8, 2, 6)
    assert figures["rates"]["click"] == pytest.approx(4 / 8)
    assert figures["rates"]["like"] == pytest.approx(1 / 8)
    assert figures["rates"]["hate"] == pytest.approx(1 / 8)
    assert figures["sessions"] == 6
    assert figures["session_depth"]["mean"] == pytest.approx(8 / 6)
    assert figures["session_depth"]["max"] == 2
    assert figures["return_gap_shares"] == pytest.approx(
        {"1": 1 / 3, "2": 1 / 3, "3": 0.0, "4": 0.0, "5+": 1 / 3}
    )
    assert figures["rows_per_user"]["max"] == 5 and figures["rows_per_user"]["min"] == 3
    assert figures["play_time_s"]["max"] == 40.0 and figures["duration_s"]["p50"] == 10.0
    assert figures["tab_shares"] == pytest.approx({"1": 6 / 8, "0": 1 / 8, "4": 1 / 8})
    assert figures["propensity"] is None
    # video 10 has 3 of the 8 rows; (user 1, video 10) is shown twice: one repeated row
    assert figures["concentration"] == pytest.approx(
        {"top_video_share": 3 / 8, "top_50_videos_share": 1.0, "repeated_pair_share": 1 / 8}
    )
    assert figures["random_log"] == {"rows": 2, "rates": pytest.approx(
        {"click": 0.5, "long_view": 0.0, "like": 0.0, "comment": 0.0, "follow": 0.0,
         "forward": 0.0, "hate": 0.0}
    )}  # fmt: skip


def test_report_puts_the_figures_beside_the_real_ones(real_named_dir):
    report = stats.format_report(stats.compute_stats(str(real_named_dir)))
    click = next(line for line in report.splitlines() if line.strip().startswith("click"))
    assert "50.000%" in click and "45.965%" in click
    assert "random-exposure logs: 2 rows" in report
    top = next(line for line in report.splitlines() if "most-shown video " in line)
    assert "37.500%" in top and "0.726%" in top  # 10,424 of 1,436,609 real rows
    assert "kuairand.com" in report


def test_session_depths_split_on_user_and_30_minute_gaps():
    user = [1, 1, 1, 2, 2]
    time_ms = [0, 30 * 60_000, 61 * 60_000, 0, 1]
    assert stats.session_depths(user, time_ms).tolist() == [2, 1, 2]


def test_errors_name_the_problem(tmp_path):
    with pytest.raises(FileNotFoundError, match="no KuaiRand log files"):
        stats.compute_stats(str(tmp_path))
    with pytest.raises(FileNotFoundError, match="is not a directory"):
        stats.compute_stats(str(tmp_path / "missing"))
    bad = tmp_path / "log_standard_4_08_to_4_21_pure.csv"
    pd.DataFrame([_row(1, 2, "2022-04-08 10:00")]).drop(columns=["is_hate"]).to_csv(
        bad, index=False
    )
    with pytest.raises(ValueError, match=r"missing KuaiRand log columns \['is_hate'\]"):
        stats.compute_stats(str(tmp_path))
    frame = pd.DataFrame([_row(1, 2, "2022-04-08 10:00")])
    frame["tab"] = "x"
    frame.to_csv(bad, index=False)
    with pytest.raises(ValueError, match="column 'tab' must be numeric"):
        stats.compute_stats(str(tmp_path))
