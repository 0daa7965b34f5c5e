"""The tf.data reader: CSV rows in, transitions out, checked value by value."""

import hashlib
import os

import numpy as np
import pytest
import tensorflow as tf

from beam_pipelines.preprocessing import pipeline
from tscac_tf.data import reader, session_io
from tscac_tf.specs import responses
from tscac_tf.specs import session_schema as ss

FIXTURE = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "kuairand_format")
H = 3


@pytest.fixture(scope="module")
def examples(tmp_path_factory):
    """ExampleGen output of the fixture directory (see its README for the sessions)."""
    out = str(tmp_path_factory.mktemp("examples"))
    pipeline.run([f"--data_dir={FIXTURE}", f"--out={out}"])
    return out


def _numpy(batch):
    return tf.nest.map_structure(lambda t: t.numpy(), batch)


def _by_step(data_dir, split):
    """{(user_id, logged_video_id): transition} of a whole split (one batch, in the reader's order)."""
    (batch,) = list(reader.transitions_dataset(data_dir, split, 100, H, shuffle=False))
    batch = _numpy(batch)
    out = {}
    for i in range(len(batch["position"])):
        key = (int(batch["observation"]["user_id"][i]), int(batch["logged_video_id"][i]))
        out[key] = tf.nest.map_structure(lambda a, i=i: a[i], batch)
    return out


@pytest.mark.parametrize("history_length", [1, 3, 6])
@pytest.mark.parametrize("include_current", [False, True])
def test_history_windows_match_a_loop(history_length, include_current):
    values = np.array([11, 12, 13, 14, 15], np.int64)
    expected = []
    for t in range(len(values)):
        newest = t if include_current else t - 1
        expected.append(
            [values[newest - j] if newest - j >= 0 else -1 for j in range(history_length)]
        )
    got = reader.history_windows(tf.constant(values), history_length, include_current, -1)
    np.testing.assert_array_equal(got, expected)


# (user, video): (position, history ids, history play ms, next ids, next play ms,
#                 watch s, click, like, follow, comment, forward, hate, is_last, propensity, long_view)
EXPECTED_TRAIN = {
    (4, 0): (
        0,
        [-1, -1, -1],
        [0, 0, 0],
        [0, -1, -1],
        [12000, 0, 0],
        12.0,
        1,
        0,
        0,
        0,
        0,
        0,
        False,
        0.5,
        False,
    ),
    (4, 7): (
        1,
        [0, -1, -1],
        [12000, 0, 0],
        [7, 0, -1],
        [30000, 12000, 0],
        30.0,
        1,
        1,
        0,
        0,
        0,
        0,
        False,
        0.25,
        True,
    ),
    (4, 8): (
        2,
        [7, 0, -1],
        [30000, 12000, 0],
        [8, 7, 0],
        [0, 30000, 12000],
        0.0,
        0,
        0,
        0,
        0,
        0,
        -1,
        True,
        0.125,
        False,
    ),
    (4, 51): (
        0,
        [-1, -1, -1],
        [0, 0, 0],
        [51, -1, -1],
        [5000, 0, 0],
        5.0,
        0,
        0,
        0,
        0,
        0,
        0,
        True,
        0.5,
        False,
    ),
    (4, 75): (
        0,
        [-1, -1, -1],
        [0, 0, 0],
        [75, -1, -1],
        [6466, 0, 0],
        6.466,
        1,
        0,
        0,
        0,
        0,
        0,
        True,
        0.75,
        True,
    ),
    (128, 90): (
        0,
        [-1, -1, -1],
        [0, 0, 0],
        [90, -1, -1],
        [27160, 0, 0],
        27.16,
        1,
        0,
        1,
        0,
        0,
        0,
        True,
        0.2,
        True,
    ),
    (128, 0): (
        0,
        [-1, -1, -1],
        [0, 0, 0],
        [0, -1, -1],
        [3000, 0, 0],
        3.0,
        0,
        0,
        0,
        0,
        0,
        0,
        True,
        0.01,
        False,
    ),
    (3120, 51): (
        0,
        [-1, -1, -1],
        [0, 0, 0],
        [51, -1, -1],
        [67000, 0, 0],
        67.0,
        1,
        0,
        0,
        1,
        1,
        0,
        True,
        0.3,
        True,
    ),
}


