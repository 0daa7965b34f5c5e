"""`tscac evaluate` flags (the whole command runs in the main-job and real-format job tests)."""

import pytest

from tscac_tf.cli import build_parser, evaluate


def test_policies_are_name_dir_pairs():
    assert evaluate.parse_policies(["bc=/a", "tscac=/b"]) == {"bc": "/a", "tscac": "/b"}
    with pytest.raises(ValueError, match="expects NAME=DIR"):
        evaluate.parse_policies(["bc"])
    with pytest.raises(ValueError, match="--policy bc given twice"):
        evaluate.parse_policies(["bc=/a", "bc=/b"])


def test_the_served_path_needs_a_world(tmp_path):
    args = build_parser().parse_args(
        [
            "evaluate",
            "--data",
            str(tmp_path),
            "--policy",
            f"bc={tmp_path}",
            "--out",
            str(tmp_path / "out"),
            "--retrieval-index",
            str(tmp_path / "index"),
        ]  # fmt: skip
    )
    assert args.retrieval_index == str(tmp_path / "index")
    with pytest.raises(ValueError, match="--retrieval-index needs --world"):
        evaluate.run(args)
