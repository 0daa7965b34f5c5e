"""`tscac score`: batch top-N recommendations for every user (Beam RunInference).

    tscac score --model exports/ --data-dir data/ --out scores/ [--top-n 10]
                [--format jsonl|csv] [--users users.csv] [Beam flags, e.g. --runner ...]

`--model` is a SavedModel directory, or a base path / model directory whose newest
version is used. Each user's history is the end of their most recent session in
`<data-dir>/<split>/sessions-*.tfrecord.gz`; users listed in `--users` (a CSV with a
user_id column) without a session get an empty history. The videos of a user's sessions
in the split are left out of the user's rows: the export's `recommend_excluding` signature
retrieves and ranks N videos without them (`--no-exclude-seen` keeps them). Writes
`top_n-*.jsonl` (or .csv) rows user_id, rank, video_id, score, and `dead_letters-*.txt`
for unreadable records.
Flags not listed here are Beam pipeline options (DirectRunner by default).
"""

from __future__ import annotations

import argparse
import sys

COMMAND = "score"
HELP = "Batch top-N recommendations per user with Beam RunInference over the export."
PASSES_UNKNOWN_ARGS = True  # the dispatcher hands flags it does not know to Beam


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", required=True, help="SavedModel dir, or base path (newest)")
    parser.add_argument("--data-dir", required=True, help="ExampleGen output directory")
    parser.add_argument("--out", required=True, help="output directory")
    parser.add_argument("--top-n", type=int, default=10, help="recommendations per user")
    parser.add_argument("--split", default="eval", help="session split (default eval)")
    parser.add_argument("--users", default=None, help="CSV with a user_id column")
    parser.add_argument("--format", default="jsonl", choices=("jsonl", "csv"), help="output rows")
    parser.add_argument("--batch-size", type=int, default=256, help="users per model call")
    parser.add_argument(
        "--exclude-seen",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="leave out the videos of the user's sessions in the split (default: on; "
        "--no-exclude-seen keeps them)",
    )


def run(args: argparse.Namespace) -> int:
    from apache_beam.options.pipeline_options import PipelineOptions

    from beam_pipelines.scoring import pipeline
    from beam_pipelines.scoring.config import ScoringConfig

    try:
        config = ScoringConfig(
            model=args.model,
            data_dir=args.data_dir,
            out_dir=args.out,
            top_n=args.top_n,
            split=args.split,
            users_csv=args.users,
            output_format=args.format,
            batch_size=args.batch_size,
            exclude_seen=args.exclude_seen,
        )
        pipeline.run_config(config, PipelineOptions(getattr(args, "unknown_args", None) or []))
    except (ValueError, FileNotFoundError) as e:
        print(f"tscac score: {e}", file=sys.stderr)
        return 2
    print(f"tscac score: wrote {args.out}/top_n-*.{args.format}", flush=True)
    return 0
