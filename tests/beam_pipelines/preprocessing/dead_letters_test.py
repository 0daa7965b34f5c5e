"""Dead letters: records are validated, counted per reason and written as JSON lines."""

import glob
import json

import apache_beam as beam
import pytest
from apache_beam.metrics.metric import MetricsFilter
from apache_beam.testing import test_pipeline
from apache_beam.testing.util import assert_that, equal_to

from beam_pipelines.preprocessing import dead_letters as dl


def _letter(reason, line):
    return dl.record(dl.LOGS, "log.csv", line, reason, "detail", "1,2")


def test_record_refuses_unknown_kind_and_reason():
    with pytest.raises(ValueError, match="reason must be one of"):
        dl.record(dl.LOGS, "f", 1, "bad_mood", "", "")
    with pytest.raises(ValueError, match="kind must be one of"):
        dl.record("sessions", "f", 1, dl.DUPLICATE, "", "")


def test_count_dead_letters_one_counter_per_reason():
    letters = [_letter(dl.DUPLICATE, 2), _letter(dl.DUPLICATE, 3), _letter(dl.OUT_OF_RANGE, 4)]
    pipeline = test_pipeline.TestPipeline(runner="FnApiRunner")
    out = pipeline | beam.Create(letters) | "CountDeadLetters" >> dl.CountDeadLetters()
    assert_that(out, equal_to(letters))
    result = pipeline.run()
    result.wait_until_finish()
    counters = result.metrics().query(MetricsFilter().with_namespace(dl.NAMESPACE))["counters"]
    counts = {c.key.metric.name: c.committed for c in counters}
    assert counts == {dl.DUPLICATE: 2, dl.OUT_OF_RANGE: 1}


def test_write_dead_letters_as_json_lines(tmp_path):
    letters = [_letter(dl.WRONG_COLUMN_COUNT, 7), _letter(dl.UNKNOWN_VIDEO, 9)]
    with test_pipeline.TestPipeline(runner="FnApiRunner") as pipeline:
        _ = (
            pipeline
            | beam.Create(letters)
            | "WriteDeadLetters" >> dl.WriteDeadLetters(str(tmp_path))
        )
    files = glob.glob(str(tmp_path / "dead_letters" / "dead_letters-*.jsonl"))
    written = [json.loads(line) for f in files for line in open(f)]
    assert sorted(written, key=lambda d: d["line"]) == letters