def test_round_trip_csv_rows_to_transitions(examples):
    got = _by_step(examples, ss.TRAIN_SPLIT)
    assert sorted(got) == sorted(EXPECTED_TRAIN)
    for key, expected in EXPECTED_TRAIN.items():
        position, hist, play, next_hist, next_play, *rest = expected
        *rewards, is_last, propensity, long_view = rest
        step = got[key]
        assert step["position"] == position, key
        np.testing.assert_array_equal(step["observation"]["history_video_ids"], hist)
        np.testing.assert_array_equal(step["observation"]["history_play_time_ms"], play)
        np.testing.assert_array_equal(step["next_observation"]["history_video_ids"], next_hist)
        np.testing.assert_array_equal(step["next_observation"]["history_play_time_ms"], next_play)
        assert step["next_observation"]["user_id"] == key[0]
        got_rewards = [step["reward"][name] for name in responses.RESPONSE_NAMES]
        np.testing.assert_allclose(got_rewards, rewards, rtol=1e-6, err_msg=str(key))
        assert step["is_last"] == is_last and step["long_view"] == long_view, key
        assert step["behavior_propensity"] == pytest.approx(propensity), key


def test_eval_split_and_missing_propensity(examples):
    got = _by_step(examples, ss.EVAL_SPLIT)
    assert sorted(got) == [(4, 0), (4, 7), (3120, 8)]
    np.testing.assert_array_equal(got[(4, 7)]["observation"]["history_video_ids"], [0, -1, -1])
    assert got[(4, 7)]["reward"]["watch_time"] == pytest.approx(1.0)
    assert got[(3120, 8)]["behavior_propensity"] == ss.NO_PROPENSITY


def _batched(spec):
    return tf.nest.map_structure(lambda s: tf.TensorSpec([None, *s.shape], s.dtype), spec)


def _same_specs(dataset_spec, expected):
    tf.nest.assert_same_structure(dataset_spec, expected)
    for got, want in zip(tf.nest.flatten(dataset_spec), tf.nest.flatten(expected), strict=True):
        assert got.dtype == want.dtype and got.shape.as_list() == want.shape.as_list(), (got, want)


def test_without_candidates_the_spec_lacks_action_and_candidates(examples):
    dataset = reader.transitions_dataset(examples, ss.TRAIN_SPLIT, 4, H)
    expected = ss.transition_spec(H, 5)
    del expected["action"]
    del expected["observation"]["candidate_video_ids"]
    _same_specs(dataset.element_spec, _batched(expected))


@pytest.fixture(scope="module")
def candidate_examples(tmp_path_factory):
    """Two sessions with K = 4 candidates per step, as the retrieval candidates step writes."""
    out = tmp_path_factory.mktemp("candidates")
    os.makedirs(out / ss.TRAIN_SPLIT)
    path = str(out / ss.TRAIN_SPLIT / "sessions-00000-of-00001.tfrecord.gz")
    with tf.io.TFRecordWriter(path, "GZIP") as writer:
        for user, videos, candidates, index, inserted in (
            (4, [10, 11], [[10, 1, 2, -1], [3, 4, 11, 5]], [0, 2], [0, 1]),
            (9, [12], [[6, 7, 8, 12]], [3], [0]),
        ):
            steps = {name: [0] * len(videos) for name in ss.STEP_INT64}
            steps.update(video_id=videos, play_time_ms=[1000 * v for v in videos])
            steps["behavior_propensity"] = [0.5] * len(videos)
            steps[ss.STEP_LOGGED_INDEX] = index
            steps[ss.STEP_CANDIDATE_INSERTED] = inserted
            context = {
                "user_id": user,
                "date": 20220408,
                "session_index": 2,
                "session_id": f"{user}-20220408-2",
            }
            writer.write(session_io.encode_session(context, steps, candidates=candidates))
    # The reader goes by the MD5 of the session id; these two ids read user 4 first.
    assert hashlib.md5(b"4-20220408-2").digest() < hashlib.md5(b"9-20220408-2").digest()
    return str(out)


