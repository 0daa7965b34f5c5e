"""Positive counts: q(v) per table row and the popularity ranking."""

import numpy as np
import pandas as pd
import pytest

from tscac_tf.features.feature_tables import USER_CATEGORICAL, USER_NUMERIC, FeatureTables
from tscac_tf.retrieval.video_frequencies import VideoFrequencies


def _tables(video_ids):
    users = pd.DataFrame({"user_id": [1], **{c: [0] for c in USER_CATEGORICAL + USER_NUMERIC}})
    n = len(video_ids)
    videos = pd.DataFrame(
        {
            "video_id": video_ids,
            "author_id": [1] * n,
            "video_type": ["NORMAL"] * n,
            "upload_type": ["Web"] * n,
            "tag": ["1"] * n,
            "music_type": [4.0] * n,
            "video_duration": [9000.0] * n,
            "server_width": [720.0] * n,
            "server_height": [1280.0] * n,
        }
    )
    return FeatureTables.from_frames(users, videos)


def test_sampling_probability_by_row():
    tables = _tables([30, 10, 20])  # rows: 0 unknown, 1 -> 30, 2 -> 10, 3 -> 20
    freq = VideoFrequencies.from_ids(np.array([10, 10, 10, 30, 99]))  # 99 not in the table
    q = freq.sampling_probability_by_row(tables)
    # total 5 positives: q(30) = 1/5, q(10) = 3/5, 20 unseen and row 0 get one count: 1/5.
    np.testing.assert_allclose(q, [0.2, 0.2, 0.6, 0.2])


def test_most_popular_breaks_ties_by_id():
    freq = VideoFrequencies.from_ids(np.array([5, 3, 3, 8, 8, 1]))
    np.testing.assert_array_equal(freq.most_popular(3), [3, 8, 1])
    np.testing.assert_array_equal(freq.most_popular(10), [3, 8, 1, 5])


def test_no_positives_is_an_error():
    with pytest.raises(ValueError, match="no positives"):
        VideoFrequencies.from_ids(np.array([], np.int64)).sampling_probability_by_row(_tables([1]))
