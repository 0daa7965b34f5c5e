"""The `tscac` command line: one subcommand per module in this package.

Each subcommand module defines:
  COMMAND: str              the subcommand name (`tscac COMMAND ...`)
  HELP: str                 one line for `tscac --help`
  add_arguments(parser)     its flags (argparse)
  run(args) -> int          does the work; returns the exit status
and may define:
  PASSES_UNKNOWN_ARGS = True  flags it does not define are not an error but reach `run`
                              as `args.unknown_args` (e.g. Beam PipelineOptions flags)
  SKIPS_TEARDOWN = True       run as a program (`python -m tscac_tf.cli`), it ends with
                              os._exit once `run` has returned: see `main`

Flags live only here, at the entry points; `run` turns them into config dataclasses and
calls the library.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
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
        sub.set_defaults(
            _run=module.run,
            _passes_unknown_args=getattr(module, "PASSES_UNKNOWN_ARGS", False),
            _skips_teardown=getattr(module, "SKIPS_TEARDOWN", False),
        )
    return parser


def main(argv: list[str] | None = None, *, as_program: bool = False) -> int:
    """Runs `tscac ARGV`; returns the exit status.

    as_program: this is the whole process (`python -m tscac_tf.cli`, the `tscac` script).
      A training subcommand (SKIPS_TEARDOWN) then ends the process as soon as it returns,
      with every output already written and closed: it flushes stdout, stderr and logging
      and calls os._exit, skipping the interpreter's teardown of TensorFlow's objects.
      After a long run in the main job that teardown took 20 to 110 s (the baselines
      workers log it: "exit status 0, 36.0 s after writing its summary").
    """
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown and not args._passes_unknown_args:
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    args.unknown_args = unknown
    status = int(args._run(args) or 0)
    if as_program and args._skips_teardown:
        sys.stdout.flush()
        sys.stderr.flush()
        logging.shutdown()
        os._exit(status)
    return status


def program() -> int:
    """The `tscac` console script."""
    return main(as_program=True)


if __name__ == "__main__":
    sys.exit(program())
