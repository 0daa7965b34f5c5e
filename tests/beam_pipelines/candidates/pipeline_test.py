"""The whole candidates step on a fake ExampleGen directory, twice: complete and deterministic."""

import json
import os
import shutil

import numpy as np
import pytest
import tensorflow as tf

from beam_pipelines.candidates import pipeline
from tscac_tf.data import session_io
from tscac_tf.features.feature_tables import FeatureTables
from tscac_tf.retrieval import session_queries
from tscac_tf.specs import session_schema as ss
from tscac_tf.testing import fake_sessions


def _read(directory, split):
    files = session_io.session_files(directory, split)
    sessions = session_io.read_sessions_numpy(files, with_candidates=True, num_candidates=10)
    return {s["session_id"]: s for s in sessions}


@pytest.fixture(scope="module")
def runs(inputs, tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    # A copy of the inputs with a malformed record next to the real shards: it must go to
    # the dead letters.
    data_dir = str(root / "data")
    shutil.copytree(inputs.data_dir, data_dir)
    with tf.io.TFRecordWriter(
        os.path.join(data_dir, "eval", "sessions-00099-of-00100.tfrecord.gz"), "GZIP"
    ) as writer:
        writer.write(b"not a session")
    common = [f"--data_dir={data_dir}", f"--model_dir={inputs.model_dir}", "--seed=5"]
    first = pipeline.run([*common, f"--output_dir={root / 'a'}", "--users_per_batch=1"])
    second = pipeline.run(
        [*common, f"--output_dir={root / 'b'}", "--users_per_batch=5", "--num_shards=2"]
    )
    pipeline.run([*common, f"--output_dir={root / 'plain'}", "--keep_seen"])
    return str(root / "a"), str(root / "b"), first, second, str(root / "plain")


def test_output_is_a_complete_training_data_dir(inputs, runs):
    out, _, counters, _, _ = runs
    for split in (ss.TRAIN_SPLIT, ss.EVAL_SPLIT):
        raw = session_io.read_sessions_numpy(session_io.session_files(inputs.data_dir, split))
        assert sorted(_read(out, split)) == sorted(s["session_id"] for s in raw)
    assert counters["sessions"] == len(_read(out, "train")) + len(_read(out, "eval"))
    assert counters["malformed_session"] == 1
    assert 0 < counters["logged_video_inserted"] < counters["steps"]
    FeatureTables.load(out)  # the tables came along
    assert os.path.exists(os.path.join(out, fake_sessions.STATS_FILE))
    with open(os.path.join(out, pipeline.INFO_FILE)) as f:
        info = json.load(f)
    assert info["num_candidates"] == 10 and info["history_length"] == 20 and info["seed"] == 5
    assert info["exclude_seen"] is True
    dead = tf.io.gfile.glob(os.path.join(out, "dead_letters", "candidates-*.jsonl"))
    letters = [json.loads(line) for path in dead for line in open(path) if line.strip()]
    assert [(d["split"], d["reason"]) for d in letters] == [("eval", "malformed_session")]


def _check_sets(s, top):
    """The session's candidates are `top` [T, K] with the logged video forced in."""
    ids, index = s["candidate_video_ids"], s["logged_candidate_index"]
    inserted = s["candidate_inserted"].astype(bool)
    np.testing.assert_array_equal(ids[np.arange(len(index)), index], s["video_id"])
    np.testing.assert_array_equal(ids[~inserted], top[~inserted])
    for t in np.flatnonzero(inserted):
        assert s["video_id"][t] not in top[t]
        rest = np.delete(ids[t], index[t])
        np.testing.assert_array_equal(rest, top[t, :9])  # the lowest ranked dropped


def _ranking(inputs, s, k):
    q = session_queries.session_queries(s, 20)
    return inputs.index.top_k(
        q["user_id"], q["history_video_ids"], q["history_play_time_ms"], np.int32(k)
    )["video_ids"].numpy()


def test_without_seen_filter_candidates_are_the_index_top_k(inputs, runs):
    for s in _read(runs[4], ss.EVAL_SPLIT).values():
        _check_sets(s, _ranking(inputs, s, 10))


def test_candidates_skip_every_video_the_user_was_shown_before(inputs, runs):
    sessions = [
        s for split in (ss.TRAIN_SPLIT, ss.EVAL_SPLIT) for s in _read(runs[0], split).values()
    ]
    by_user = {}
    for s in sorted(sessions, key=lambda s: (int(s["date"]), int(s["session_index"]))):
        by_user.setdefault(int(s["user_id"]), []).append(s)
    dropped = 0
    for user_sessions in by_user.values():
        shown_earlier = set()
        for s in user_sessions:
            full = _ranking(inputs, s, 60)  # every fake video, best first
            top = np.full([len(full), 10], -1)
            for t, row in enumerate(full):
                shown = shown_earlier | set(s["video_id"][:t].tolist())
                kept = [v for v in row.tolist() if v not in shown][:10]
                top[t, : len(kept)] = kept
                dropped += len(shown & set(row[:10].tolist()))
            _check_sets(s, top)
            shown_earlier |= set(s["video_id"].tolist())
    assert dropped > 0  # the plain top 10 held videos the user had been shown


def test_reruns_with_other_batching_and_sharding_are_identical(runs):
    a, b = runs[0], runs[1]
    assert len(session_io.session_files(b, ss.TRAIN_SPLIT)) == 2
    for split in (ss.TRAIN_SPLIT, ss.EVAL_SPLIT):
        left, right = _read(a, split), _read(b, split)
        assert sorted(left) == sorted(right)
        for session_id, session in left.items():
            for key in (ss.STEP_CANDIDATE_IDS, ss.STEP_LOGGED_INDEX, ss.STEP_CANDIDATE_INSERTED):
                np.testing.assert_array_equal(session[key], right[session_id][key])


def test_missing_split_fails_before_any_work(inputs, tmp_path):
    shutil.copytree(os.path.join(inputs.data_dir, "train"), tmp_path / "data" / "train")
    with pytest.raises(FileNotFoundError, match="eval/sessions-"):
        pipeline.run(
            [
                f"--data_dir={tmp_path / 'data'}",
                f"--model_dir={inputs.model_dir}",
                f"--output_dir={tmp_path / 'out'}",
            ]
        )
    assert not (tmp_path / "out").exists()
