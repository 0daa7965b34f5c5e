"""`tscac preprocess`: the README's commands run verbatim; flags pass through to Beam."""

import json
import os
import re
import shlex
import types

import pytest

import tscac_tf.cli as cli
from beam_pipelines.preprocessing import pipeline
from tscac_tf.cli import preprocess

REPO = os.path.join(os.path.dirname(__file__), "..", "..", "..")
README = os.path.join(REPO, "beam_pipelines", "preprocessing", "README.md")


def _readme_commands(section: str) -> list[list[str]]:
    """The `tscac preprocess` commands of the first ```sh block after `section`."""
    text = open(README).read()
    block = re.search(r"```sh\n(.*?)```", text[text.index(section) :], re.S).group(1)
    joined = block.replace("\\\n", " ")
    return [
        shlex.split(line) for line in joined.splitlines() if line.startswith("tscac preprocess")
    ]


def test_readme_direct_runner_commands_run(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(REPO)
    commands = _readme_commands("## Run it")
    assert len(commands) == 2 and "multi_processing" in commands[1]
    for i, command in enumerate(commands):
        out = tmp_path / f"out{i}"
        args = [str(out) if a == "/tmp/tscac_examples" else a for a in command[1:]]
        assert cli.main(args) == 0
        printed = json.loads(capsys.readouterr().out)
        assert printed["sessions"] == {"train": 6, "eval": 2}
        assert printed["steps"] == {"train": 8, "eval": 3}
        assert printed["rows_rejected"] == {}
        assert os.listdir(out / "train")[0].startswith("sessions-")


def test_unknown_flags_reach_beam_and_the_separator_is_dropped(monkeypatch, capsys):
    seen = {}

    def fake_run(argv):
        seen["argv"] = argv
        return {
            "config": {"out_dir": "o"},
            "rows_read_total": {"logs": 10, "user_table": 4, "video_table": 6},
            "rows_rejected": {"logs": {"duplicate": 2, "out_of_range": 0}, "user_table": {}},
            "sessions": {"train": 3, "eval": 1},
            "steps": {"train": 6, "eval": 2},
        }

    monkeypatch.setattr(pipeline, "run", fake_run)
    status = cli.main(
        [
            "preprocess",
            "--data-dir",
            "in",
            "--out",
            "o",
            "--",
            "--session_gap_minutes",
            "10",
            "--runner=DirectRunner",
        ]
    )
    assert status == 0
    assert seen["argv"] == [
        "--data_dir=in",
        "--out=o",
        "--session_gap_minutes",
        "10",
        "--runner=DirectRunner",
    ]
    assert json.loads(capsys.readouterr().out)["rows_rejected"] == {"logs": {"duplicate": 2}}


def test_missing_directory_exits_2_naming_it(tmp_path, capsys):
    missing = str(tmp_path / "nowhere")
    assert cli.main(["preprocess", "--data-dir", missing, "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert missing in err and "no log file" in err and "missing or empty" in err


def test_other_commands_still_refuse_unknown_flags(monkeypatch):
    fake = types.SimpleNamespace(
        COMMAND="fake", HELP="a fake", add_arguments=lambda p: None, run=lambda args: 0
    )
    monkeypatch.setattr(cli, "_subcommand_modules", lambda: iter([fake, preprocess]))
    assert cli.main(["fake"]) == 0
    with pytest.raises(SystemExit) as e:
        cli.main(["fake", "--bogus"])
    assert e.value.code == 2
