"""tag_profile: tag shares, the smoothed log profile against a hand count, and from_split."""

import numpy as np
import pytest

from tscac_tf.retrieval import eval_queries, tag_profile
from tscac_tf.testing import fake_sessions, fake_transitions

TABLES = fake_transitions.fake_feature_tables(num_users=5, num_videos=60)


def test_video_tag_shares_split_a_video_evenly_over_its_tags():
    shares = tag_profile.video_tag_shares(TABLES)
    assert shares.shape == (len(TABLES.video_ids), TABLES.num_tag_codes)
    tag_count = (TABLES.video_tags > 0).sum(axis=1)
    assert {1, 2} <= set(tag_count[1:].tolist())  # real KuaiRand-Pure rows: one and two tags
    for row in range(len(TABLES.video_ids)):
        tags = [t for t in TABLES.video_tags[row] if t > 0]
        want = np.zeros(TABLES.num_tag_codes)
        for t in tags:
            want[t] += 1.0 / len(tags)
        np.testing.assert_allclose(shares[row], want, err_msg=f"row {row}")
    np.testing.assert_array_equal(shares[0], 0.0)  # the unknown video
    assert (shares[:, 0] == 0).all()  # code 0 (no tag) never gets a share


def test_log_profile_is_the_smoothed_share_of_each_users_exposures():
    users, videos = TABLES.user_ids, TABLES.video_ids
    one_tag = [v for v in range(1, 60) if (TABLES.video_tags[v] > 0).sum() == 1]
    two_tags = [v for v in range(1, 60) if (TABLES.video_tags[v] > 0).sum() == 2]
    exposures = [
        (users[1], videos[one_tag[0]]),
        (users[1], videos[one_tag[0]]),
        (users[1], videos[two_tags[0]]),
        (users[2], videos[one_tag[1]]),
        (987_654, videos[one_tag[2]]),  # an unknown user: counts towards everyone's shares
        (users[2], 123_456_789),  # an unknown video: counts nowhere
    ]
    user_ids = np.array([u for u, _ in exposures], np.int64)
    video_ids = np.array([v for _, v in exposures], np.int64)
    a = 2.0
    got = tag_profile.log_profile(TABLES, user_ids, video_ids, smoothing=a)
    # by hand: n_ut per user, g_t add-one smoothed over every known video's exposures
    num_tags = TABLES.num_tag_codes
    counts = {u: np.zeros(num_tags) for u in users}
    total = np.ones(num_tags)
    for u, v in exposures:
        if v not in set(videos.tolist()):
            continue
        row = int(np.nonzero(videos == v)[0][0])
        tags = [t for t in TABLES.video_tags[row] if t > 0]
        for t in tags:
            total[t] += 1.0 / len(tags)
            if u in counts:
                counts[u][t] += 1.0 / len(tags)
    g = total / total.sum()
    assert got.shape == (len(users), num_tags) and got.dtype == np.float32
    for row, u in enumerate(users):
        n = counts[u] if row else np.zeros(num_tags)  # row 0: unknown users get log g
        np.testing.assert_allclose(got[row], np.log((n + a * g) / (n.sum() + a)), rtol=1e-5)
    # the user shown tag t most puts it first; a user with nothing shown is everyone's
    assert got[1].argmax() == TABLES.video_tags[one_tag[0], 0]
    np.testing.assert_allclose(np.exp(got[3]), g, rtol=1e-5)
    np.testing.assert_allclose(np.exp(got).sum(axis=1), 1.0, rtol=1e-5)


def test_log_profile_rejects_bad_input():
    with pytest.raises(ValueError, match="same shape"):
        tag_profile.log_profile(TABLES, np.zeros(3, np.int64), np.zeros(2, np.int64), 2.0)
    with pytest.raises(ValueError, match="smoothing must be > 0"):
        tag_profile.log_profile(TABLES, np.zeros(1, np.int64), np.zeros(1, np.int64), 0.0)


def test_from_split_profiles_every_exposure_of_the_train_split(tmp_path):
    world = fake_sessions.FakeWorld(num_users=6, num_videos=30, train_sessions=2)
    tables = fake_sessions.write_fake_sessions(str(tmp_path), world)
    got = tag_profile.from_split(str(tmp_path), tables, smoothing=3.0)
    sessions = eval_queries.read_sessions(str(tmp_path), "train")
    assert sessions
    users = np.concatenate([[s["user_id"]] * len(s["video_id"]) for s in sessions])
    videos = np.concatenate([s["video_id"] for s in sessions])
    np.testing.assert_array_equal(got, tag_profile.log_profile(tables, users, videos, 3.0))
    assert not np.allclose(got[1], got[0])  # a user with exposures differs from everyone
