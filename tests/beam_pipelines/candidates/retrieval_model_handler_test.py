"""RetrievalModelHandler: per-step retrieval of a user's sessions, one user per model call."""

import numpy as np
import tensorflow as tf

from beam_pipelines.candidates.retrieval_model_handler import (
    RetrievalModelHandler,
    shown_before_steps,
)
from beam_pipelines.candidates.session_record import decode_session
from beam_pipelines.candidates.user_sessions import user_sessions
from tscac_tf.data import session_io
from tscac_tf.retrieval import model_dir, session_queries
from tscac_tf.specs import session_schema as ss


def _users(data_dir, count):
    files = session_io.session_files(data_dir, ss.TRAIN_SPLIT)
    records = [
        decode_session(r)
        for r in tf.data.TFRecordDataset(files, compression_type="GZIP").as_numpy_iterator()
    ]
    by_user = {}
    for record in records:
        by_user.setdefault(record.context["user_id"], []).append((ss.TRAIN_SPLIT, record))
    return [user_sessions(pairs) for pairs in list(by_user.values())[:count]]


class _Spy:
    """Wraps the loaded index, as an index exported before `top_k_excluding` existed (it has
    `top_k` only); records the user ids and k of every model call."""

    def __init__(self, model):
        self._model = model
        self.calls = []
        self.ks = []

    def top_k(self, user_id, *args):
        self.calls.append(np.unique(user_id))
        self.ks.append(int(args[-1]))
        return self._model.top_k(user_id, *args)


class _SpyExcluding(_Spy):
    """The same, with `top_k_excluding`; records each call's steps and exclusion width."""

    def __init__(self, model):
        super().__init__(model)
        self.shapes = []

    def top_k_excluding(self, user_id, history, play, excluded, k):
        self.calls.append(np.unique(user_id))
        self.ks.append(int(k))
        self.shapes.append(excluded.shape)
        return self._model.top_k_excluding(user_id, history, play, excluded, k)


def _index_top_k(inputs, record, k):
    session = {**record.steps, "user_id": record.context["user_id"]}
    q = session_queries.session_queries(session, 20)
    return inputs.index.top_k(
        q["user_id"], q["history_video_ids"], q["history_play_time_ms"], np.int32(k)
    )["video_ids"].numpy()


def test_plain_top_k_equals_the_index_and_each_call_holds_one_user(inputs):
    handler = RetrievalModelHandler(
        model_dir.index_path(inputs.model_dir), 20, 10, max_queries_per_call=7, exclude_seen=False
    )
    users = _users(inputs.data_dir, 3)
    spy = _Spy(handler.load_model())
    results = list(handler.run_inference(users, spy))
    assert [r.example for r in results] == users
    for user, result in zip(users, results, strict=True):
        assert len(result.inference) == len(user.records)
        for record, retrieved in zip(user.records, result.inference, strict=True):
            np.testing.assert_array_equal(retrieved, _index_top_k(inputs, record, 10))
    # Chunks of 7 steps, never two users in one call: batching cannot change the floats.
    assert all(len(users_in_call) == 1 for users_in_call in spy.calls)
    assert len(spy.calls) == sum(-(-u.num_steps // 7) for u in users)
    assert handler.batch_elements_kwargs()["max_batch_size"] == 8


def test_exclude_seen_keeps_the_first_k_videos_not_shown_before(inputs):
    handler = RetrievalModelHandler(model_dir.index_path(inputs.model_dir), 20, 10)
    users = _users(inputs.data_dir, 4)
    spy = _SpyExcluding(handler.load_model())
    results = list(handler.run_inference(users, spy))
    # The index excludes the shown videos itself: every call asks for K = 10, one user each.
    assert set(spy.ks) == {10} and all(len(u) == 1 for u in spy.calls)
    dropped = 0
    for user, result in zip(users, results, strict=True):
        for record, seen, retrieved in zip(
            user.records, user.seen_before, result.inference, strict=True
        ):
            ranking = _index_top_k(inputs, record, 60)  # every fake video, in order
            for t, row in enumerate(ranking):
                shown = set(seen.tolist()) | set(record.steps["video_id"][:t].tolist())
                expected = [v for v in row.tolist() if v not in shown][:10]
                assert retrieved[t].tolist() == expected
                dropped += len(shown & set(row[:10].tolist()))
    assert dropped > 0  # the plain top 10 did hold videos the user had seen


def test_exclusion_lists_hold_what_each_step_was_shown_before(inputs):
    users = _users(inputs.data_dir, 4)
    for user in users:
        excluded = shown_before_steps(user)
        assert excluded.dtype == np.int64 and excluded.shape[0] == user.num_steps
        rows = iter(excluded)
        for record, seen in zip(user.records, user.seen_before, strict=True):
            for t in range(record.num_steps):
                row = next(rows)
                listed = row[row != -1]
                shown = set(seen.tolist()) | set(record.steps["video_id"][:t].tolist())
                assert set(listed.tolist()) == shown
    assert any(len(s) > 0 for u in users for s in u.seen_before[1:])  # earlier sessions count


def test_exclusion_lists_of_a_range_of_steps_are_those_rows_of_the_whole(inputs):
    user = max(_users(inputs.data_dir, 4), key=lambda u: u.num_steps)
    whole = shown_before_steps(user)
    for start, stop in [(0, 1), (3, 11), (user.num_steps - 2, user.num_steps + 5)]:
        part = shown_before_steps(user, start, stop)
        expected = whole[start:stop]
        assert len(part) == len(expected) and part.shape[1] <= whole.shape[1]
        for got, want in zip(part, expected, strict=True):
            assert sorted(got[got != -1]) == sorted(want[want != -1])
    assert shown_before_steps(user, user.num_steps).shape == (0, 1)


def test_older_index_and_small_exclusion_budget_give_the_same_candidates(inputs):
    index_dir = model_dir.index_path(inputs.model_dir)
    users = _users(inputs.data_dir, 4)
    handler = RetrievalModelHandler(index_dir, 20, 10)
    expected = list(handler.run_inference(users, handler.load_model()))
    # An index without top_k_excluding: the handler widens its top k instead.
    older = _Spy(handler.load_model())
    widened = list(handler.run_inference(users, older))
    assert min(older.ks) > 10
    # A budget of 30 excluded ids per call: calls of at most 30 // E steps.
    small = RetrievalModelHandler(index_dir, 20, 10, max_excluded_per_call=30)
    spy = _SpyExcluding(small.load_model())
    budgeted = list(small.run_inference(users, spy))
    assert all(rows * width <= max(30, width) for rows, width in spy.shapes)
    assert len(spy.calls) > len(users)
    for got in (widened, budgeted):
        for a, b in zip(got, expected, strict=True):
            for x, y in zip(a.inference, b.inference, strict=True):
                np.testing.assert_array_equal(x, y)
