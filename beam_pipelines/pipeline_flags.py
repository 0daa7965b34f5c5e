"""Registering Beam pipeline flags so several pipelines can live in one process.

Beam parses the flags of every `PipelineOptions` subclass ever imported with one argparse
parser, so two pipelines that both define `--data_dir` (ExampleGen, the candidates step,
batch scoring) fail with "conflicting option string" as soon as both modules are imported
in one process (a test run, a notebook, an orchestrator worker). `add_flag` registers a
flag once; a later definition of the same flag is accepted when it has the same type.
"""

from __future__ import annotations

import argparse


def add_flag(parser: argparse.ArgumentParser, name: str, **kwargs) -> argparse.Action:
    """`parser.add_argument(name, **kwargs)` unless `name` is already registered.

    Raises:
      TypeError: the flag is already registered with another type (the pipelines would
        disagree on what the flag means).
    """
    existing = parser._option_string_actions.get(name)  # argparse's registry of flags
    if existing is None:
        return parser.add_argument(name, **kwargs)
    if existing.type != kwargs.get("type"):
        raise TypeError(
            f"pipeline flag {name} is registered twice with different types: "
            f"{existing.type} and {kwargs.get('type')}"
        )
    return existing


def add_keep_seen_flag(parser: argparse.ArgumentParser) -> argparse.Action:
    """`--keep_seen` (dest `exclude_seen`, default True): the candidates step and the batch
    scorer both drop the videos a user was already shown unless it is given. One definition,
    since every registered pipeline's flags are parsed together."""
    return add_flag(
        parser,
        "--keep_seen",
        dest="exclude_seen",
        action="store_false",
        default=True,
        help="keep the videos the user was already shown (candidates step: among each "
        "step's candidates; scoring: in each user's rows)",
    )
