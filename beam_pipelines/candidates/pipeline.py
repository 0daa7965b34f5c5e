"""The candidates step: every logged step of DATA_DIR gets retrieval's top-K candidates.

Reads the session SequenceExamples ExampleGen wrote (one per session; a step is one
exposure, e.g. video_id=4213, play_time_ms=8120, long_view=0, is_click=1), queries the
exported retrieval index for every step with the in-session history before it (Beam
RunInference over each user's sessions in time order, user_sessions.py), drops the videos
the user was shown before the step (in earlier sessions of either split, or earlier in
the session), forces the logged video into each set and writes the same layout
with the step features `candidate_video_ids` [K], `logged_candidate_index` and
`candidate_inserted` (tscac_tf/specs/session_schema.py):

    OUT/train/sessions-*.tfrecord.gz, OUT/eval/sessions-*.tfrecord.gz
    OUT/<every top-level file of DATA_DIR>   (feature tables, vocab and stats JSON)
    OUT/candidates.json                      (K, H, seed, model and data directories)
    OUT/dead_letters/candidates-*.jsonl      (records that were not valid sessions)

DirectRunner:
    python -m beam_pipelines.candidates.pipeline --data_dir=data/examples \
        --model_dir=data/retrieval --output_dir=data/examples_with_candidates
Dataflow:
    python -m beam_pipelines.candidates.pipeline --data_dir=gs://b/examples \
        --model_dir=gs://b/retrieval --output_dir=gs://b/examples_with_candidates \
        --runner=DataflowRunner --project=P --region=R --temp_location=gs://b/tmp \
        --setup_file=./setup.py
"""

from __future__ import annotations

import dataclasses
import json
import posixpath

import apache_beam as beam
import tensorflow as tf
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.metrics.metric import MetricsFilter
from apache_beam.options.pipeline_options import PipelineOptions

from beam_pipelines.candidates.attach_candidates import AttachCandidates
from beam_pipelines.candidates.config import CandidatesConfig
from beam_pipelines.candidates.options import CandidatesOptions
from beam_pipelines.candidates.read_sessions import DEAD_LETTERS, NAMESPACE, SESSIONS, ReadSessions
from beam_pipelines.candidates.retrieval_model_handler import RetrievalModelHandler
from beam_pipelines.candidates.user_sessions import GroupUserSessions
from tscac_tf.retrieval import model_dir as model_dir_lib
from tscac_tf.specs import session_schema as ss

INFO_FILE = "candidates.json"
DEAD_LETTER_PREFIX = "dead_letters/candidates"


class WriteSessions(beam.PTransform):
    """Serialised sessions -> OUT/<split>/sessions-SSSSS-of-NNNNN.tfrecord.gz."""

    def __init__(self, output_dir: str, split: str, num_shards: int):
        super().__init__()
        self._prefix = posixpath.join(output_dir, split, "sessions")
        self._num_shards = num_shards

    def expand(self, records):
        return records | "WriteTFRecords" >> beam.io.WriteToTFRecord(
            self._prefix,
            file_name_suffix=".tfrecord.gz",
            num_shards=self._num_shards,
            compression_type=CompressionTypes.GZIP,
        )


def resolve(config: CandidatesConfig) -> CandidatesConfig:
    """Fills K and H from the retrieval model's config where the step leaves them None."""
    model_config = model_dir_lib.read_config(config.model_dir)
    return dataclasses.replace(
        config,
        num_candidates=config.num_candidates or model_config.num_candidates,
        history_length=config.history_length or model_config.towers.history_length,
    )


