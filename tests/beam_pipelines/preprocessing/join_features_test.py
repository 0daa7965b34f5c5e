"""JoinFeatures: rows get their FeatureTables rows; unknown users and videos are dead letters."""

import apache_beam as beam
from apache_beam.testing import test_pipeline
from apache_beam.testing.util import BeamAssertException, assert_that, equal_to

from beam_pipelines.preprocessing import dead_letters as dl
from beam_pipelines.preprocessing import event_batch as eb
from beam_pipelines.preprocessing.join_features import JoinFeatures


def test_rows_are_joined_and_unknown_ids_dead_lettered(fixture_tables, events):
    batch = events(
        user_id=[4, 128, 999, 4, 999],
        video_id=[7, 90, 0, 12345, 12345],
        line=[2, 3, 4, 5, 6],
    )

    def check(batches):
        (joined,) = batches
        got = list(zip(joined["user_id"].tolist(), joined["video_id"].tolist(), strict=True))
        if got != [(4, 7), (128, 90)]:
            raise BeamAssertException(f"joined rows {got}")
        if joined[eb.USER_ROW].tolist() != [1, 2] or joined[eb.VIDEO_ROW].tolist() != [2, 6]:
            raise BeamAssertException(f"rows {joined[eb.USER_ROW]} {joined[eb.VIDEO_ROW]}")

    pipeline = test_pipeline.TestPipeline(runner="FnApiRunner")
    tables = pipeline | "Tables" >> beam.Create([fixture_tables])
    joined = (
        pipeline
        | "Events" >> beam.Create([batch])
        | "JoinFeatures" >> JoinFeatures(tables, ["log.csv"])
    )
    assert_that(joined["events"], check, label="Joined")
    letters = joined["dead_letters"] | beam.Map(lambda d: (d["line"], d["reason"], d["detail"]))
    expected = [
        (4, dl.UNKNOWN_USER, "user_id=999: expected an id present in the user table"),
        (6, dl.UNKNOWN_USER, "user_id=999: expected an id present in the user table"),
        (5, dl.UNKNOWN_VIDEO, "video_id=12345: expected an id present in the video table"),
    ]
    assert_that(letters, equal_to(expected), label="DeadLetters")
    pipeline.run().wait_until_finish()
