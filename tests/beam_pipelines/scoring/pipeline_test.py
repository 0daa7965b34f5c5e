"""Batch scoring end to end: the rows written equal the model's own top-N for each user."""

import glob
import json

import numpy as np
import pytest
import tensorflow as tf

from beam_pipelines.scoring import pipeline
from beam_pipelines.scoring.config import ScoringConfig
from tscac_tf.data import session_io
from tscac_tf.specs import session_schema as ss
from tscac_tf.testing import fake_serving_model as fsm


def _session(user_id, date, index, video_ids, play_time_ms) -> bytes:
    steps = {name: [0] * len(video_ids) for name in ss.STEP_INT64 + ss.STEP_FLOAT}
    steps.update(video_id=video_ids, play_time_ms=play_time_ms)
    context = {"user_id": user_id, "date": date, "session_index": index, "session_id": "s"}
    return session_io.encode_session(context, steps)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("scoring")
    model, _ = fsm.publish_fake_serving_model(str(root / "exports"))
    (root / "data" / "eval").mkdir(parents=True)
    path = str(root / "data" / "eval" / "sessions-00000-of-00001.tfrecord.gz")
    with tf.io.TFRecordWriter(path, options="GZIP") as writer:
        writer.write(_session(3, 20220420, 0, [1, 2, 3], [1000, 2000, 0]))
        writer.write(_session(3, 20220421, 0, [5, 6], [9000, 100]))
        writer.write(_session(500, 20220421, 2, [7], [4000]))  # an unknown user
    users = root / "users.csv"
    users.write_text("user_id,other\n3,x\n4,y\n")
    return root, model


def _recommend(model, user_id, video_ids, play_time_ms):
    """The model's whole answer (N videos and scores) for one user's history."""
    history = np.full([1, ss.DEFAULT_HISTORY_LENGTH], -1, np.int64)
    play = np.zeros([1, ss.DEFAULT_HISTORY_LENGTH], np.int64)
    history[0, : len(video_ids)], play[0, : len(video_ids)] = video_ids, play_time_ms
    out = model.recommend(np.array([user_id], np.int64), history, play)
    return out["video_ids"].numpy()[0].tolist(), out["scores"].numpy()[0]


def _expected(model, user_id, video_ids, play_time_ms, top_n, seen=()):
    """The model's top_n for the history, without the videos in `seen` (a loop over the
    model's whole ranking, independent of recommend_excluding)."""
    history = np.full([1, ss.DEFAULT_HISTORY_LENGTH], -1, np.int64)
    play = np.zeros([1, ss.DEFAULT_HISTORY_LENGTH], np.int64)
    history[0, : len(video_ids)], play[0, : len(video_ids)] = video_ids, play_time_ms
    everything = np.arange(model.config.num_videos + 5, dtype=np.int64)[None, :]
    scores = model.rank(np.array([user_id], np.int64), history, play, everything)["scores"]
    scores = scores.numpy()[0]
    order = [i for i in np.argsort(-scores, kind="stable") if i < model.config.num_videos]
    keep = [i for i in order if i not in {*seen, *video_ids}][:top_n]
    return keep, scores[keep]


def _rows(out_dir):
    rows = [json.loads(line) for f in glob.glob(f"{out_dir}/top_n-*.jsonl") for line in open(f)]
    by_user = {}
    for row in sorted(rows, key=lambda r: (r["user_id"], r["rank"])):
        by_user.setdefault(row["user_id"], []).append(row)
    return by_user


def test_scores_every_user_from_their_latest_session(world, tmp_path):
    root, model = world
    config = ScoringConfig(
        model=str(root / "exports"),
        data_dir=str(root / "data"),
        out_dir=str(tmp_path),
        top_n=4,
        users_csv=str(root / "users.csv"),
    )
    pipeline.run_config(config)
    by_user = _rows(tmp_path)
    assert sorted(by_user) == [3, 4, 500]
    histories = {3: ([6, 5], [100, 9000]), 4: ([], []), 500: ([7], [4000])}  # most recent first
    seen = {3: [1, 2, 3, 5, 6], 4: [], 500: [7]}  # every video of the user's sessions
    for user_id, (ids, play) in histories.items():
        want_ids, want_scores = _expected(model, user_id, ids, play, 4, seen[user_id])
        assert [r["rank"] for r in by_user[user_id]] == [1, 2, 3, 4]
        assert [r["video_id"] for r in by_user[user_id]] == want_ids
        np.testing.assert_allclose([r["score"] for r in by_user[user_id]], want_scores, rtol=1e-6)
    assert all(open(f).read() == "" for f in glob.glob(str(tmp_path / "dead_letters-*")))


