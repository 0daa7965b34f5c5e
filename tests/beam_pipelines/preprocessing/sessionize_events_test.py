"""SessionizeEvents: users regrouped across batches, sorted, de-duplicated, cut into sessions."""

import apache_beam as beam
import numpy as np
from apache_beam.testing import test_pipeline
from apache_beam.testing.util import BeamAssertException, assert_that, equal_to

from beam_pipelines.preprocessing import dead_letters as dl
from beam_pipelines.preprocessing import event_batch as eb
from beam_pipelines.preprocessing.config import PreprocessConfig
from beam_pipelines.preprocessing.sessionize_events import (
    SessionizeEvents,
    build_sessions,
    user_buckets,
)

MIN = 60_000
T0 = 1649383200000  # 2022-04-08 10:00 +08:00
CONFIG = PreprocessConfig(data_dir="d", out_dir="o", num_user_buckets=3)


def _two_batches(events):
    # User 4: three steps within 30 min, one after a 40 min gap, one on the next day.
    # User 128: one step in eval. The second batch repeats user 4's first exposure.
    first = events(
        user_id=[4, 4, 128, 4],
        video_id=[7, 0, 90, 51],
        time_ms=[T0 + MIN, T0, T0 + 20 * 86_400_000, T0 + 60 * MIN],
        date=[20220408, 20220408, 20220428, 20220408],
        line=[2, 3, 4, 5],
    )
    second = events(
        user_id=[4, 4, 4],
        video_id=[8, 0, 75],
        time_ms=[T0 + 20 * MIN, T0, T0 + 23 * 60 * MIN],
        date=[20220408, 20220408, 20220409],
        file_index=[1, 1, 1],
        line=[2, 3, 4],
    )
    return first, second


def _describe(batch):
    """[(user, first date, session_index, split, [video ids])] of a SessionBatch."""
    out = []
    for s in range(batch.num_sessions):
        rows = slice(batch.starts[s], batch.starts[s] + batch.lengths[s])
        out.append(
            (
                int(batch.events["user_id"][rows][0]),
                int(batch.events["date"][rows][0]),
                int(batch.index[s]),
                int(batch.split[s]),
                batch.events["video_id"][rows].tolist(),
            )
        )
    return out


def test_build_sessions_sorts_dedups_and_cuts(events):
    sessions, repeats, rows = build_sessions(eb.concat(_two_batches(events)), CONFIG)
    assert _describe(sessions) == [
        (4, 20220408, 0, 0, [0, 7, 8]),
        (4, 20220408, 1, 0, [51]),
        (4, 20220409, 0, 0, [75]),
        (128, 20220428, 0, 1, [90]),
    ]
    ((dup, first),) = repeats
    assert (rows[eb.FILE_INDEX][dup], rows[eb.LINE][dup]) == (1, 3)
    assert (rows[eb.FILE_INDEX][first], rows[eb.LINE][first]) == (0, 3)


def test_user_buckets_are_stable_and_in_range():
    ids = np.arange(1000)
    buckets = user_buckets(ids, 7)
    assert buckets.min() >= 0 and buckets.max() < 7 and len(np.unique(buckets)) == 7
    np.testing.assert_array_equal(buckets, user_buckets(ids, 7))


def test_sessionize_events_transform(events):
    pipeline = test_pipeline.TestPipeline(runner="FnApiRunner")
    out = (
        pipeline
        | beam.Create(list(_two_batches(events)))
        | "SessionizeEvents" >> SessionizeEvents(CONFIG, ["a.csv", "b.csv"])
    )

    def check(batches):
        got = sorted(s for b in batches for s in _describe(b))
        if got != [
            (4, 20220408, 0, 0, [0, 7, 8]),
            (4, 20220408, 1, 0, [51]),
            (4, 20220409, 0, 0, [75]),
            (128, 20220428, 0, 1, [90]),
        ]:
            raise BeamAssertException(f"sessions {got}")

    assert_that(out["sessions"], check, label="Sessions")
    letters = out["dead_letters"] | beam.Map(lambda d: (d["source"], d["line"], d["reason"]))
    assert_that(letters, equal_to([("b.csv", 3, dl.DUPLICATE)]), label="DeadLetters")
    details = out["dead_letters"] | beam.Map(lambda d: d["detail"])
    assert_that(
        details,
        equal_to(
            [
                f"user_id=4, video_id=0, time_ms={T0}: expected one exposure per key, "
                "already on line 3 of a.csv"
            ]
        ),
        label="Detail",
    )
    pipeline.run().wait_until_finish()
