"""ReadFeatureTables on rows of the real KuaiRand-Pure tables (quirks), duplicates, bad rows."""

import os
import shutil

import apache_beam as beam
from apache_beam.testing import test_pipeline
from apache_beam.testing.util import BeamAssertException, assert_that, equal_to

from beam_pipelines.preprocessing import dead_letters as dl
from beam_pipelines.preprocessing.read_feature_tables import (
    USERS,
    VIDEOS,
    ReadFeatureTables,
    read_table,
)
from tscac_tf.features import feature_tables as ft

FIXTURE = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "kuairand_format")
# A repeat of user 4 (real row, another follow count) and a row with an unknown degree.
EXTRA_USERS = [
    '4,full_active,0,-124,1,999,"(250,500]",10,"[10,100)",4,"[1,5)",764,730+,0,6,28,27,,0,0,19,378,3,3,0,0.0,0.0,0.0,0.0,0.0,0.0',
    '77,mega_active,0,1,1,1,"(0,10]",1,"[1,10)",1,"[1,5)",1,8-14,0,6,28,27,1.0,0,0,19,378,3,3,0,0.0,0.0,0.0,0.0,0.0,0.0',
]
EXTRA_VIDEOS = [
    "51,1,NORMAL,2022-04-11,Web,0.0,1000.0,720.0,1280.0,0,,6",
    "99,1,NORMAL,2022-04-11,Web,0.0,-5.0,720.0,1280.0,0,,",
]


def _copy(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(FIXTURE, data)
    with open(data / "user_features.csv", "a") as f:
        f.writelines(line + "\n" for line in EXTRA_USERS)
    with open(data / "video_features_basic.csv", "a") as f:
        f.writelines(line + "\n" for line in EXTRA_VIDEOS)
    return str(data / "user_features.csv"), str(data / "video_features_basic.csv")


def _check_tables(tables_list):
    (tables,) = tables_list
    if tables.user_ids.tolist() != [-1, 4, 128, 3120, 10814]:
        raise BeamAssertException(f"user ids {tables.user_ids}")
    if tables.video_ids.tolist() != [-1, 0, 7, 8, 51, 75, 90]:
        raise BeamAssertException(f"video ids {tables.video_ids}")
    streamer = tables.user_categorical[:, ft.USER_CATEGORICAL.index("is_live_streamer")]
    if streamer.tolist() != [0] * 5:  # -124 is the missing code: code 0
        raise BeamAssertException(f"is_live_streamer codes {streamer}")
    first_tag = tables.video_categorical[:, ft.VIDEO_CATEGORICAL.index("first_tag")]
    if first_tag[5] != 0 or first_tag[6] != 0 or first_tag[2] == 0:  # empty tags -> 0
        raise BeamAssertException(f"first_tag codes {first_tag}")
    degree = tables.user_categorical[:, ft.USER_CATEGORICAL.index("user_active_degree")]
    if degree.tolist() != [0, 1, 1, 0, 0]:  # UNKNOWN (users 3120, 10814) is missing: code 0
        raise BeamAssertException(f"user_active_degree codes {degree}")


def test_tables_read_encoded_and_bad_rows_dead_lettered(tmp_path):
    user_file, video_file = _copy(tmp_path)
    pipeline = test_pipeline.TestPipeline(runner="FnApiRunner")
    read = pipeline | "ReadFeatureTables" >> ReadFeatureTables(user_file, video_file)
    assert_that(read["tables"], _check_tables, label="Tables")
    letters = read["dead_letters"] | beam.Map(lambda d: (d["kind"], d["line"], d["reason"]))
    expected = [
        (dl.USER_TABLE, 6, dl.DUPLICATE),
        (dl.USER_TABLE, 7, dl.BAD_CATEGORY),
        (dl.VIDEO_TABLE, 8, dl.DUPLICATE),
        (dl.VIDEO_TABLE, 9, dl.OUT_OF_RANGE),
    ]
    assert_that(letters, equal_to(expected), label="DeadLetters")
    tallies = [
        (("rows_read", dl.USER_TABLE, user_file), 6),
        (("rows_read", dl.VIDEO_TABLE, video_file), 8),
    ]
    assert_that(read["tallies"], equal_to(tallies), label="Tallies")
    pipeline.run().wait_until_finish()


def test_duplicate_keeps_the_first_row_and_names_its_line(tmp_path):
    user_file, _ = _copy(tmp_path)
    frame, letters, rows_read = read_table(user_file, USERS)
    assert rows_read == 6 and frame.user_id.tolist() == [4, 128, 3120, 10814]
    assert frame.loc[0, "follow_user_num"] == 261  # the first row of user 4, not the repeat
    duplicate = next(d for d in letters if d["reason"] == dl.DUPLICATE)
    assert duplicate["detail"] == "user_id=4: already defined on line 2"
    assert duplicate["row"] == EXTRA_USERS[0]


def test_video_frame_keeps_empty_values_as_missing(tmp_path):
    _, video_file = _copy(tmp_path)
    frame, _, _ = read_table(video_file, VIDEOS)
    assert frame.video_id.tolist() == [0, 7, 8, 51, 75, 90]
    assert frame.tag.isna().tolist() == [False, False, False, False, True, True]
    assert frame.video_duration.isna().tolist() == [False, True, False, False, False, False]
