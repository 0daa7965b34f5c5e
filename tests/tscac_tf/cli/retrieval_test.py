"""`tscac retrieval train|evaluate|candidates` end to end on a fake ExampleGen directory."""

import json
import os

from tscac_tf.cli import main
from tscac_tf.data import session_io
from tscac_tf.specs import session_schema as ss
from tscac_tf.testing import fake_sessions


def _json_out(capsys) -> dict:
    return json.loads(capsys.readouterr().out)


def test_train_evaluate_candidates(tmp_path, capsys):
    data, model, out = str(tmp_path / "data"), str(tmp_path / "model"), str(tmp_path / "out")
    fake_sessions.write_fake_sessions(data)

    assert (
        main(
            [
                "retrieval",
                "train",
                "--data-dir",
                data,
                "--model-dir",
                model,
                "--preset",
                "small",
                "--epochs",
                "3",
            ]
        )
        == 0
    )
    trained = _json_out(capsys)
    assert len(trained["loss_per_epoch"]) == 3 and trained["indexed_videos"] == 300
    assert os.path.exists(os.path.join(model, "index", "saved_model.pb"))
    assert trained["positives"] == "engaged"

    exposures = str(tmp_path / "exposures")
    common = ["--data-dir", data, "--preset", "small", "--epochs", "1"]
    argv = ["retrieval", "train", *common, "--model-dir", exposures, "--positives", "exposures"]
    argv += ["--tag-profile", "counts"]
    assert main(argv) == 0
    every = _json_out(capsys)
    assert every["positives"] == "exposures"
    assert every["train_positives"] > trained["train_positives"]
    with open(os.path.join(exposures, "retrieval_config.json")) as f:
        written = json.load(f)
    assert written["training"]["positives"] == "exposures"
    assert written["towers"]["tag_profile_method"] == "counts"
    with open(os.path.join(model, "retrieval_config.json")) as f:
        assert json.load(f)["towers"]["tag_profile_method"] == "fitted"  # the presets' default

    assert main(["retrieval", "evaluate", "--data-dir", data, "--model-dir", model]) == 0
    printed = _json_out(capsys)
    with open(os.path.join(model, "evaluation_metrics.json")) as f:
        assert json.load(f) == printed
    assert set(printed["methods"]) == {"two_tower", "popularity", "random"}
    assert (
        printed["methods"]["two_tower"]["recall@100"] > printed["methods"]["random"]["recall@100"]
    )

    argv = [
        "retrieval",
        "candidates",
        "--data-dir",
        data,
        "--model-dir",
        model,
        "--output-dir",
        out,
    ]
    assert main([*argv, "--num-candidates", "20", "--direct_num_workers=1"]) == 0
    counters = _json_out(capsys)
    assert counters["output_dir"] == out and counters["sessions"] > 0
    sessions = session_io.read_sessions_numpy(
        session_io.session_files(out, ss.EVAL_SPLIT), with_candidates=True, num_candidates=20
    )
    assert all(s["candidate_video_ids"].shape == (len(s["video_id"]), 20) for s in sessions)


def test_errors_are_one_line_and_name_the_problem(tmp_path, capsys):
    missing = str(tmp_path / "nothing")
    assert main(["retrieval", "train", "--data-dir", missing, "--model-dir", missing]) == 1
    assert "feature_tables.npz does not exist" in capsys.readouterr().err
    assert (
        main(
            [
                "retrieval",
                "train",
                "--data-dir",
                missing,
                "--model-dir",
                missing,
                "--preset",
                "huge",
            ]
        )
        == 1
    )
    assert "known presets: ['default', 'pure', 'small']" in capsys.readouterr().err
    assert main(["retrieval", "evaluate", "--data-dir", missing, "--model-dir", missing]) == 1
    assert "retrieval_config.json does not exist" in capsys.readouterr().err
    assert (
        main(["retrieval", "evaluate", "--data-dir", missing, "--model-dir", missing, "--runner=X"])
        == 2
    )
    assert "unrecognized arguments: --runner=X" in capsys.readouterr().err
