"""The `tscac` command line: one subcommand per module in this package.

Each subcommand module defines:
  COMMAND: str              the subcommand name (`tscac COMMAND ...`)
  HELP: str                 one line for `tscac --help`
  add_arguments(parser)     its flags (argparse)
  run(args) -> int          does the work; returns the exit status

Flags live only here, at the entry points; `run` turns them into config dataclasses and
calls the library.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

import tscac_tf  # noqa: F401  (sets TF_USE_LEGACY_KERAS before anything imports TensorFlow)


def _subcommand_modules():
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if not info.name.startswith("_"):
            yield importlib.import_module(f"{__name__}.{info.name}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tscac",
        description="Two-Stage Constrained Actor-Critic for short-video recommendation.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in _subcommand_modules():
        sub = subparsers.add_parser(module.COMMAND, help=module.HELP, description=module.HELP)
        module.add_arguments(sub)
        sub.set_defaults(_run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args._run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
