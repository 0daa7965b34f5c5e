"""Tests for the encoded feature tables, on rows of the real KuaiRand-Pure tables."""

import os

import numpy as np
import pandas as pd
import pytest

from tscac_tf.features import feature_tables as ft

PURE = os.path.join(os.path.dirname(ft.__file__), "..", "datasets", "kuairand_pure")


@pytest.fixture(scope="module")
def frames():
    users = pd.read_csv(os.path.join(PURE, "user_features_pure.csv"), nrows=300)
    videos = pd.read_csv(os.path.join(PURE, "video_features_basic_pure.csv"), nrows=300)
    return users, videos


def test_shapes_and_unknown_row(frames):
    users, videos = frames
    tables = ft.FeatureTables.from_frames(users, videos)
    assert tables.user_categorical.shape == (301, len(ft.USER_CATEGORICAL))
    assert tables.video_numeric.shape == (301, len(ft.VIDEO_NUMERIC))
    assert (
        tables.user_ids[0] == -1
        and not tables.user_categorical[0].any()
        and not tables.user_numeric[0].any()
    )
    for col, size in zip(ft.USER_CATEGORICAL, tables.user_vocab_sizes, strict=True):
        assert tables.user_categorical[:, ft.USER_CATEGORICAL.index(col)].max() < size


def test_missing_codes_unknown_and_empty_values_encode_as_zero(frames):
    users, videos = frames
    tables = ft.FeatureTables.from_frames(users, videos)
    streamer = tables.user_categorical[1:, ft.USER_CATEGORICAL.index("is_live_streamer")]
    assert ((users["is_live_streamer"] == -124).to_numpy() == (streamer == 0)).all()
    assert "-124" not in tables.vocabularies["is_live_streamer"]
    tag_codes = tables.video_categorical[1:, ft.VIDEO_CATEGORICAL.index("first_tag")]
    assert ((videos["tag"].isna()).to_numpy() == (tag_codes == 0)).all()
    missing_duration = videos["video_duration"].isna().to_numpy()
    assert (
        tables.video_numeric[1:, ft.VIDEO_NUMERIC.index("duration_missing")] == missing_duration
    ).all()
    assert (tables.video_duration_ms[1:][missing_duration] == 0).all()


def test_range_strings_are_categories(frames):
    users, _ = frames
    tables = ft.FeatureTables.from_frames(users, frames[1])
    assert set(tables.vocabularies["fans_user_num_range"]) == set(
        users["fans_user_num_range"].astype(str)
    )


def test_first_tag():
    assert ft.first_tag("20,43") == "20"
    assert ft.first_tag(float("nan")) is None
    assert ft.first_tag("") is None
    assert ft.first_tag(39.0) == "39"  # a one-tag column read as numbers


def test_tags():
    assert ft.tags("20, 43,7") == ["20", "43", "7"]
    assert ft.tags("5") == ["5"] and ft.tags(5) == ["5"]
    assert ft.tags(float("nan")) == [] and ft.tags(None) == [] and ft.tags(" , ") == []


def test_video_tags_hold_every_tag_of_a_video(frames):
    users, videos = frames
    videos = videos.copy()
    videos["tag"] = [None, "3", "3,8", "8,9,3", *videos["tag"].iloc[4:]]
    tables = ft.FeatureTables.from_frames(users, videos)
    vocab = tables.vocabularies[ft.TAG_VOCABULARY]
    assert tables.video_tags.shape == (len(videos) + 1, 3)
    assert tables.num_tag_codes == len(vocab) + 1
    assert not tables.video_tags[0].any()  # the unknown video

    def decoded(row):
        return [vocab[c - 1] for c in tables.video_tags[row] if c > 0]

    assert [decoded(row) for row in (1, 2, 3, 4)] == [[], ["3"], ["3", "8"], ["8", "9", "3"]]
    # every real tag occurrence is encoded, each in its own slot
    expected = sum(len(ft.tags(t)) for t in videos["tag"])
    assert (tables.video_tags > 0).sum() == expected


def test_load_refuses_tables_of_an_older_version(frames, tmp_path):
    ft.FeatureTables.from_frames(*frames).save(str(tmp_path))
    path = tmp_path / "feature_tables.npz"
    with np.load(path) as arrays:
        old = {k: arrays[k] for k in arrays.files if k != "video_tags"}
    np.savez_compressed(path, **old)
    with pytest.raises(ValueError, match="feature_tables.npz has no video_tags.*run preprocess"):
        ft.FeatureTables.load(str(tmp_path))


def test_vocabulary_by_frequency_then_value():
    assert ft.build_vocabulary(pd.Series(["b", "a", "b", None, "c", "a", "b"])) == ["b", "a", "c"]


def test_row_lookup_maps_unknown_and_padding_to_zero(frames):
    tables = ft.FeatureTables.from_frames(*frames)
    ids = tables.video_ids[[5, 1, 300]]
    np.testing.assert_array_equal(tables.video_rows(np.r_[ids, -1, 10**12]), [5, 1, 300, 0, 0])
    np.testing.assert_array_equal(tables.user_rows(tables.user_ids[[2, 7]]), [2, 7])


def test_save_load_round_trip(frames, tmp_path):
    tables = ft.FeatureTables.from_frames(*frames)
    tables.save(str(tmp_path))
    loaded = ft.FeatureTables.load(str(tmp_path))
    for name in (
        "user_ids",
        "user_categorical",
        "user_numeric",
        "video_categorical",
        "video_duration_ms",
        "video_tags",
    ):
        np.testing.assert_array_equal(getattr(loaded, name), getattr(tables, name))
    assert loaded.vocabularies == tables.vocabularies
    for name, (mean, std) in tables.numeric_stats.items():
        assert loaded.numeric_stats[name] == pytest.approx((mean, std))


def test_load_names_the_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="feature_tables.npz"):
        ft.FeatureTables.load(str(tmp_path))