def build(pipeline: beam.Pipeline, config: CandidatesConfig) -> None:
    """Adds the whole step to `pipeline` (config must be resolved)."""
    handler = RetrievalModelHandler(
        model_dir_lib.index_path(config.model_dir),
        config.history_length,
        config.num_candidates,
        config.users_per_batch,
        exclude_seen=config.exclude_seen,
    )
    sessions, letters = [], []
    for split in config.splits:
        pattern = posixpath.join(config.data_dir, split, ss.SESSION_FILE_GLOB)
        read = pipeline | f"Read{split.capitalize()}" >> ReadSessions(pattern, split)
        sessions.append(read[SESSIONS] | f"Tag{split.capitalize()}" >> beam.Map(_tagged, split))
        letters.append(read[DEAD_LETTERS])
    with_candidates = (
        sessions
        | "MergeSplits" >> beam.Flatten()
        | "GroupUserSessions" >> GroupUserSessions()
        | "AttachCandidates" >> AttachCandidates(handler, config.num_candidates, config.seed)
        | "BySplit" >> beam.Partition(_split_index, len(config.splits), config.splits)
    )
    for split, records in zip(config.splits, with_candidates, strict=True):
        _ = (
            records
            | f"Serialised{split.capitalize()}" >> beam.Values()
            | f"Write{split.capitalize()}"
            >> WriteSessions(config.output_dir, split, config.num_shards)
        )
    _ = (
        letters
        | "MergeDeadLetters" >> beam.Flatten()
        | "DeadLettersToJson" >> beam.Map(lambda d: json.dumps(d, sort_keys=True))
        | "WriteDeadLetters"
        >> beam.io.WriteToText(
            posixpath.join(config.output_dir, DEAD_LETTER_PREFIX), file_name_suffix=".jsonl"
        )
    )


def _tagged(record, split: str) -> tuple:
    return split, record


def _split_index(split_and_bytes: tuple, num_splits: int, splits: tuple[str, ...]) -> int:
    return splits.index(split_and_bytes[0])


def copy_side_files(config: CandidatesConfig) -> list[str]:
    """Copies every top-level file of DATA_DIR (tables, vocab, stats) into OUT; writes INFO_FILE.

    Returns:
      The names copied.
    """
    tf.io.gfile.makedirs(config.output_dir)
    copied = []
    for name in sorted(tf.io.gfile.listdir(config.data_dir)):
        source = posixpath.join(config.data_dir, name.rstrip("/"))
        if tf.io.gfile.isdir(source):
            continue
        tf.io.gfile.copy(source, posixpath.join(config.output_dir, name), overwrite=True)
        copied.append(name)
    info = {
        "num_candidates": config.num_candidates,
        "history_length": config.history_length,
        "seed": config.seed,
        "exclude_seen": config.exclude_seen,
        "model_dir": config.model_dir,
        "source_data_dir": config.data_dir,
    }
    with tf.io.gfile.GFile(posixpath.join(config.output_dir, INFO_FILE), "w") as f:
        f.write(json.dumps(info, indent=1, sort_keys=True))
    return copied


def _counter(result, name: str) -> int:
    found = result.metrics().query(MetricsFilter().with_namespace(NAMESPACE).with_name(name))
    return int(sum(c.committed or 0 for c in found["counters"]))


def run(argv: list[str] | None = None, test_pipeline: beam.Pipeline | None = None) -> dict:
    """Runs the step; returns its counters {sessions, steps, logged_video_inserted, ...}.

    Args:
      argv: CandidatesOptions flags plus any Beam flags (--runner, ...).
      test_pipeline: a pipeline to build on instead of a new one (tests).
    """
    options = PipelineOptions(argv)
    config = resolve(options.view_as(CandidatesOptions).to_config())
    for split in config.splits:  # fail before any work when an input split is absent
        pattern = posixpath.join(config.data_dir, split, ss.SESSION_FILE_GLOB)
        if not tf.io.gfile.glob(pattern):
            raise FileNotFoundError(f"no session files match {pattern} (written by ExampleGen)")
    copy_side_files(config)
    pipeline = test_pipeline if test_pipeline is not None else beam.Pipeline(options=options)
    build(pipeline, config)
    result = pipeline.run()
    result.wait_until_finish()
    names = ("sessions", "steps", "logged_video_inserted", "malformed_session")
    return {name: _counter(result, name) for name in names}


if __name__ == "__main__":
    print(json.dumps(run(), indent=1))
