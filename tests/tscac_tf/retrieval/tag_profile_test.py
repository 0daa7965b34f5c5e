"""tag_profile: tag shares, the smoothed log profile against a hand count, the fitted
profile (its tastes, its stationarity) and from_split / for_towers."""

import dataclasses
import json

import numpy as np
import pytest

from tscac_tf.retrieval import eval_queries, tag_profile
from tscac_tf.retrieval.config import TowerConfig
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


def _videos_of_one_tag(tables, tag_rank: int) -> tuple[int, np.ndarray]:
    """(tag code, ids of the table's videos whose only tag it is), the tag_rank-th most
    common single tag."""
    single = (tables.video_tags > 0).sum(axis=1) == 1
    codes, counts = np.unique(tables.video_tags[single, 0], return_counts=True)
    code = int(codes[np.argsort(-counts, kind="stable")[tag_rank]])
    return code, tables.video_ids[single & (tables.video_tags[:, 0] == code)]


def _twin_tables():
    """TABLES where users 3 and 4 have the categorical codes of users 1 and 2, and users 1
    and 2 differ in every column."""
    codes = TABLES.user_categorical.copy()
    codes[2] = np.where(
        codes[2] == codes[1], (codes[1] + 1) % np.array(TABLES.user_vocab_sizes), codes[2]
    )
    codes[3], codes[4] = codes[1], codes[2]
    return dataclasses.replace(TABLES, user_categorical=codes)


def test_fitted_profile_learns_each_users_tags_and_shares_them_through_the_features():
    tables = _twin_tables()
    users = tables.user_ids
    tag_a, videos_a = _videos_of_one_tag(tables, 0)
    tag_b, videos_b = _videos_of_one_tag(tables, 1)
    # user 1 is shown tag A's videos, user 2 tag B's; users 3 and 4 nothing
    user_ids = np.array([users[1]] * 12 + [users[2]] * 12, np.int64)
    video_ids = np.concatenate([np.resize(videos_a, 12), np.resize(videos_b, 12)])
    got = tag_profile.fitted_log_profile(tables, user_ids, video_ids, 1.0, 1.0, steps=200)
    assert got.shape == (len(users), tables.num_tag_codes) and got.dtype == np.float32
    assert got[1, tag_a] > got[1, tag_b] + 1.0
    assert got[2, tag_b] > got[2, tag_a] + 1.0
    # users without exposures get their features' prediction: user 1's tastes for user 3
    assert got[3, tag_a] > got[3, tag_b] and got[4, tag_b] > got[4, tag_a]
    assert got[1, tag_a] > got[3, tag_a]  # less sure without the user's own exposures
    np.testing.assert_allclose(got[0], got[1:3].mean(axis=0), rtol=1e-6)  # unknown users
    # exposures of unknown users or videos change nothing
    more_users = np.concatenate([user_ids, [987_654, users[1]]])
    more_videos = np.concatenate([video_ids, [videos_b[0], 123_456_789]])
    again = tag_profile.fitted_log_profile(tables, more_users, more_videos, 1.0, 1.0, steps=200)
    np.testing.assert_array_equal(again, got)


