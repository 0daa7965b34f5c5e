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
    first = pipeline.run([*common, f"--output_dir={root / 'a'}", "--sessions_per_batch=3"])
    second = pipeline.run(
        [*common, f"--output_dir={root / 'b'}", "--sessions_per_batch=16", "--num_shards=2"]
    )
    return str(root / "a"), str(root / "b"), first, second


def test_output_is_a_complete_training_data_dir(inputs, runs):
    out, _, counters, _ = runs
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
    dead = tf.io.gfile.glob(os.path.join(out, "dead_letters", "candidates-*.jsonl"))
    letters = [json.loads(line) for path in dead for line in open(path) if line.strip()]
    assert [(d["split"], d["reason"]) for d in letters] == [("eval", "malformed_session")]


def test_candidates_are_the_index_top_k_with_the_logged_video_forced_in(inputs, runs):
    out = runs[0]
    for s in _read(out, ss.EVAL_SPLIT).values():
        ids, index = s["candidate_video_ids"], s["logged_candidate_index"]
        inserted = s["candidate_inserted"].astype(bool)
        np.testing.assert_array_equal(ids[np.arange(len(index)), index], s["video_id"])
        q = session_queries.session_queries(s, 20)
        top = inputs.index.top_k(
            q["user_id"], q["history_video_ids"], q["history_play_time_ms"], np.int32(10)
        )["video_ids"].numpy()
        np.testing.assert_array_equal(ids[~inserted], top[~inserted])
        for t in np.flatnonzero(inserted):
            assert s["video_id"][t] not in top[t]
            rest = np.delete(ids[t], index[t])
            np.testing.assert_array_equal(rest, top[t, :9])  # the lowest ranked dropped


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
