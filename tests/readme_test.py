"""Every `tscac` command the README shows is a valid command line of the real CLI.

The commands are parsed (not run) by the same argparse parser `tscac` uses, so a renamed
subcommand or flag breaks this test instead of silently breaking the README. The quick
start itself (./dev.sh run / test) is what CI runs.
"""

import os
import re
import shlex

import pytest

from tscac_tf.cli import build_parser

README = os.path.join(os.path.dirname(__file__), "..", "README.md")


def readme_commands() -> list[str]:
    text = open(README).read()
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", text, flags=re.S):
        for line in block.splitlines():
            line = line.split("#")[0].strip()
            if line.startswith("tscac "):
                commands.append(line)
    commands += re.findall(r"`(tscac [^`]+)`", text)
    return sorted(set(commands))


def test_readme_has_the_two_quick_start_commands_first():
    text = open(README).read()
    first_block = re.search(r"```bash\n(.*?)```", text, flags=re.S).group(1)
    assert [line.split("#")[0].strip() for line in first_block.strip().splitlines()] == [
        "./dev.sh run",
        "./dev.sh test",
    ]


@pytest.mark.parametrize("command", readme_commands())
def test_readme_command_parses(command):
    parser = build_parser()
    args, unknown = parser.parse_known_args(shlex.split(command)[1:])
    assert args.command == command.split()[1]
    assert not unknown or getattr(args, "_passes_unknown_args", False), (
        f"unknown flags {unknown} in {command!r}"
    )


def test_readme_commands_were_found():
    names = {c.split()[1] for c in readme_commands()}
    assert {
        "run",
        "generate",
        "preprocess",
        "retrieval",
        "train",
        "evaluate",
        "serve",
        "score",
        "stats",
    } <= names
