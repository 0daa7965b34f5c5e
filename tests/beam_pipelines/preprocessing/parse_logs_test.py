"""ParseLogs: valid rows become EventBatches; every malformed row lands in the dead letters."""

import os
import shutil

import apache_beam as beam
import numpy as np
from apache_beam.testing import test_pipeline
from apache_beam.testing.util import BeamAssertException, assert_that, equal_to

from beam_pipelines.preprocessing import dead_letters as dl
from beam_pipelines.preprocessing import event_batch as eb
from beam_pipelines.preprocessing.config import PreprocessConfig
from beam_pipelines.preprocessing.input_files import find_input_files
from beam_pipelines.preprocessing.parse_logs import ParseLogs
from tscac_tf.specs import session_schema as ss

FIXTURE = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "kuairand_format")
TRAIN_LOG = "log_standard_4_08_to_4_21_synthetic.csv"
GOOD = "4,7,20220408,1000,1649383260000,1,1,0,0,0,0,1,30000,20000,0,0,0,0,1,0.25"
MALFORMED = [
    ("4,7,20220408,1000,1649383260000,1,1,0,0,0,0,1,30000,20000,0,0,0,0,1", dl.WRONG_COLUMN_COUNT),
    (GOOD.replace(",7,", ",seven,"), dl.NOT_A_NUMBER),
    (GOOD.replace(",30000,", ",-30000,"), dl.OUT_OF_RANGE),
    (GOOD.replace("20220408", "20221340"), dl.BAD_DATE),
    (GOOD.replace("20220408", "20220601"), dl.OUTSIDE_SPLIT_PERIODS),
    (GOOD.replace(",0.25", ",1.5"), dl.OUT_OF_RANGE),
]


def _data_dir(tmp_path, extra_lines=()):
    data = tmp_path / "data"
    shutil.copytree(FIXTURE, data)
    with open(data / TRAIN_LOG, "a") as f:
        f.writelines(line + "\n" for line in extra_lines)
    return str(data)


def _parse(data_dir, tmp_path):
    config = PreprocessConfig(data_dir=data_dir, out_dir=str(tmp_path / "out"))
    files = find_input_files(data_dir)
    pipeline = test_pipeline.TestPipeline(runner="FnApiRunner")
    parsed = pipeline | "ParseLogs" >> ParseLogs(config, files.log_files, files.log_headers)
    return pipeline, parsed, files


def _rows_equal(expected_users, expected_propensity):
    def check(batches):
        merged = eb.concat(batches)
        order = np.lexsort((merged[eb.LINE], merged[eb.FILE_INDEX]))
        if merged["user_id"][order].tolist() != expected_users:
            raise BeamAssertException(f"users {merged['user_id'][order]} != {expected_users}")
        np.testing.assert_allclose(merged[eb.PROPENSITY][order], expected_propensity)
        if merged["time_ms"].dtype != np.int64:
            raise BeamAssertException(f"time_ms dtype {merged['time_ms'].dtype}")

    return check


def test_valid_rows_become_batches_and_malformed_rows_dead_letters(tmp_path):
    data_dir = _data_dir(tmp_path, [line for line, _ in MALFORMED])
    pipeline, parsed, files = _parse(data_dir, tmp_path)
    users = [4, 4, 4, 4, 4, 128, 128, 3120, 4, 4, 3120]
    propensity = [0.25, 0.5, 0.125, 0.5, 0.75, 0.2, 0.01, 0.3, 0.5, 0.4, ss.NO_PROPENSITY]
    assert_that(parsed["events"], _rows_equal(users, propensity), label="Events")
    expected = [
        (files.log_files[0], 10 + i, reason, line) for i, (line, reason) in enumerate(MALFORMED)
    ]
    got = parsed["dead_letters"] | beam.Map(
        lambda d: (d["source"], d["line"], d["reason"], d["row"])
    )
    assert_that(got, equal_to(expected), label="DeadLetters")
    details = parsed["dead_letters"] | beam.Map(lambda d: d["detail"])
    assert_that(
        details | beam.Filter(lambda d: d.startswith("play_time_ms")),
        equal_to(["play_time_ms=-30000: expected >= 0"]),
        label="Detail",
    )
    tallies = [
        (("rows_read", dl.LOGS, files.log_files[0]), 8 + len(MALFORMED)),
        (("rows_read", dl.LOGS, files.log_files[1]), 3),
    ]
    assert_that(parsed["tallies"], equal_to(tallies), label="Tallies")
    pipeline.run().wait_until_finish()
