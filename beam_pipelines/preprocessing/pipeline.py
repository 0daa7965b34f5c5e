"""ExampleGen: KuaiRand-format CSV logs -> session SequenceExamples (ARCHITECTURE §1).

Reads every log file of a KuaiRand-format directory (real Pure/1K/27K names, `_partN`
files, synthetic logs), the user table and the video table; validates every row against
tscac_tf/specs/kuairand_schema.py (bad rows -> OUT/dead_letters/ with the reason, one Beam
counter per reason); joins user and video features; orders each user's exposures by
time_ms and cuts sessions (gap > 30 min or a new day); writes one gzip TFRecord
SequenceExample per session into OUT/train/ and OUT/eval/ (split by date), plus
statistics.json, vocabularies.json, the encoded FeatureTables and run_summary.json.

One input row (log_standard_4_08_to_4_21_synthetic.csv; real logs lack the last column):
  user_id,video_id,date,hourmin,time_ms,is_click,is_like,is_follow,is_comment,is_forward,
  is_hate,long_view,play_time_ms,duration_ms,profile_stay_time,comment_stay_time,
  is_profile_enter,is_rand,tab,behavior_propensity
  0,12,20220408,1000,1649383200000,1,0,0,0,0,0,1,19000,21000,0,0,0,0,1,0.031

DirectRunner (this machine; `tscac preprocess --data-dir DIR --out OUT` is the same):
  python -m beam_pipelines.preprocessing.pipeline --data_dir DIR --out OUT
  python -m beam_pipelines.preprocessing.pipeline --data_dir DIR --out OUT \
      --direct_num_workers 2 --direct_running_mode multi_processing

Dataflow / Flink (standard PipelineOptions; cannot run here: no network or cluster, and
Dataflow needs `apache-beam[gcp]`, which is not in the pinned stack):
  python -m beam_pipelines.preprocessing.pipeline --data_dir gs://BUCKET/kuairand \
      --out gs://BUCKET/examples --runner DataflowRunner --project PROJECT \
      --region us-central1 --temp_location gs://BUCKET/tmp --setup_file ./setup.py
  python -m beam_pipelines.preprocessing.pipeline --data_dir /shared/kuairand \
      --out /shared/examples --runner FlinkRunner --flink_master HOST:8081 \
      --environment_type LOOPBACK --setup_file ./setup.py

"DirectRunner" means Beam's FnApiRunner here: Beam 2.77's DirectRunner first tries the
Prism runner, which downloads a binary from GitHub at run time and ignores
--direct_num_workers; `--runner PrismRunner` still selects it explicitly.
"""

from __future__ import annotations

import logging
import os

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions, SetupOptions, StandardOptions

from beam_pipelines.preprocessing import output_files
from beam_pipelines.preprocessing.config import PreprocessConfig
from beam_pipelines.preprocessing.dead_letters import WriteDeadLetters
from beam_pipelines.preprocessing.encode_sessions import EncodeSessions, WriteSessions
from beam_pipelines.preprocessing.input_files import InputFiles, find_input_files
from beam_pipelines.preprocessing.join_features import JoinFeatures
from beam_pipelines.preprocessing.options import to_config
from beam_pipelines.preprocessing.parse_logs import ParseLogs
from beam_pipelines.preprocessing.read_feature_tables import ReadFeatureTables
from beam_pipelines.preprocessing.run_summary import WriteRunSummary
from beam_pipelines.preprocessing.sessionize_events import SessionizeEvents
from beam_pipelines.preprocessing.statistics import ComputeStatistics
from beam_pipelines.preprocessing.vocabularies import BuildVocabularies

_LOCAL_RUNNERS = (None, "DirectRunner", "SwitchingDirectRunner")
_REPO_SETUP = os.path.join(os.path.dirname(__file__), "..", "..", "setup.py")


