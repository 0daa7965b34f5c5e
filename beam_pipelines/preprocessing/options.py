"""PreprocessOptions: the ExampleGen flags, as a Beam PipelineOptions subclass.

They sit beside Beam's own flags (--runner, --direct_num_workers, --setup_file, ...) in
one command line; `to_config` turns them into the validated PreprocessConfig.
"""

from __future__ import annotations

from apache_beam.options.pipeline_options import PipelineOptions

from beam_pipelines.pipeline_flags import add_flag
from beam_pipelines.preprocessing.config import PreprocessConfig, parse_period
from tscac_tf.specs import kuairand_schema as ks


def _period_flag(period) -> str:
    return f"{period[0]}-{period[1]}"


class PreprocessOptions(PipelineOptions):
    """Flags of beam_pipelines.preprocessing.pipeline (see PreprocessConfig)."""

    @classmethod
    def _add_argparse_args(cls, parser):
        add_flag(
            parser, "--data_dir", default=None, help="directory of the KuaiRand-format CSV files"
        )
        add_flag(
            parser,
            "--out",
            default=None,
            help="output directory (train/, eval/, JSON files, tables)",
        )
        add_flag(
            parser,
            "--session_gap_minutes",
            type=float,
            default=30.0,
            help="a gap longer than this starts a new session",
        )
        add_flag(
            parser,
            "--no_new_day_split",
            dest="split_on_new_day",
            action="store_false",
            default=True,
            help="do not start a new session when the date changes",
        )
        add_flag(
            parser,
            "--train_period",
            default=_period_flag(ks.TRAIN_PERIOD),
            help="first-last yyyymmdd dates of the train split (inclusive)",
        )
        add_flag(
            parser,
            "--eval_period",
            default=_period_flag(ks.EVAL_PERIOD),
            help="first-last yyyymmdd dates of the eval split (inclusive)",
        )
        add_flag(
            parser,
            "--skip_random_logs",
            dest="include_random_logs",
            action="store_false",
            default=True,
            help="read only log_standard_* files, not log_random_*",
        )
        add_flag(
            parser, "--num_user_buckets", type=int, default=32, help="user groups sessionised apart"
        )
        add_flag(
            parser,
            "--num_shards",
            type=int,
            default=0,
            help="session files per split (0: runner decides)",
        )
        add_flag(
            parser,
            "--read_block_mb",
            type=float,
            default=16.0,
            help="CSV text parsed per batch (MiB)",
        )


def to_config(options: PipelineOptions) -> PreprocessConfig:
    """The PreprocessConfig of a command line; ValueError names a missing or bad flag."""
    flags = options.view_as(PreprocessOptions)
    for name in ("data_dir", "out"):
        if not getattr(flags, name):
            raise ValueError(f"--{name} is required (got none)")
    return PreprocessConfig(
        data_dir=flags.data_dir,
        out_dir=flags.out,
        session_gap_minutes=flags.session_gap_minutes,
        split_on_new_day=flags.split_on_new_day,
        train_period=parse_period(flags.train_period),
        eval_period=parse_period(flags.eval_period),
        include_random_logs=flags.include_random_logs,
        num_user_buckets=flags.num_user_buckets,
        num_shards=flags.num_shards,
        read_block_bytes=int(flags.read_block_mb * (1 << 20)),
    )
