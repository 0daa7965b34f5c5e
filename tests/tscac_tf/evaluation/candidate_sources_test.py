"""Ground-truth candidate sources other than the world's generator, on the small world."""

import numpy as np
import pytest
import tensorflow as tf

from tscac_tf.evaluation import candidate_sources as cs
from tscac_tf.evaluation import evaluate, ground_truth
from tscac_tf.retrieval import retrieval_index
from tscac_tf.simulator import user_state as us
from tscac_tf.simulator.world import World


@pytest.fixture(scope="module")
def world():
    return World.preset("small", seed=3)


class ReversedIndex(tf.Module):
    """A retrieval index stand-in: every query ranks the world's videos from the last one."""

    def __init__(self, video_ids):
        super().__init__()
        self._ranking = tf.constant(np.asarray(video_ids, np.int64)[::-1])

    @tf.function(input_signature=[*retrieval_index.QUERY_SIGNATURE, tf.TensorSpec([], tf.int32)])
    def top_k(self, user_id, history_video_ids, history_play_time_ms, k):
        n = tf.minimum(k, tf.size(self._ranking))
        ids = tf.tile(self._ranking[None, :n], [tf.shape(user_id)[0], 1])
        return {"video_ids": tf.pad(ids, [[0, 0], [0, k - n]], constant_values=-1)}


def _state_with_history(world, users, shown_earlier, history):
    state = world.initial_state(np.asarray(users, np.int64))
    for lane, videos in enumerate(shown_earlier):
        for v in videos:
            state.seen[lane, v >> 3] |= np.uint8(1 << (v & 7))
    for lane, videos in enumerate(history):
        state.history_video[lane, : len(videos)] = videos
    return state


def test_shown_before_is_the_seen_bitmap_and_the_history(world):
    users = world.population.users.ids[:2]
    state = _state_with_history(world, users, [[0, 9, 17], []], [[5], [3, 4]])
    shown = cs.shown_before(state, np.arange(2), world.population.videos.ids.size)
    assert np.nonzero(shown[0])[0].tolist() == [0, 5, 9, 17]
    assert np.nonzero(shown[1])[0].tolist() == [3, 4]


def test_first_k_unshown_keeps_the_order_and_fails_when_short():
    ranked = np.array([[4, 1, -1, 3, 0, 2]])
    shown = np.zeros((1, 5), bool)
    shown[0, [1, 0]] = True
    np.testing.assert_array_equal(cs.first_k_unshown(ranked, shown, 2), [[4, 3]])
    with pytest.raises(RuntimeError, match="only 3 unshown videos among the 5 ranked"):
        cs.first_k_unshown(ranked, shown, 4)


def test_each_source_offers_k_distinct_unshown_videos(world):
    v = world.population.videos.ids.size
    k = world.num_candidates
    sources = cs.CandidateSources(
        world, ReversedIndex(world.population.videos.ids), np.arange(v, dtype=np.int64)
    )
    users = world.population.users.ids[:3]
    state = _state_with_history(world, users, [[v - 1, v - 3, 0], [], [1]], [[v - 2], [], []])
    rows, base = np.arange(3), np.array([11, 12, 13], np.uint64)
    retrieved = sources.retrieval(state, rows, base)
    # the index ranks v-1, v-2, ...: lane 0 skips the three it was shown
    assert retrieved[0, :3].tolist() == [v - 4, v - 5, v - 6]
    assert retrieved[1].tolist() == list(range(v - 1, v - 1 - k, -1))
    popular = sources.popularity(state, rows, base)
    assert popular[0, :2].tolist() == [1, 2] and popular[2, :2].tolist() == [0, 2]
    drawn = sources.random(state, rows, base)
    np.testing.assert_array_equal(drawn, sources.random(state, rows, base))  # seeded by request
    np.testing.assert_array_equal(drawn[1], sources.random(state, rows[1:2], base[1:2])[0])
    shown = cs.shown_before(state, rows, v)
    for offered in (retrieved, popular, drawn):
        assert offered.shape == (3, k)
        assert all(len(set(row)) == k for row in offered.tolist())
        assert not shown[np.arange(3)[:, None], offered].any()


