"""`tscac preprocess`: Beam ExampleGen, KuaiRand-format CSV logs -> session SequenceExamples.

    tscac preprocess --data-dir DIR --out OUT [Beam / ExampleGen flags]

Flags other than --data-dir and --out go to Beam's PipelineOptions unchanged: the
ExampleGen flags of beam_pipelines/preprocessing/options.py (--session_gap_minutes,
--no_new_day_split, --train_period, --eval_period, --skip_random_logs, --num_shards, ...)
and every standard Beam flag (--runner, --direct_num_workers, --setup_file, ...).

One input row (log_standard_4_08_to_4_21_synthetic.csv; real logs lack the last column):
  user_id,video_id,date,hourmin,time_ms,is_click,is_like,is_follow,is_comment,is_forward,
  is_hate,long_view,play_time_ms,duration_ms,profile_stay_time,comment_stay_time,
  is_profile_enter,is_rand,tab,behavior_propensity
  0,12,20220408,1000,1649383200000,1,0,0,0,0,0,1,19000,21000,0,0,0,0,1,0.031

DirectRunner (the default; runs here):
  tscac preprocess --data-dir data/world --out data/examples
  tscac preprocess --data-dir data/world --out data/examples \
      --direct_num_workers 2 --direct_running_mode multi_processing

Dataflow / Flink (standard PipelineOptions; the package ships with --setup_file, which
defaults to the repo's setup.py for non-local runners). These cannot run here: there is
no network or cluster, and Dataflow needs apache-beam[gcp], not in the pinned stack.
  tscac preprocess --data-dir gs://BUCKET/kuairand --out gs://BUCKET/examples \
      --runner DataflowRunner --project PROJECT --region us-central1 \
      --temp_location gs://BUCKET/tmp --setup_file ./setup.py
  tscac preprocess --data-dir /shared/kuairand --out /shared/examples \
      --runner FlinkRunner --flink_master HOST:8081 --environment_type LOOPBACK \
      --setup_file ./setup.py

Prints a JSON summary (the full one is OUT/run_summary.json); exit status 2 when an input
file or column is missing or a flag is invalid (the message names it).
"""

from __future__ import annotations

import json
import sys

COMMAND = "preprocess"
HELP = "Beam ExampleGen: KuaiRand-format CSV logs -> session TFRecords, vocab, stats, dead letters."
PASSES_UNKNOWN_ARGS = True


def add_arguments(parser) -> None:
    parser.add_argument(
        "--data-dir", "--data_dir", dest="data_dir", required=True, help="KuaiRand-format CSV dir."
    )
    parser.add_argument("--out", required=True, help="Output directory.")
    parser.epilog = (
        "Any other flag goes to Beam's PipelineOptions: ExampleGen flags (--session_gap_minutes, "
        "--no_new_day_split, --train_period, --eval_period, --skip_random_logs, --num_shards, "
        "--num_user_buckets, --read_block_mb) and Beam's own (--runner, --direct_num_workers, "
        "--direct_running_mode, --setup_file, ...). See beam_pipelines/preprocessing/README.md."
    )


def brief_summary(summary: dict) -> dict:
    """The part of run_summary.json printed on the console."""
    rejected = {
        kind: {reason: n for reason, n in reasons.items() if n}
        for kind, reasons in summary["rows_rejected"].items()
    }
    return {
        "out": summary["config"]["out_dir"],
        "rows_read": summary["rows_read_total"],
        "rows_rejected": {kind: reasons for kind, reasons in rejected.items() if reasons},
        "sessions": summary["sessions"],
        "steps": summary["steps"],
    }


def run(args) -> int:
    # Imported here so that `tscac --help` does not load Beam and TensorFlow.
    from beam_pipelines.preprocessing import pipeline

    beam_args = [a for a in args.unknown_args if a != "--"]
    try:
        summary = pipeline.run([f"--data_dir={args.data_dir}", f"--out={args.out}", *beam_args])
    except (FileNotFoundError, ValueError) as e:
        print(f"tscac preprocess: error: {e}", file=sys.stderr)
        return 2
    print(json.dumps(brief_summary(summary), indent=1, sort_keys=True))
    return 0
