"""`tscac retrieval train|evaluate|candidates`: the retrieval pipeline steps.

    tscac retrieval train --data-dir DATA --model-dir MODEL [--preset small|default|pure]
    tscac retrieval evaluate --data-dir DATA --model-dir MODEL [--metrics-file F]
    tscac retrieval candidates --data-dir DATA --model-dir MODEL --output-dir OUT [BEAM FLAGS]

Each step reads and writes explicit directories and prints its metrics as JSON. Flags the
candidates step does not define (--runner=DataflowRunner, --direct_num_workers=4, ...) go
to Beam's PipelineOptions; train and evaluate reject them.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys

COMMAND = "retrieval"
HELP = "Candidate retrieval: train the two-tower model, evaluate it, attach candidates (Beam)."
PASSES_UNKNOWN_ARGS = True  # Beam flags for `candidates`


def _add_train(sub) -> None:
    p = sub.add_parser("train", help="Fit the two-tower model on DATA/train; export its index.")
    p.add_argument("--data-dir", required=True, help="ExampleGen output (sessions + tables).")
    p.add_argument("--model-dir", required=True, help="Where to write index/ and the config.")
    # No `choices` from config.PRESETS here: that import loads TensorFlow for every `tscac`.
    p.add_argument("--preset", default="default", help="small, default or pure.")
    p.add_argument("--epochs", type=int, help="Override the preset's epochs.")
    p.add_argument("--batch-size", type=int, help="Override the preset's batch size.")
    p.add_argument("--seed", type=int, help="Override the preset's seed.")
    p.add_argument(
        "--positives",
        choices=("engaged", "exposures"),
        help="What to train on: the long views and clicks (the presets' default) or every "
        "logged exposure.",
    )
    p.add_argument(
        "--tag-profile",
        choices=("fitted", "counts"),
        help="How the user's tag profile is estimated: fitted by a log-linear model with a "
        "user-feature prior (the presets' default) or counted from the exposures.",
    )
    p.add_argument("--verbose", type=int, default=0, help="Keras fit verbosity (0, 1, 2).")


def _add_evaluate(sub) -> None:
    p = sub.add_parser("evaluate", help="Recall@k / NDCG@k vs popularity and random.")
    p.add_argument("--data-dir", required=True)
    p.add_argument("--model-dir", required=True)
    p.add_argument(
        "--metrics-file", help="JSON output (default: MODEL_DIR/evaluation_metrics.json)."
    )
    p.add_argument("--split", default="eval", help="Split to evaluate on (default: eval).")


def _add_candidates(sub) -> None:
    p = sub.add_parser("candidates", help="Attach top-K candidates to every step (Beam).")
    p.add_argument("--data-dir", required=True)
    p.add_argument("--model-dir", required=True)
    p.add_argument("--output-dir", help="Default: DATA_DIR with the suffix _candidates.")
    p.add_argument("--num-candidates", type=int, help="K (default: the model's, 50).")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--users-per-batch", type=int, default=8, help="Users per RunInference batch.")
    p.add_argument("--num-shards", type=int, default=0, help="Files per split (0: runner's).")
    p.add_argument(
        "--exclude-seen",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="Drop from each step's candidates the videos its user was shown before it "
        "(default: on; --no-exclude-seen keeps retrieval's plain top K).",
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    _add_train(sub)
    _add_evaluate(sub)
    _add_candidates(sub)


def _train(args) -> dict:
    from tscac_tf.retrieval import config, trainer

    cfg = config.preset(args.preset)
    overrides = {
        name: value
        for name, value in (
            ("epochs", args.epochs),
            ("batch_size", args.batch_size),
            ("seed", args.seed),
            ("positives", args.positives),
        )
        if value is not None
    }
    cfg = dataclasses.replace(cfg, training=dataclasses.replace(cfg.training, **overrides))
    if args.tag_profile:
        towers = dataclasses.replace(cfg.towers, tag_profile_method=args.tag_profile)
        cfg = dataclasses.replace(cfg, towers=towers)
    return trainer.train(args.data_dir, args.model_dir, cfg, verbose=args.verbose)


def _evaluate(args) -> dict:
    from tscac_tf.retrieval import evaluation

    metrics_file = args.metrics_file or os.path.join(args.model_dir, "evaluation_metrics.json")
    return evaluation.evaluate_model_dir(args.data_dir, args.model_dir, metrics_file, args.split)


def _candidates(args) -> dict:
    from beam_pipelines.candidates import pipeline

    output_dir = args.output_dir or args.data_dir.rstrip("/") + "_candidates"
    argv = [
        f"--data_dir={args.data_dir}",
        f"--model_dir={args.model_dir}",
        f"--output_dir={output_dir}",
        f"--seed={args.seed}",
        f"--users_per_batch={args.users_per_batch}",
        f"--num_shards={args.num_shards}",
    ]
    if not args.exclude_seen:
        argv.append("--keep_seen")
    if args.num_candidates is not None:
        argv.append(f"--num_candidates={args.num_candidates}")
    return {"output_dir": output_dir, **pipeline.run(argv + list(args.unknown_args))}


def run(args) -> int:
    from tscac_tf.cli._logging import log_progress_to_stderr

    actions = {"train": _train, "evaluate": _evaluate, "candidates": _candidates}
    args.unknown_args = getattr(args, "unknown_args", [])
    if args.unknown_args and args.action != "candidates":
        print(
            f"tscac retrieval {args.action}: error: unrecognized arguments: "
            f"{' '.join(args.unknown_args)}",
            file=sys.stderr,
        )
        return 2
    log_progress_to_stderr()
    try:
        result = actions[args.action](args)
    except (FileNotFoundError, KeyError, ValueError) as e:
        print(f"tscac retrieval {args.action}: error: {e}", file=sys.stderr)
        return 1
    print(json.dumps(result, indent=1, sort_keys=True))
    return 0
