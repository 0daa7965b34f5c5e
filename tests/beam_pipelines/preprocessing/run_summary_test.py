"""WriteRunSummary: rows read, rejected by reason, sessions and steps, in one JSON."""

import json

import apache_beam as beam
from apache_beam.testing import test_pipeline

from beam_pipelines.preprocessing import dead_letters as dl
from beam_pipelines.preprocessing.config import PreprocessConfig
from beam_pipelines.preprocessing.input_files import InputFiles
from beam_pipelines.preprocessing.run_summary import WriteRunSummary, summary_json

FILES = InputFiles(("a.csv", "b.csv"), "users.csv", "videos.csv", ((), ()))


def test_summary_accounts_for_every_row(tmp_path):
    config = PreprocessConfig(data_dir="d", out_dir=str(tmp_path))
    tallies = [
        (("rows_read", dl.LOGS, "a.csv"), 10),
        (("rows_read", dl.LOGS, "b.csv"), 4),
        (("rows_read", dl.USER_TABLE, "users.csv"), 3),
        (("sessions", "train"), 3),
        (("steps", "train"), 8),
        (("sessions", "eval"), 1),
        (("steps", "eval"), 3),
    ]
    letters = [
        dl.record(dl.LOGS, "a.csv", 5, dl.DUPLICATE, "", ""),
        dl.record(dl.LOGS, "a.csv", 6, dl.OUT_OF_RANGE, "", ""),
        dl.record(dl.LOGS, "b.csv", 2, dl.OUT_OF_RANGE, "", ""),
        dl.record(dl.USER_TABLE, "users.csv", 2, dl.BAD_CATEGORY, "", ""),
    ]
    with test_pipeline.TestPipeline(runner="FnApiRunner") as pipeline:
        pair = (pipeline | "T" >> beam.Create(tallies), pipeline | "L" >> beam.Create(letters))
        _ = pair | WriteRunSummary(config, FILES)
    summary = json.load(open(tmp_path / "run_summary.json"))
    assert summary["rows_read"]["logs"] == {"a.csv": 10, "b.csv": 4}
    assert summary["rows_read"]["video_table"] == {"videos.csv": 0}
    assert summary["rows_rejected"]["logs"][dl.OUT_OF_RANGE] == 2
    assert summary["rows_rejected"]["logs"][dl.UNKNOWN_VIDEO] == 0
    assert summary["rows_rejected_total"] == {"logs": 3, "user_table": 1, "video_table": 0}
    assert summary["sessions"] == {"train": 3, "eval": 1}
    steps = summary["steps"]["train"] + summary["steps"]["eval"]
    assert summary["rows_read_total"]["logs"] == steps + summary["rows_rejected_total"]["logs"]
    assert summary["config"]["session_gap_minutes"] == 30.0


def test_summary_of_an_empty_run_has_every_reason_at_zero():
    config = PreprocessConfig(data_dir="d", out_dir="o")
    summary = summary_json({}, config, FILES)
    assert set(summary["rows_rejected"]["logs"]) == set(dl.REASONS)
    assert summary["steps"] == {"train": 0, "eval": 0}
    assert summary["outputs"]["train"] == "o/train/sessions-*.tfrecord.gz"