def test_a_rollout_on_another_source_never_offers_a_video_shown_before(world):
    sources = cs.CandidateSources(
        world, popularity_order=np.arange(world.population.videos.ids.size, dtype=np.int64)
    )
    shown = {}  # user -> the videos shown so far (the policy always takes candidate 0)

    def recording(state, rows, base):
        offered = sources.popularity(state, rows, base)
        for lane, row in zip(rows.tolist(), offered.tolist(), strict=True):
            before = shown.setdefault(int(state.user[lane]), [])
            assert not set(before) & set(row)
            # popularity order 0, 1, 2, ... without what was shown: the next one in turn
            assert row[0] == len(before)
            before.append(row[0])
        return offered

    def first(observation):
        return np.zeros(len(observation["user_id"]), np.int64)

    users = world.population.users.ids[:20]
    result = world.rollout(first, users, seed=1, num_sessions=2, candidates=recording)
    assert sum(len(v) for v in shown.values()) == result.depth.sum() > 20


def test_popularity_from_log_counts_long_views_and_clicks(world, tmp_path):
    ids = world.population.videos.ids
    path = tmp_path / "log.csv"
    rows = [(ids[2], 1, 0), (ids[2], 0, 1), (ids[5], 1, 1), (ids[7], 0, 0), (ids[7], 0, 0)]
    path.write_text(
        "user_id,video_id,is_click,long_view\n" + "".join(f"1,{v},{c},{lv}\n" for v, c, lv in rows)
    )
    order = cs.popularity_from_log(str(path), world)
    assert order[:2].tolist() == [2, 5] and sorted(order.tolist()) == list(range(ids.size))
    path.write_text("user_id,video_id,is_click,long_view\n1,999999999,1,0\n")
    with pytest.raises(KeyError, match="row 2: video_id 999999999 is not in the world"):
        cs.popularity_from_log(str(path), world)


def test_user_state_seen_bits_match_shown_before(world):
    state = world.initial_state(world.population.users.ids[:1])
    us.apply_exposure(
        state, np.array([0]), np.array([6]), np.array([1000]), np.array([0.1]),
        np.array([0]), np.array([0]), world.population.videos, world.config.dynamics,
    )  # fmt: skip
    assert cs.shown_before(state, np.array([0]), world.population.videos.ids.size)[0, 6]


def test_served_path_plays_the_index_candidates_and_restores_the_world(world, tmp_path):
    index_dir = str(tmp_path / "index")
    tf.saved_model.save(ReversedIndex(world.population.videos.ids), index_dir)
    offered = []

    def first(observation):
        offered.append(observation["candidate_video_ids"])
        return np.zeros(len(observation["user_id"]), np.int64)

    def last(observation):
        return np.full(len(observation["user_id"]), observation["candidate_video_ids"].shape[1] - 1)

    config = ground_truth.GroundTruthConfig(num_users=20, num_sessions=1, seeds=(1, 2, 3))
    served = evaluate.served_path(world, {"bc": first, "last": last}, index_dir, config)
    assert "candidates" not in vars(world)  # World.candidates is the generator again
    assert index_dir in served["metadata"]["candidates"]
    assert set(served["policies"]) == {"bc", "last"}
    assert served["policies"]["last"]["sessions"] == 20 * 3
    # the index ranks the world's videos from the last: the first request of every session
    # offers exactly the last K videos, in that order
    ids = world.population.videos.ids
    np.testing.assert_array_equal(offered[0][0], ids[::-1][: world.num_candidates])
    offered.clear()
    ground_truth.evaluate_policies(world, {"bc": first}, config)  # the generator again
    assert not np.array_equal(offered[0][0], ids[::-1][: world.num_candidates])
