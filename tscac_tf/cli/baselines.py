"""`tscac baselines`: train and export the comparison baselines on candidate sessions.

    tscac baselines --data DATA --out OUT [--tscac-dir TSCAC_OUT] [--preset small|default|pure]
                    [--only bc,watch_time_ac,...] [--steps N] [--behavior-steps N]
                    [--batch-size B] [--seed S] [--workers N] [--threads T]

DATA is the output of the retrieval candidates step. With --tscac-dir (a `tscac train`
output) its behaviour model is reused as π_β and as the BC baseline; otherwise π_β is
trained into OUT/bc. Each baseline goes to OUT/<name>/ (checkpoints, summaries,
export/rank); the path of OUT/baselines_summary.json is printed on stdout.
Baselines: bc, watch_time_ac, interaction_ac, rcpo, rcpo_mc, pareto, wide_deep, deepfm.

With --workers N > 1, π_β is restored (or trained) first, then the other baselines train
in N child processes at once (agents/baselines/workers.py); --threads sets TensorFlow's
threads per process (default: TensorFlow's own choice, every core). `tscac run` uses as
many workers as cores, one thread each.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys

from tscac_tf.cli._logging import log_progress_to_stderr

COMMAND = "baselines"
SKIPS_TEARDOWN = True  # its outputs are all written and closed when `run` returns
HELP = "Train and export the baselines (BC, ACs, RCPO, RCPO-MC, Pareto, Wide&Deep, DeepFM)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", required=True, help="Candidates-step output directory.")
    parser.add_argument("--out", required=True, help="Output directory.")
    parser.add_argument("--tscac-dir", help="A `tscac train` output whose π_β is reused.")
    parser.add_argument("--preset", default="default", help="small, default or pure.")
    parser.add_argument("--only", help="Comma-separated baselines to train (default: all).")
    parser.add_argument("--steps", type=int, help="Train steps of every baseline.")
    parser.add_argument("--behavior-steps", type=int, help="Train steps of π_β (when trained).")
    parser.add_argument("--batch-size", type=int, help="Transitions per step.")
    parser.add_argument("--seed", type=int, help="Seed of shuffling and initialisation.")
    parser.add_argument(
        "--workers", type=int, default=1, help="Child processes training baselines at once."
    )
    parser.add_argument(
        "--threads", type=int, help="TensorFlow intra- and inter-op threads of this process."
    )
    parser.add_argument(
        "--summary-file",
        help="Summary file name in OUT (default baselines_summary.json; --workers sets it).",
    )


def build_config(args: argparse.Namespace):
    """The BaselinesConfig the flags describe (a preset with overrides)."""
    from tscac_tf.agents.baselines import config as baselines_config

    replacements = {}
    if args.batch_size is not None:
        replacements["batch_size"] = args.batch_size
    if args.seed is not None:
        replacements["seed"] = args.seed
    config = baselines_config.preset(args.preset, **replacements)
    if args.steps is not None:
        ac = dataclasses.replace(config.actor_critic, num_steps=args.steps)
        rm = dataclasses.replace(config.response_model, num_steps=args.steps)
        config = dataclasses.replace(config, actor_critic=ac, response_model=rm)
    behavior_steps = args.behavior_steps if args.behavior_steps is not None else args.steps
    if behavior_steps is not None:
        behavior = dataclasses.replace(config.tscac.behavior, num_steps=behavior_steps)
        tscac = dataclasses.replace(config.tscac, behavior=behavior)
        config = dataclasses.replace(config, tscac=tscac)
    return config


def _shared_flags(args: argparse.Namespace) -> list[str]:
    """The flags a worker shares with this process (all but --only, --workers, --threads)."""
    argv = ["--data", args.data, "--out", args.out, "--preset", args.preset]
    for flag, value in (
        ("--tscac-dir", args.tscac_dir),
        ("--steps", args.steps),
        ("--behavior-steps", args.behavior_steps),
        ("--batch-size", args.batch_size),
        ("--seed", args.seed),
    ):
        if value is not None:
            argv += [flag, str(value)]
    return argv


def _train_in_workers(args, config, names) -> None:
    from tscac_tf.agents.baselines import training, workers

    parts = []
    if training.BC in names or training.behavior_checkpoint(args.tscac_dir) is None:
        # π_β first, here: the workers then restore it rather than each training it.
        parts.append(training.train_baselines(args.data, args.tscac_dir, args.out, config, [training.BC],
                                              summary_file=workers.worker_summary_file(-1)))  # fmt: skip
        os.remove(os.path.join(args.out, workers.worker_summary_file(-1)))
    others = [n for n in names if n != training.BC]
    if others:
        groups = workers.plan(others, args.workers)
        parts += workers.run_workers(_shared_flags(args), groups, args.out, args.threads)
    summary = workers.merge_summaries(parts, names)
    with open(os.path.join(args.out, training.SUMMARY_FILE), "w") as f:
        json.dump(summary, f, indent=1, sort_keys=True, default=str)


def run(args: argparse.Namespace) -> int:
    log_progress_to_stderr()
    import tensorflow as tf

    from tscac_tf.agents.baselines import training

    names = [n.strip() for n in args.only.split(",") if n.strip()] if args.only else None
    try:
        config = build_config(args)
        names = training.check_names(names if names is not None else training.BASELINE_NAMES)
        for flag, value in (("--workers", args.workers), ("--threads", args.threads)):
            if value is not None and value < 1:
                raise ValueError(f"{flag} must be >= 1, got {value}")
    except (KeyError, ValueError) as e:
        print(f"tscac baselines: {e}", file=sys.stderr)
        return 2
    if args.threads is not None:  # before TensorFlow runs its first op
        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
        tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    if args.workers > 1:
        _train_in_workers(args, config, names)
        summary_file = training.SUMMARY_FILE
    else:
        summary_file = args.summary_file or training.SUMMARY_FILE
        training.train_baselines(args.data, args.tscac_dir, args.out, config, names,
                                 summary_file=summary_file)  # fmt: skip
    print(os.path.join(args.out, summary_file))
    return 0
