"""`tscac score`: flags to a scoring run; rows written; bad input exits 2 with a message."""

import glob
import json
import os

from tscac_tf.cli import main
from tscac_tf.data import session_io
from tscac_tf.specs import session_schema as ss
from tscac_tf.testing import fake_serving_model as fsm


def _write_session(path):
    import tensorflow as tf  # after tscac_tf (Keras 2)

    steps = {name: [0, 0] for name in ss.STEP_INT64 + ss.STEP_FLOAT}
    steps.update(video_id=[4, 9], play_time_ms=[3000, 500])
    context = {"user_id": 2, "date": 20220420, "session_index": 0, "session_id": "2-20220420-0"}
    os.makedirs(os.path.dirname(path))
    with tf.io.TFRecordWriter(path, options="GZIP") as writer:
        writer.write(session_io.encode_session(context, steps))


def test_score_writes_top_n_rows(tmp_path):
    fsm.publish_fake_serving_model(str(tmp_path / "exports"))
    _write_session(str(tmp_path / "data" / "eval" / "sessions-00000-of-00001.tfrecord.gz"))
    out = tmp_path / "scores"
    flags = ["--model", str(tmp_path / "exports"), "--data-dir", str(tmp_path / "data")]
    assert main(["score", *flags, "--out", str(out), "--top-n", "3"]) == 0
    rows = [json.loads(line) for f in glob.glob(str(out / "top_n-*.jsonl")) for line in open(f)]
    assert [(r["user_id"], r["rank"]) for r in rows] == [(2, 1), (2, 2), (2, 3)]
    assert rows[0]["score"] >= rows[1]["score"] >= rows[2]["score"]


def test_missing_data_exits_2(tmp_path, capsys):
    fsm.publish_fake_serving_model(str(tmp_path / "exports"))
    flags = [
        "--model",
        str(tmp_path / "exports"),
        "--data-dir",
        str(tmp_path),
        "--out",
        str(tmp_path),
    ]
    assert main(["score", *flags]) == 2
    assert "no session files match" in capsys.readouterr().err
