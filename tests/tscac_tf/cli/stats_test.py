"""`tscac stats DIR [--json PATH]` on a synthetic-format fixture and on an empty directory."""

import json

import pandas as pd

from tscac_tf import cli
from tscac_tf.specs import kuairand_schema as ks


def _write_log(directory):
    rows = []
    for i in range(10):
        row = dict.fromkeys(ks.LOG_COLUMN_NAMES, 0)
        row.update(user_id=i % 2, video_id=i, date=20220408 + i % 3, hourmin=1000,
                   time_ms=1649383200000 + 86_400_000 * (i % 3) + 1000 * i,
                   is_click=int(i < 4), play_time_ms=1000 * i, duration_ms=9000, tab=1)  # fmt: skip
        rows.append(row)
    frame = pd.DataFrame(rows, columns=ks.LOG_COLUMN_NAMES)
    frame[ks.PROPENSITY_COLUMN.name] = 0.25
    frame.to_csv(directory / "log_standard_4_08_to_4_21_synthetic.csv", index=False)


def test_prints_and_writes_json(tmp_path, capsys):
    _write_log(tmp_path)
    out_json = tmp_path / "stats.json"
    assert cli.main(["stats", str(tmp_path), "--json", str(out_json)]) == 0
    report = capsys.readouterr().out
    assert "KuaiRand-Pure" in report and "40.000%" in report  # 4 clicks in 10 rows
    assert "behavior_propensity" in report
    figures = json.loads(out_json.read_text())
    assert figures["rows"] == 10 and figures["rates"]["click"] == 0.4
    assert figures["propensity"]["max"] == 0.25
    assert figures["reference"]["rates"]["click"] == 660_342 / 1_436_609


def test_a_directory_without_logs_is_an_error(tmp_path, capsys):
    assert cli.main(["stats", str(tmp_path)]) == 2
    assert "no KuaiRand log files" in capsys.readouterr().err