def test_with_candidates_action_is_the_logged_index(candidate_examples):
    dataset = reader.transitions_dataset(
        candidate_examples, ss.TRAIN_SPLIT, 8, H, num_candidates=4, shuffle=False
    )
    _same_specs(dataset.element_spec, _batched(ss.transition_spec(H, 4)))
    batch = _numpy(next(iter(dataset)))
    np.testing.assert_array_equal(batch["action"], [0, 2, 3])
    np.testing.assert_array_equal(batch["observation"]["candidate_video_ids"][1], [3, 4, 11, 5])
    chosen = batch["observation"]["candidate_video_ids"][np.arange(3), batch["action"]]
    np.testing.assert_array_equal(chosen, batch["logged_video_id"])


def test_retrieved_steps_only_drops_inserted_steps_and_keeps_their_session_context(
    candidate_examples,
):
    dataset = reader.transitions_dataset(
        candidate_examples,
        ss.TRAIN_SPLIT,
        8,
        H,
        num_candidates=4,
        shuffle=False,
        retrieved_steps_only=True,
    )
    _same_specs(dataset.element_spec, _batched(ss.transition_spec(H, 4)))
    batch = _numpy(next(iter(dataset)))
    # User 4's second step (video 11) was inserted; its first step and user 9's remain.
    np.testing.assert_array_equal(batch["logged_video_id"], [10, 12])
    np.testing.assert_array_equal(batch["action"], [0, 3])
    # Step 0 of user 4 still sees that its session went on: not last, and s_{t+1}'s
    # history holds the video it showed.
    np.testing.assert_array_equal(batch["is_last"], [False, True])
    assert batch["next_observation"]["history_video_ids"][0][0] == 10


def test_retrieved_steps_only_needs_candidates(examples):
    with pytest.raises(ValueError, match="retrieved_steps_only needs sessions with candidates"):
        reader.transitions_dataset(examples, ss.TRAIN_SPLIT, 4, H, retrieved_steps_only=True)


def test_to_trajectory_stacks_s_t_and_s_t1(candidate_examples):
    from tf_agents.trajectories import time_step as ts
    from tf_agents.trajectories import trajectory

    dataset = reader.transitions_dataset(
        candidate_examples, ss.TRAIN_SPLIT, 8, H, num_candidates=4, shuffle=False
    )
    batch = next(iter(dataset))
    traj = reader.to_trajectory(batch)
    m = len(responses.RESPONSES)
    assert traj.reward.shape == (3, 2, m) and traj.observation["candidate_video_ids"].shape == (
        3,
        2,
        4,
    )
    np.testing.assert_array_equal(
        traj.step_type[:, 0], [ts.StepType.FIRST, ts.StepType.MID, ts.StepType.FIRST]
    )
    np.testing.assert_array_equal(
        traj.step_type[:, 1], [ts.StepType.MID, ts.StepType.LAST, ts.StepType.LAST]
    )
    np.testing.assert_array_equal(traj.next_step_type[:, 0], traj.step_type[:, 1])
    np.testing.assert_array_equal(traj.discount[:, 0], [1.0, 0.0, 0.0])
    np.testing.assert_allclose(traj.reward[:, 0, 0], [10.0, 11.0, 12.0])  # watch_time first
    np.testing.assert_array_equal(traj.action[:, 0], [0, 2, 3])
    np.testing.assert_array_equal(
        traj.observation["history_video_ids"][:, 1], batch["next_observation"]["history_video_ids"]
    )
    assert (traj.observation["candidate_video_ids"][:, 1] == ss.PADDING_ID).numpy().all()
    np.testing.assert_allclose(traj.policy_info["behavior_propensity"][:, 0], [0.5, 0.5, 0.5])
    # TF-Agents' own conversion reads it back as (s_t, a_t, r_t, s_{t+1}).
    time_steps, policy_steps, next_time_steps = trajectory.to_transition(traj)
    np.testing.assert_array_equal(policy_steps.action[:, 0], [0, 2, 3])
    np.testing.assert_allclose(next_time_steps.reward[:, 0, 0], [10.0, 11.0, 12.0])
    np.testing.assert_array_equal(next_time_steps.discount[:, 0], [1.0, 0.0, 0.0])
    np.testing.assert_array_equal(
        next_time_steps.observation["history_video_ids"][:, 0],
        batch["next_observation"]["history_video_ids"],
    )
    np.testing.assert_array_equal(time_steps.step_type[:, 0], traj.step_type[:, 0])


