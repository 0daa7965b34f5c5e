"""Beam batch scoring: the top-N videos of every user from the `recommend` signature.

Reads the session TFRecords of one split, takes each user's most recent in-session history
(user_histories.py), batches users through RunInference on the exported SavedModel
(recommend_model_handler.py) and writes one row per (user, rank), leaving out the videos of
the user's sessions it read (a feed does not show a video twice; `--keep_seen` keeps them).
The seen videos go to the export's `recommend_excluding` signature, so the model retrieves
and ranks N fresh videos; with an export from before that signature, `recommend`'s answer
is filtered instead and a user who had seen much of it gets fewer rows:

  {"user_id": 5, "rank": 1, "video_id": 42, "score": 3.1}        (--output_format jsonl)
  user_id,rank,video_id,score / 5,1,42,3.1                        (--output_format csv)

Input row: one session SequenceExample (see user_histories.py) in
`<data_dir>/<split>/sessions-*.tfrecord.gz`.

DirectRunner (or `tscac score --model exports/ --data-dir data/ --out scores/ --top-n 20`):
  python -m beam_pipelines.scoring.pipeline --model exports/ --data_dir data/ \
      --out scores/ --top_n 20
Dataflow (the model and data on GCS, a pinned version directory as --model):
  python -m beam_pipelines.scoring.pipeline --model gs://b/exports/tscac/3 \
      --data_dir gs://b/data --out gs://b/scores --runner DataflowRunner --project P \
      --region us-central1 --temp_location gs://b/tmp --setup_file ./setup.py
"""

from __future__ import annotations

import logging

import apache_beam as beam
from apache_beam.ml.inference.base import KeyedModelHandler, RunInference
from apache_beam.options.pipeline_options import PipelineOptions

from beam_pipelines.pipeline_flags import add_flag, add_keep_seen_flag
from beam_pipelines.scoring import top_n_rows, user_histories
from beam_pipelines.scoring.config import ScoringConfig
from beam_pipelines.scoring.recommend_model_handler import (
    EXCLUDE_KEY,
    RECOMMEND,
    RECOMMEND_EXCLUDING,
    RecommendModelHandler,
)
from serving.signature_spec import read_signature_specs
from tscac_tf.data import session_io
from tscac_tf.export import serving_layout
from tscac_tf.specs import session_schema as ss


class ScoringOptions(PipelineOptions):
    """The scoring flags (`python -m beam_pipelines.scoring.pipeline --help`)."""

    @classmethod
    def _add_argparse_args(cls, parser):
        # Not required=True: every PipelineOptions parses every registered subclass's flags.
        add_flag(parser, "--model", help="SavedModel dir or base path (required)")
        add_flag(parser, "--data_dir", help="ExampleGen output directory (required)")
        add_flag(parser, "--out", help="output directory (required)")
        add_flag(parser, "--top_n", type=int, default=10, help="recommendations per user")
        add_flag(parser, "--split", default=ss.EVAL_SPLIT, help="session split to read")
        add_flag(parser, "--users_csv", default=None, help="CSV with a user_id column")
        add_flag(parser, "--output_format", default="jsonl", choices=("jsonl", "csv"))
        add_flag(parser, "--batch_size", type=int, default=256, help="users per model call")
        add_keep_seen_flag(parser)


def model_shapes(saved_model_dir: str) -> tuple[int, int | None]:
    """(H, N) of the `recommend` signature; H defaults to 20 where the export leaves it free.

    Raises:
      ValueError: the SavedModel has no `recommend` signature.
    """
    specs = read_signature_specs(saved_model_dir)
    if RECOMMEND not in specs:
        raise ValueError(f"{saved_model_dir} has no '{RECOMMEND}' signature, only {sorted(specs)}")
    history = specs[RECOMMEND].inputs["history_video_ids"].shape
    top = specs[RECOMMEND].outputs["video_ids"].shape
    h = history[1] if history and history[1] is not None else ss.DEFAULT_HISTORY_LENGTH
    return h, (top[1] if top else None)


def scoring_signature(saved_model_dir: str, exclude_seen: bool) -> str:
    """`recommend_excluding` when seen videos are left out and the export has it, else
    `recommend` (its answer is then filtered, which can leave fewer than N)."""
    if exclude_seen and RECOMMEND_EXCLUDING in read_signature_specs(saved_model_dir):
        return RECOMMEND_EXCLUDING
    if exclude_seen:
        logging.warning(
            "%s has no '%s' signature (exported before it existed): the seen videos are "
            "dropped from `recommend`'s answer, so some users may get fewer than --top_n rows",
            saved_model_dir,
            RECOMMEND_EXCLUDING,
        )
    return RECOMMEND