def test_fit_tag_model_reaches_the_penalised_maximum_likelihood():
    """The gradient of the objective, computed here from its definition, is near zero
    after the fit (Adam at a fixed step size oscillates a little about the optimum)."""
    rng = np.random.default_rng(0)
    user_ids = rng.choice(TABLES.user_ids[1:], 80)
    video_ids = rng.choice(TABLES.video_ids[1:], 80)
    l2_user, l2_features = 0.5, 2.0
    shares = tag_profile.video_tag_shares(TABLES)[1:]
    x = tag_profile.feature_indicators(TABLES)
    n = np.bincount(TABLES.user_rows(user_ids), minlength=len(TABLES.user_ids))
    video_counts = np.bincount(TABLES.video_rows(video_ids) - 1, minlength=shares.shape[0])
    tag_counts = np.zeros((len(n), shares.shape[1]))
    np.add.at(tag_counts, TABLES.user_rows(user_ids), shares[TABLES.video_rows(video_ids) - 1])

    def full_gradients(a, w, delta):
        logits = a[None, :] + (x @ w + delta) @ shares.T
        p = np.exp(logits - logits.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        residual = n[:, None] * (p @ shares) - tag_counts  # ∂(−log L)/∂θ
        return n @ p - video_counts, x.T @ residual + l2_features * w, residual + l2_user * delta

    def gradients(a, w, delta):
        return tuple(np.abs(g).max() for g in full_gradients(a, w, delta))

    def norm(a, w, delta):
        return np.sqrt(sum(np.sum(g**2) for g in full_gradients(a, w, delta)))

    zero_w, zero_delta = np.zeros((x.shape[1], shares.shape[1])), np.zeros_like(tag_counts)
    start = gradients(np.log(video_counts + 0.1), zero_w, zero_delta)
    model = tag_profile.fit_tag_model(TABLES, user_ids, video_ids, l2_user, l2_features, 1000)
    np.testing.assert_array_equal(model["exposures"], n)
    np.testing.assert_allclose(model["tag_counts"], tag_counts, rtol=1e-6)
    np.testing.assert_allclose(model["theta"], x @ model["w"] + model["delta"], atol=1e-5)
    end = gradients(model["a"], model["w"], model["delta"])
    assert start[1] > 2.0 and start[2] > 2.0  # far from the optimum at the start
    assert end[0] < 0.15 and end[1] < 0.3 and end[2] < 0.15, (start, end)
    # the fit's own record of its gradient: the same norm, at the start and at the step it
    # kept, the smallest (fixed-step Adam goes unstable on this data after ~350 steps)
    record = model["gradient_norm"]
    assert record.shape == (1001,) and model["best_step"] == int(np.argmin(record))
    kept = norm(model["a"], model["w"], model["delta"])
    np.testing.assert_allclose(
        [record[0], record[model["best_step"]]],
        [norm(np.log(video_counts + 0.1), zero_w, zero_delta), kept],
        rtol=1e-3,
    )
    assert record[-1] > 10 * kept  # what keeping the last step would have returned
    assert np.abs(model["delta"]).max() > 0.1  # the per-user part moved


def test_fitted_profile_rejects_bad_input():
    ids = np.zeros(1, np.int64)
    with pytest.raises(ValueError, match="same shape"):
        tag_profile.fitted_log_profile(TABLES, np.zeros(3, np.int64), ids, 1.0, 1.0, 10)
    with pytest.raises(ValueError, match="penalties must be > 0"):
        tag_profile.fitted_log_profile(TABLES, ids, ids, 0.0, 1.0, 10)
    with pytest.raises(ValueError, match="steps must be >= 1"):
        tag_profile.fitted_log_profile(TABLES, ids, ids, 1.0, 1.0, 0)


def test_for_towers_fits_or_counts_the_train_splits_exposures(tmp_path):
    world = fake_sessions.FakeWorld(num_users=6, num_videos=30, train_sessions=2)
    tables = fake_sessions.write_fake_sessions(str(tmp_path), world)
    users, videos = tag_profile.split_exposures(str(tmp_path))
    assert len(users) == len(videos) > 0
    towers = TowerConfig(tag_profile_steps=20)
    fitted = tag_profile.for_towers(str(tmp_path), tables, towers)
    np.testing.assert_array_equal(
        fitted.table, tag_profile.fitted_log_profile(tables, users, videos, 1.0, 1.0, 20)
    )
    model = tag_profile.fit_tag_model(tables, users, videos, 1.0, 1.0, 20)
    np.testing.assert_array_equal(fitted.gradient_norm, model["gradient_norm"])
    summary = fitted.fit_summary()
    assert summary["steps"] == 20 and summary["kept_step"] == model["best_step"]
    assert summary["gradient_norm_kept"] == model["gradient_norm"][model["best_step"]]
    assert summary["gradient_norm_ratio"] == pytest.approx(
        summary["gradient_norm_kept"] / model["gradient_norm"][0]
    )
    json.dumps(summary)  # it goes into the training metrics
    counted = dataclasses.replace(towers, tag_profile_method="counts", tag_profile_smoothing=3.0)
    counts = tag_profile.for_towers(str(tmp_path), tables, counted)
    np.testing.assert_array_equal(counts.table, tag_profile.log_profile(tables, users, videos, 3.0))
    assert counts.gradient_norm is None and counts.fit_summary() is None
