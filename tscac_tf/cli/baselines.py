"""`tscac baselines`: train and export the comparison baselines on candidate sessions.

    tscac baselines --data DATA --out OUT [--tscac-dir TSCAC_OUT] [--preset small|default|pure]
                    [--only bc,watch_time_ac,...] [--steps N] [--behavior-steps N]
                    [--batch-size B] [--seed S]

DATA is the output of the retrieval candidates step. With --tscac-dir (a `tscac train`
output) its behaviour model is reused as π_β and as the BC baseline; otherwise π_β is
trained into OUT/bc. Each baseline goes to OUT/<name>/ (checkpoints, summaries,
export/rank); the path of OUT/baselines_summary.json is printed on stdout.
Baselines: bc, watch_time_ac, interaction_ac, rcpo, rcpo_mc, pareto, wide_deep, deepfm.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys

from tscac_tf.cli._logging import log_progress_to_stderr

COMMAND = "baselines"
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


def run(args: argparse.Namespace) -> int:
    log_progress_to_stderr()
    from tscac_tf.agents.baselines import training

    names = [n.strip() for n in args.only.split(",") if n.strip()] if args.only else None
    try:
        config = build_config(args)
        if names is not None:
            names = training.check_names(names)
    except (KeyError, ValueError) as e:
        print(f"tscac baselines: {e}", file=sys.stderr)
        return 2
    training.train_baselines(args.data, args.tscac_dir, args.out, config, names)
    print(f"{args.out.rstrip('/')}/{training.SUMMARY_FILE}")
    return 0