def _request(item, signature: str = RECOMMEND):
    """(user_id, UserHistory) -> ((user_id, seen videos), request); the key rides along."""
    user_id, history = item
    request = {
        "user_id": user_id,
        "history_video_ids": history.video_ids,
        "history_play_time_ms": history.play_time_ms,
    }
    if signature == RECOMMEND_EXCLUDING:
        request[EXCLUDE_KEY] = history.seen
    return (user_id, history.seen), request


class TopNRowsFn(beam.DoFn):
    """((user_id, seen), PredictionResult) -> the user's rows; counts short lists."""

    def __init__(self, top_n: int, exclude_seen: bool):
        self._top_n, self._exclude_seen = top_n, exclude_seen
        self._short = beam.metrics.Metrics.counter("scoring", "users_with_fewer_than_top_n")

    def process(self, item):
        (user_id, seen), result = item
        rows = top_n_rows.top_n_rows(
            user_id,
            result.inference["video_ids"],
            result.inference["scores"],
            self._top_n,
            seen if self._exclude_seen else None,
        )
        if len(rows) < self._top_n:
            self._short.inc()
        yield from rows


class ScoreUsers(beam.PTransform):
    """(user_id, UserHistory) -> top-N row dicts, through RunInference."""

    def __init__(
        self, saved_model_dir: str, top_n: int, batch_size: int, exclude_seen: bool = True
    ):
        super().__init__()
        self._signature = scoring_signature(saved_model_dir, exclude_seen)
        self._handler = KeyedModelHandler(
            RecommendModelHandler(saved_model_dir, batch_size, self._signature)
        )
        # Still filtered after the model: a no-op for recommend_excluding, the filter itself
        # for recommend.
        self._rows = TopNRowsFn(top_n, exclude_seen)

    def expand(self, histories):
        return (
            histories
            | "ToRequests" >> beam.Map(_request, self._signature)
            | "Recommend" >> RunInference(self._handler)
            | "TopN" >> beam.ParDo(self._rows)
        )


def build(pipeline: beam.Pipeline, config: ScoringConfig) -> None:
    """Adds the scoring steps to a pipeline.

    Raises:
      FileNotFoundError: no SavedModel, or no session files.
      ValueError: top_n above the model's N, or a users CSV without user_id.
    """
    saved_model_dir = serving_layout.resolve_saved_model_dir(config.model)
    history_length, n = model_shapes(saved_model_dir)
    if n is not None and config.top_n > n:
        raise ValueError(f"--top_n {config.top_n} is more than the {n} videos `recommend` returns")
    files = session_io.session_files(config.data_dir, config.split)  # fails early when empty
    pattern = files[0].rsplit("/", 1)[0] + "/" + ss.SESSION_FILE_GLOB
    read = pipeline | "LatestHistories" >> user_histories.LatestUserHistories(
        pattern, history_length, config.users_csv
    )
    rows = read["histories"] | "Score" >> ScoreUsers(
        saved_model_dir, config.top_n, config.batch_size, config.exclude_seen
    )
    out = config.out_dir.rstrip("/")
    if config.output_format == "csv":
        lines = rows | "ToCsv" >> beam.Map(top_n_rows.to_csv)
        header = top_n_rows.CSV_HEADER
    else:
        lines = rows | "ToJsonl" >> beam.Map(top_n_rows.to_jsonl)
        header = None
    lines | "WriteTopN" >> beam.io.WriteToText(
        f"{out}/top_n", file_name_suffix=f".{config.output_format}", header=header
    )
    read[user_histories.DEAD_LETTERS] | "WriteDeadLetters" >> beam.io.WriteToText(
        f"{out}/{user_histories.DEAD_LETTERS}", file_name_suffix=".txt"
    )


def run_config(config: ScoringConfig, options: PipelineOptions | None = None, test_pipeline=None):
    """Runs scoring to completion; returns the PipelineResult."""
    pipeline = test_pipeline or beam.Pipeline(options=options or PipelineOptions([]))
    build(pipeline, config)
    result = pipeline.run()
    result.wait_until_finish()
    return result


def run(argv: list[str] | None = None, test_pipeline=None):
    """Entry point: flags -> ScoringConfig -> run_config."""
    options = PipelineOptions(argv)
    flags = options.view_as(ScoringOptions)
    missing = [f"--{name}" for name in ("model", "data_dir", "out") if not getattr(flags, name)]
    if missing:
        raise ValueError(f"scoring needs {', '.join(missing)}")
    config = ScoringConfig(
        model=flags.model,
        data_dir=flags.data_dir,
        out_dir=flags.out,
        top_n=flags.top_n,
        split=flags.split,
        users_csv=flags.users_csv,
        output_format=flags.output_format,
        batch_size=flags.batch_size,
        exclude_seen=flags.exclude_seen,
    )
    return run_config(config, options, test_pipeline)


if __name__ == "__main__":
    run()
