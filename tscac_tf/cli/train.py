"""`tscac train`: behaviour model, stage one, stage two, then the `rank` export.

    tscac train --data DATA --out OUT [--preset small|default|pure] [--steps N]
                [--behavior-steps N] [--stage-one-steps N] [--stage-two-steps N]
                [--batch-size B] [--shared-lambda L] [--propensity model|logged]
                [--advantage-critic] [--lambda-update fixed|dual]
                [--seed S] [--strategy default|mirrored]
                [--behavior-only] [--threads T]

DATA is the output of the retrieval candidates step (sessions with K candidates per step
and the feature tables). OUT receives behavior/, stage_one/ and stage_two/ (checkpoints
and TensorBoard summaries), export/rank/ (SavedModel) and train_summary.json. Started
again on the same OUT, a killed run resumes from its last checkpoints. Progress and ETA
go to stderr; the summary JSON's path is printed on stdout.

--behavior-only trains π_β alone (OUT/behavior, OUT/export/behavior). A later full run
on an OUT that holds a finished behavior/ resumes past it: `tscac run` trains π_β once,
then trains the two TSCAC stages and the baselines from it at the same time.
--threads sets TensorFlow's intra- and inter-op threads (default: every core).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys

from tscac_tf.cli._logging import log_progress_to_stderr

COMMAND = "train"
SKIPS_TEARDOWN = True  # its outputs are all written and closed when `run` returns
HELP = "Train π_β, TSCAC stage one and stage two on candidate sessions; export `rank`."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", required=True, help="Candidates-step output directory.")
    parser.add_argument("--out", required=True, help="Output directory.")
    # No `choices` from config.PRESET_NAMES here: that import loads TensorFlow for every `tscac`.
    parser.add_argument("--preset", default="default", help="small, default or pure.")
    parser.add_argument("--steps", type=int, help="Train steps of every stage.")
    parser.add_argument("--behavior-steps", type=int, help="Train steps of π_β.")
    parser.add_argument("--stage-one-steps", type=int, help="Train steps of stage one.")
    parser.add_argument("--stage-two-steps", type=int, help="Train steps of stage two.")
    parser.add_argument("--batch-size", type=int, help="Transitions per step.")
    parser.add_argument("--shared-lambda", type=float, help="One λ for every auxiliary.")
    parser.add_argument("--propensity", choices=("model", "logged"), help="π_β source.")
    parser.add_argument(
        "--advantage-critic",
        action="store_true",
        help="Stage two's Â_1 from a critic fitted to the TD errors instead of the TD errors "
        "themselves (StageTwoConfig.advantage_critic).",
    )
    parser.add_argument(
        "--lambda-update",
        choices=("fixed", "dual"),
        help="Stage two's λ_i: fixed at the preset's (the paper's form), or moved by dual "
        "ascent on the constraints from there (StageTwoConfig.lagrange_update).",
    )
    parser.add_argument("--seed", type=int, help="Seed of shuffling and initialisation.")
    parser.add_argument(
        "--strategy",
        choices=("default", "mirrored"),
        default="default",
        help="tf.distribute strategy: the default one, or MirroredStrategy on all devices.",
    )
    parser.add_argument("--behavior-only", action="store_true", help="Train and export π_β only.")
    parser.add_argument(
        "--threads", type=int, help="TensorFlow intra- and inter-op threads of this process."
    )


def build_config(args: argparse.Namespace):
    """The TscacConfig the flags describe (a preset with overrides)."""
    from tscac_tf.agents.tscac import config as tscac_config

    replacements = {}
    if args.batch_size is not None:
        replacements["batch_size"] = args.batch_size
    if args.propensity is not None:
        replacements["propensity_source"] = args.propensity
    if args.seed is not None:
        replacements["seed"] = args.seed
    config = tscac_config.preset(args.preset, shared_lagrange=args.shared_lambda, **replacements)
    steps = {
        "behavior": args.behavior_steps,
        "stage_one": args.stage_one_steps,
        "stage_two": args.stage_two_steps,
    }
    for stage, value in steps.items():
        value = value if value is not None else args.steps
        if value is not None:
            stage_config = dataclasses.replace(getattr(config, stage), num_steps=value)
            config = dataclasses.replace(config, **{stage: stage_config})
    if args.advantage_critic:
        stage_two = dataclasses.replace(config.stage_two, advantage_critic=True)
        config = dataclasses.replace(config, stage_two=stage_two)
    if getattr(args, "lambda_update", None) is not None:
        stage_two = dataclasses.replace(config.stage_two, lagrange_update=args.lambda_update)
        config = dataclasses.replace(config, stage_two=stage_two)
    return config


def run(args: argparse.Namespace) -> int:
    log_progress_to_stderr()
    try:
        config = build_config(args)
        if args.threads is not None and args.threads < 1:
            raise ValueError(f"--threads must be >= 1, got {args.threads}")
    except (KeyError, ValueError) as e:
        print(f"tscac train: {e}", file=sys.stderr)
        return 2
    import tensorflow as tf

    from tscac_tf.agents.tscac.tscac_training import SUMMARY_FILE, train_tscac

    if args.threads is not None:  # before TensorFlow runs its first op
        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
        tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    strategy = tf.distribute.MirroredStrategy() if args.strategy == "mirrored" else None
    train_tscac(args.data, args.out, config, strategy=strategy, behavior_only=args.behavior_only)
    print(f"{args.out.rstrip('/')}/{SUMMARY_FILE}")
    return 0
