"""Evaluation queries and the already-seen filter, against independent recomputations."""

import collections

import numpy as np
import pytest
import tensorflow as tf

from tscac_tf.data import session_io
from tscac_tf.retrieval import config, eval_queries, evaluation, training_data
from tscac_tf.specs import session_schema as ss
from tscac_tf.testing import fake_sessions

# Few videos and several sessions per user, so users meet videos again across sessions.
WORLD = fake_sessions.FakeWorld(num_users=8, num_videos=40, train_sessions=3, eval_sessions=2)
H = 4


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("data"))
    tables = fake_sessions.write_fake_sessions(path, WORLD)
    return path, tables


def _reference(path):
    """[(user, target, history tuple, shown-before set)] per positive eval step, by loops,
    in the queries' order (user, then time)."""
    sessions = []
    for split in (ss.TRAIN_SPLIT, ss.EVAL_SPLIT):
        for s in session_io.read_sessions_numpy(session_io.session_files(path, split)):
            sessions.append((split, s))
    by_user = collections.defaultdict(list)
    for split, s in sessions:
        by_user[int(s["user_id"])].append((int(s["date"]), int(s["session_index"]), split, s))
    out = []
    for user in sorted(by_user):
        listed = by_user[user]
        shown = set()
        for _, _, split, s in sorted(listed, key=lambda x: x[:2]):
            videos = s["video_id"].tolist()
            for t, video in enumerate(videos):
                if split == ss.EVAL_SPLIT and (s["long_view"][t] or s["is_click"][t]):
                    history = tuple(videos[max(0, t - H) : t][::-1])
                    out.append((user, video, history, shown | set(videos[:t])))
            shown |= set(videos)
    return out


def _rows(queries):
    inputs = queries.inputs
    for i in range(len(queries)):
        history = tuple(v for v in inputs["history_video_ids"][i].tolist() if v >= 0)
        yield int(inputs["user_id"][i]), int(inputs["video_id"][i]), history


def _sorted_queries(q):
    """The (user, target, history, play times) tuples of a query dict, sorted."""
    return sorted(
        zip(
            q["user_id"].tolist(),
            q["video_id"].tolist(),
            map(tuple, q["history_video_ids"].tolist()),
            map(tuple, q["history_play_time_ms"].tolist()),
            strict=True,
        )
    )


def test_queries_are_the_readers_positive_steps(data):
    path, _ = data
    queries = eval_queries.read(path, ss.EVAL_SPLIT, H)
    reader = training_data.collect(training_data.positive_examples(path, ss.EVAL_SPLIT, H))
    got = _sorted_queries(queries.inputs)
    assert got == _sorted_queries(reader) and len(got) > 50


@pytest.mark.parametrize("split", [ss.EVAL_SPLIT, ss.TRAIN_SPLIT])
def test_train_positive_videos_are_the_readers_train_positives(data, split):
    path, _ = data
    queries = eval_queries.read(path, split, H)
    reader = training_data.collect(training_data.positive_examples(path, ss.TRAIN_SPLIT, H))
    got = queries.train_positive_videos
    assert got.dtype == np.int64 and len(got) > 50
    assert sorted(got.tolist()) == sorted(reader["video_id"].tolist())


def test_shown_before_is_every_earlier_exposure_of_the_user(data):
    path, _ = data
    queries = eval_queries.read(path, ss.EVAL_SPLIT, H)
    reference = _reference(path)
    assert [r[:3] for r in reference] == list(_rows(queries))
    ranking = np.arange(11, 11 + 7 * 40, 7)  # every fake video id, in id order
    counts, target_shown = queries.shown_counts(), queries.target_shown()
    repeats = 0
    for rows in (slice(None), slice(3, 40)):  # whole, and a part cutting through sessions
        kept = queries.without_shown(np.tile(ranking, (len(queries), 1))[rows], rows, 12)
        for i, (_, target, _, shown) in list(enumerate(reference))[rows]:
            assert counts[i] == len(shown)
            assert target_shown[i] == (target in shown)
            expected = [v for v in ranking.tolist() if v not in shown][:12]
            assert kept[i - (rows.start or 0)].tolist() == expected
            repeats += bool(shown & set(ranking[:12].tolist()))
    assert repeats > 0  # the filter did drop videos of the top 12


def test_evaluate_filters_exactly_the_shown_videos(data):
    path, tables = data
    videos = tables.video_ids[1:]
    ranking = videos[np.random.default_rng(0).permutation(len(videos))]

    class FixedIndex:  # ranks every video in the same order for every query
        def top_k(self, user_id, history_video_ids, history_play_time_ms, k):
            return {"video_ids": tf.constant(np.tile(ranking[:k], (len(user_id), 1)))}

    cfg = config.RetrievalConfig(
        eval_recall_ks=(5, 10), eval_ndcg_k=10, index_top_n=40, num_candidates=10
    )
    metrics = evaluation.evaluate(FixedIndex(), path, cfg)
    hits = {5: 0, 10: 0}
    hits_raw = {5: 0, 10: 0}
    reference = _reference(path)
    for _, target, _, shown in reference:
        kept = [v for v in ranking.tolist() if v not in shown]
        for k in hits:
            hits[k] += target in kept[:k]
            hits_raw[k] += target in ranking[:k].tolist()
    assert metrics["queries"] == len(reference)
    for k in hits:
        filtered = metrics["methods"]["two_tower"][f"recall@{k}"]
        raw = metrics["methods_without_seen_filter"]["two_tower"][f"recall@{k}"]
        assert filtered == pytest.approx(hits[k] / len(reference))
        assert raw == pytest.approx(hits_raw[k] / len(reference))
    assert hits[10] != hits_raw[10]  # the filter changed the outcome on this data
