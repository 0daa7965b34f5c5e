"""Tests of the fake transitions: the reader's contract, coherent steps, learnable structure."""

import tscac_tf  # noqa: F401  (first: pins Keras 2 before TensorFlow loads)

# isort: split

import numpy as np
import pytest
import tensorflow as tf

from tscac_tf.specs import session_schema as ss
from tscac_tf.testing import fake_transitions as ft

CONFIG = ft.FakeTransitionsConfig(num_sessions=60)


@pytest.fixture(scope="module")
def tables():
    return ft.fake_feature_tables(CONFIG.num_users, CONFIG.num_videos)


@pytest.fixture(scope="module")
def data(tables):
    return ft.fake_transitions(tables, CONFIG)


def test_dataset_follows_the_transition_spec(tables):
    dataset = ft.fake_transitions_dataset(tables, CONFIG, batch_size=8)
    spec = ss.transition_spec(CONFIG.history_length, CONFIG.num_candidates)
    batch = next(iter(dataset))
    tf.nest.assert_same_structure(batch, spec)
    for tensor, s in zip(tf.nest.flatten(batch), tf.nest.flatten(spec), strict=True):
        assert tensor.dtype == s.dtype and tensor.shape == [8, *s.shape]


def test_steps_are_coherent(data):
    obs, nxt = data["observation"], data["next_observation"]
    n = len(data["action"])
    rows = np.arange(n)
    # the logged video is the chosen candidate, and it heads the next history
    assert np.all(obs["candidate_video_ids"][rows, data["action"]] == data["logged_video_id"])
    assert np.all(nxt["history_video_ids"][:, 0] == data["logged_video_id"])
    np.testing.assert_array_equal(nxt["history_video_ids"][:, 1:], obs["history_video_ids"][:, :-1])
    # a session starts with an empty history; the propensity is a probability
    assert np.all(obs["history_video_ids"][data["position"] == 0] == ss.PADDING_ID)
    assert np.all((data["behavior_propensity"] > 0) & (data["behavior_propensity"] <= 1))
    assert data["is_last"].sum() == CONFIG.num_sessions
    assert np.all(data["reward"]["hate"] <= 0)  # −is_hate
    assert (obs["candidate_video_ids"] == ss.PADDING_ID).any()
    assert (obs["user_id"] >= ft.UNKNOWN_USER_BASE).any()


def test_matching_exposures_are_better_on_every_response(tables, data):
    matched = ft.matches(
        tables, data["observation"]["user_id"], data["logged_video_id"], CONFIG.num_groups
    )
    assert 0.2 < matched.mean() < 0.8
    r = data["reward"]
    assert r["watch_time"][matched].mean() > 3 * r["watch_time"][~matched].mean()
    for name in ("click", "like"):
        assert r[name][matched].mean() > r[name][~matched].mean() + 0.2
    assert r["hate"][matched].mean() > r["hate"][~matched].mean()  # less hate (reward −is_hate)


def test_written_sessions_read_back_as_the_same_transitions(tmp_path, data):
    from tscac_tf.data.reader import transitions_dataset

    ft.write_fake_candidate_sessions(str(tmp_path), CONFIG)
    dataset = transitions_dataset(
        str(tmp_path),
        ss.TRAIN_SPLIT,
        16,
        CONFIG.history_length,
        CONFIG.num_candidates,
        shuffle=False,
    )

    def key(obs, position, j):
        return (int(obs["user_id"][j]), int(position[j]), tuple(obs["candidate_video_ids"][j]))

    mine = {key(data["observation"], data["position"], j): j for j in range(len(data["action"]))}
    count = 0
    for batch in dataset.as_numpy_iterator():
        for j in range(len(batch["action"])):
            i = mine[key(batch["observation"], batch["position"], j)]
            for name in ("action", "is_last", "logged_video_id"):
                assert batch[name][j] == data[name][i]
            np.testing.assert_allclose(
                batch["behavior_propensity"][j], data["behavior_propensity"][i], rtol=1e-6
            )
            for name in batch["reward"]:
                np.testing.assert_allclose(
                    batch["reward"][name][j], data["reward"][name][i], rtol=1e-6
                )
            np.testing.assert_array_equal(
                batch["next_observation"]["history_play_time_ms"][j],
                data["next_observation"]["history_play_time_ms"][i],
            )
            count += 1
    assert 0 < count < len(data["action"])  # the train split, a part of all sessions