def test_shuffle_is_seeded_and_repeat_and_drop_remainder_work(examples):
    def order(seed):
        dataset = reader.transitions_dataset(examples, ss.TRAIN_SPLIT, 8, H, seed=seed)
        return next(iter(dataset))["logged_video_id"].numpy().tolist()

    assert order(1) == order(1)
    assert sorted(order(1)) == sorted(order(2))
    repeated = reader.transitions_dataset(
        examples, ss.TRAIN_SPLIT, 5, H, repeat=True, drop_remainder=True
    )
    sizes = [len(b["position"]) for b in repeated.take(4)]
    assert sizes == [5, 5, 5, 5]
    once = reader.transitions_dataset(examples, ss.TRAIN_SPLIT, 3, H, drop_remainder=True)
    assert [len(b["position"]) for b in once] == [3, 3]


def test_a_cached_reader_gives_every_epoch_the_same_transitions_reshuffled(examples):
    expected = _by_step(examples, ss.TRAIN_SPLIT)
    n = len(expected)
    cached = reader.transitions_dataset(
        examples, ss.TRAIN_SPLIT, n, H, repeat=True, drop_remainder=True, cache_in_memory=True
    )
    orders = []
    for batch in cached.take(4):  # a batch of n after repeat: exactly one epoch each
        batch = _numpy(batch)
        users, videos = batch["observation"]["user_id"], batch["logged_video_id"]
        keys = list(zip(users.tolist(), videos.tolist(), strict=True))
        assert sorted(keys) == sorted(expected)
        for i, key in enumerate(keys):
            tf.nest.map_structure(
                np.testing.assert_array_equal,
                tf.nest.map_structure(lambda a, i=i: a[i], batch),
                expected[key],
            )
        orders.append(keys)
    assert len({tuple(o) for o in orders}) > 1, "the cached epochs were not reshuffled"


def test_bad_arguments_and_missing_files_are_named(examples, tmp_path):
    with pytest.raises(ValueError, match="batch_size must be >= 1, got 0"):
        reader.transitions_dataset(examples, ss.TRAIN_SPLIT, 0)
    with pytest.raises(ValueError, match="num_candidates"):
        reader.transitions_dataset(examples, ss.TRAIN_SPLIT, 2, num_candidates=0)
    with pytest.raises(FileNotFoundError, match="sessions-"):
        reader.transitions_dataset(str(tmp_path), ss.TRAIN_SPLIT, 2)


def test_the_files_order_and_sharding_do_not_change_what_is_read(examples, tmp_path):
    # The same sessions, written as Beam might on another run: another order, two shards.
    records = [
        r.numpy()
        for f in session_io.session_files(examples, ss.TRAIN_SPLIT)
        for r in tf.data.TFRecordDataset(f, compression_type="GZIP")
    ]
    assert len(records) > 3
    shuffled = [records[i] for i in np.random.default_rng(0).permutation(len(records))]
    assert shuffled != records
    other = tmp_path / "other"
    (other / ss.TRAIN_SPLIT).mkdir(parents=True)
    for shard, part in enumerate((shuffled[::2], shuffled[1::2])):
        path = other / ss.TRAIN_SPLIT / f"sessions-{shard:05d}-of-00002.tfrecord.gz"
        with tf.io.TFRecordWriter(str(path), options="GZIP") as writer:
            for record in part:
                writer.write(record)

    def read(data_dir, **kwargs):
        dataset = reader.transitions_dataset(data_dir, ss.TRAIN_SPLIT, 4, H, **kwargs)
        return [_numpy(batch) for batch in dataset.take(6)]

    for kwargs in ({"shuffle": False}, {"seed": 3}, {"seed": 3, "cache_in_memory": True}):
        a, b = read(examples, **kwargs), read(str(other), **kwargs)
        assert len(a) == len(b) > 1
        for x, y in zip(a, b, strict=True):
            tf.nest.map_structure(np.testing.assert_array_equal, x, y)
