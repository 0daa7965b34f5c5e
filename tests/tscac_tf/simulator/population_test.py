"""Users and videos come from the real tables; their latents follow their real features."""

import numpy as np
import pandas as pd
import pytest

from tscac_tf.simulator import population as pop
from tscac_tf.simulator.world_config import INTERACTIONS, PopulationConfig


@pytest.fixture(scope="module")
def full():
    return pop.build_population(PopulationConfig(num_users=4000), seed=0)


@pytest.fixture(scope="module")
def user_table():
    return pop.read_table(pop.USER_TABLE)


def test_rows_are_real_ids_sorted_and_reproducible(full, user_table):
    users = full.users
    assert np.all(np.diff(users.ids) > 0)
    np.testing.assert_array_equal(user_table["user_id"].to_numpy()[users.table_rows], users.ids)
    again = pop.build_population(PopulationConfig(num_users=4000), seed=0)
    np.testing.assert_array_equal(again.users.interest, users.interest)
    other = pop.build_population(PopulationConfig(num_users=4000), seed=1)
    assert not np.array_equal(other.users.ids, users.ids)


def test_a_category_keeps_its_effect_in_any_subset():
    a = pop.category_effects(3, "upload_type", ["Web", "Kmovie", "Web"])
    b = pop.category_effects(3, "upload_type", ["Kmovie"])
    assert a[0, 0] == a[2, 0] and a[1, 0] == b[0, 0] and a[0, 0] != a[1, 0]


def test_users_sharing_feature_values_share_tastes(full, user_table):
    rows = user_table.iloc[full.users.table_rows].reset_index(drop=True)
    interest = full.users.interest - full.users.interest.mean(axis=0)
    key = rows["onehot_feat1"].astype(str) + "/" + rows["onehot_feat2"].astype(str)
    same, other = [], []
    rng = np.random.default_rng(0)
    for _ in range(3000):
        i, j = rng.integers(len(rows), size=2)
        r = np.corrcoef(interest[i], interest[j])[0, 1]
        (same if key[i] == key[j] and i != j else other).append(r)
    assert np.mean(same) > np.mean(other) + 0.05


def test_activity_follows_user_active_degree(full, user_table):
    rows = user_table.iloc[full.users.table_rows].reset_index(drop=True)
    by_degree = pd.Series(full.users.activity).groupby(rows["user_active_degree"]).mean()
    assert by_degree["high_active"] > by_degree["full_active"] > by_degree["middle_active"]


def test_propensities_follow_counts(full, user_table):
    rows = user_table.iloc[full.users.table_rows].reset_index(drop=True)
    follow = full.users.propensity[:, INTERACTIONS.index("follow")]
    r = np.corrcoef(follow, np.log1p(rows["follow_user_num"].clip(lower=0)))[0, 1]
    assert r > 0.3
    np.testing.assert_allclose(np.exp(full.users.propensity).mean(axis=0), 1.0)


def test_short_videos_are_more_interactive(full):
    videos = full.videos
    r = np.corrcoef(np.log(videos.duration_ms), videos.style)[0, 1]
    assert r < -0.4
    np.testing.assert_allclose(np.exp(videos.appeal).mean(axis=0), 1.0)
    assert videos.popularity.sum() == pytest.approx(1.0)


def test_tags_and_missing_durations(full):
    videos = full.videos
    table = pop.read_table(pop.VIDEO_TABLE)
    assert videos.ids.size == len(table)
    tagged = videos.tag_weight.sum(axis=1)
    np.testing.assert_allclose(tagged[table["tag"].notna().to_numpy()], 1.0)
    assert np.all(videos.duration_ms >= 1000)  # imputed where the table has none
    known = table["video_duration"].notna().to_numpy()
    np.testing.assert_array_equal(videos.duration_ms[known], table["video_duration"][known].round())


def test_index_of_maps_ids_and_flags_unknown(full):
    ids = full.videos.ids[[3, 0, 7]]
    np.testing.assert_array_equal(full.videos.index_of(np.append(ids, -5)), [3, 0, 7, -1])


def test_fingerprint_changes_with_the_population(full):
    small = pop.build_population(PopulationConfig(num_users=10, num_videos=100), seed=0)
    assert small.fingerprint() != full.fingerprint() and len(small.fingerprint()) == 64