def test_leaves_out_what_the_user_was_shown_unless_told_to_keep_it(world, tmp_path):
    root, model = world
    latest = [5, 6]  # history [6, 5]
    ids, _ = _recommend(model, 3, latest[::-1], [0, 0])
    earlier = [v for v in ids if v not in latest][:3]  # three of the model's favourites
    data = tmp_path / "data"
    (data / "eval").mkdir(parents=True)
    with tf.io.TFRecordWriter(
        str(data / "eval" / "sessions-00000-of-00001.tfrecord.gz"), options="GZIP"
    ) as writer:
        writer.write(_session(3, 20220420, 0, earlier, [0] * len(earlier)))
        writer.write(_session(3, 20220421, 0, latest, [0, 0]))
    flags = ["--model", str(root / "exports"), "--data_dir", str(data), "--top_n", "4"]
    pipeline.run([*flags, "--out", str(tmp_path / "filtered")])
    pipeline.run([*flags, "--out", str(tmp_path / "kept"), "--keep_seen"])
    filtered = [r["video_id"] for r in _rows(tmp_path / "filtered")[3]]
    kept = [r["video_id"] for r in _rows(tmp_path / "kept")[3]]
    assert kept == ids[:4]
    assert filtered == [v for v in ids if v not in {*earlier, *latest}][:4]
    assert set(earlier) & set(kept) and not set(earlier) & set(filtered)


def test_a_user_who_saw_most_favourites_still_gets_top_n_fresh_rows(world, tmp_path):
    root, model = world
    ids, _ = _recommend(model, 3, [], [])
    seen = ids[:8]  # 8 of the model's 10 answers to an empty history
    latest = next(v for v in range(64) if v not in ids)
    data = tmp_path / "data"
    (data / "eval").mkdir(parents=True)
    with tf.io.TFRecordWriter(
        str(data / "eval" / "sessions-00000-of-00001.tfrecord.gz"), options="GZIP"
    ) as writer:
        writer.write(_session(3, 20220420, 0, seen, [0] * 8))
        writer.write(_session(3, 20220421, 0, [latest], [0]))  # the history
    old = tmp_path / "old_exports"
    fsm.publish_fake_serving_model(str(old), fsm.FakeServingModelConfig(with_excluding=False))
    assert pipeline.scoring_signature(str(old / "tscac" / "1"), True) == "recommend"
    assert pipeline.scoring_signature(str(root / "exports" / "tscac" / "1"), False) == "recommend"
    results = {}
    for name, exports in (("current", root / "exports"), ("old", old)):
        config = ScoringConfig(str(exports), str(data), str(tmp_path / name), top_n=10)
        metrics = pipeline.run_config(config).metrics().query()["counters"]
        short = [c.committed for c in metrics if c.key.metric.name == "users_with_fewer_than_top_n"]
        results[name] = ([r["video_id"] for r in _rows(tmp_path / name)[3]], sum(short))
    want, _ = _expected(model, 3, [latest], [0], 10, [*seen, latest])
    assert results["current"] == (want, 0)  # recommend_excluding: 10 fresh rows
    # the old export: recommend's 10 (without the history), minus the earlier seen ones
    old_ids, _ = _recommend(fsm.FakeServingModel(), 3, [latest], [0])
    assert set(old_ids) & set(seen)  # so filtering its answer must come up short
    assert results["old"] == ([v for v in old_ids if v not in seen], 1)
    assert len(results["old"][0]) < 10


def test_csv_output_and_errors(world, tmp_path):
    root, _ = world
    saved = str(root / "exports" / "tscac" / "1")  # a SavedModel dir works as well as a base path
    flags = ["--model", saved, "--data_dir", str(root / "data"), "--out", str(tmp_path)]
    pipeline.run([*flags, "--top_n", "2", "--output_format", "csv"])
    lines = [line.strip() for f in glob.glob(str(tmp_path / "top_n-*.csv")) for line in open(f)]
    assert lines.count("user_id,rank,video_id,score") >= 1
    data = [line.split(",") for line in lines if not line.startswith("user_id")]
    assert sorted({int(d[0]) for d in data}) == [3, 500] and len(data) == 4
    with pytest.raises(ValueError, match="--top_n 11 is more than the 10 videos"):
        pipeline.run_config(
            ScoringConfig(str(root / "exports"), str(root / "data"), str(tmp_path), 11)
        )
    with pytest.raises(ValueError, match="scoring needs --data_dir, --out"):
        pipeline.run(["--model", saved])
    with pytest.raises(FileNotFoundError, match="no session files match"):
        pipeline.run_config(ScoringConfig(str(root / "exports"), str(tmp_path), str(tmp_path)))


def test_model_shapes_reads_the_signature(world):
    root, _ = world
    saved = str(root / "exports" / "tscac" / "1")
    assert pipeline.model_shapes(saved) == (ss.DEFAULT_HISTORY_LENGTH, 10)