def build(pipeline: beam.Pipeline, config: PreprocessConfig, files: InputFiles) -> dict:
    """Adds the ExampleGen transforms to `pipeline`; returns the main PCollections."""
    tables = pipeline | "ReadFeatureTables" >> ReadFeatureTables(files.user_file, files.video_file)
    _ = tables["tables"] | "SaveFeatureTables" >> beam.Map(
        output_files.save_feature_tables, config.out_dir
    )
    logs = pipeline | "ParseLogs" >> ParseLogs(config, files.log_files, files.log_headers)
    joined = logs["events"] | "JoinFeatures" >> JoinFeatures(tables["tables"], files.log_files)
    sessions = joined["events"] | "SessionizeEvents" >> SessionizeEvents(config, files.log_files)
    encoded = sessions["sessions"] | "EncodeSessions" >> EncodeSessions(tables["tables"])
    _ = encoded | "WriteSessions" >> WriteSessions(config.out_dir, config.num_shards)
    session_tallies = sessions["sessions"] | "ComputeStatistics" >> ComputeStatistics(
        config.out_dir
    )
    _ = sessions["sessions"] | "BuildVocabularies" >> BuildVocabularies(
        config.out_dir, tables["videos"], tables["tables"]
    )
    letters = (
        tables["dead_letters"],
        logs["dead_letters"],
        joined["dead_letters"],
        sessions["dead_letters"],
    ) | "CollectDeadLetters" >> beam.Flatten()
    _ = letters | "WriteDeadLetters" >> WriteDeadLetters(config.out_dir)
    tallies = (
        tables["tallies"],
        logs["tallies"],
        session_tallies,
    ) | "CollectTallies" >> beam.Flatten()
    summary = (tallies, letters) | "WriteRunSummary" >> WriteRunSummary(config, files)
    return {"sessions": sessions["sessions"], "dead_letters": letters, "summary": summary}


def _local_runner(options: PipelineOptions):
    """The FnApiRunner, set up as Beam's DirectRunner sets it up (minus the Prism attempt)."""
    from apache_beam.portability.api import beam_provision_api_pb2
    from apache_beam.runners.portability.fn_api_runner import fn_runner
    from apache_beam.runners.portability.portable_runner import JobServiceHandle

    encoded = JobServiceHandle.encode_pipeline_options(options.get_all_options())
    info = beam_provision_api_pb2.ProvisionInfo(pipeline_options=encoded)
    return fn_runner.FnApiRunner(provision_info=fn_runner.ExtendedProvisionInfo(info))


def _ship_package(options: PipelineOptions) -> None:
    """Remote runners get the repo's setup.py as --setup_file unless one was given."""
    setup = options.view_as(SetupOptions)
    if setup.setup_file is None and os.path.exists(_REPO_SETUP):
        setup.setup_file = os.path.abspath(_REPO_SETUP)
        logging.info("shipping the tscac package with --setup_file %s", setup.setup_file)


def run(argv: list[str] | None = None, test_pipeline: beam.Pipeline | None = None) -> dict:
    """Runs ExampleGen; returns the run summary (run_summary.json's content).

    Args:
      argv: command-line flags: PreprocessOptions (--data_dir, --out, ...) and any Beam
        PipelineOptions (--runner, --direct_num_workers, --setup_file, ...).
      test_pipeline: a TestPipeline to build on instead of a new Pipeline (tests).

    Raises:
      FileNotFoundError / ValueError at once (before any work) when an input file or a
      required column is missing, or a flag is invalid; the message names it.
    """
    options = PipelineOptions(argv)
    config = to_config(options)
    files = find_input_files(config.data_dir, config.include_random_logs)
    if test_pipeline is not None:
        pipeline = test_pipeline
    else:
        runner = options.view_as(StandardOptions).runner
        if runner in _LOCAL_RUNNERS:
            pipeline = beam.Pipeline(runner=_local_runner(options), options=options)
        else:
            _ship_package(options)
            pipeline = beam.Pipeline(options=options)
    build(pipeline, config, files)
    pipeline.run().wait_until_finish()
    return output_files.read_json(
        output_files.output_path(config.out_dir, output_files.RUN_SUMMARY_FILE)
    )


if __name__ == "__main__":
    logging.getLogger().setLevel(logging.INFO)
    run()
