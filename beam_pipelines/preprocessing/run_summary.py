"""WriteRunSummary: what one ExampleGen run read, rejected and wrote -> run_summary.json.

Every log row is accounted for: rows_read_total.logs equals
rows_rejected_total.logs + steps.train + steps.eval (checked by the tests), so a row can
never disappear silently.
"""

from __future__ import annotations

import dataclasses

import apache_beam as beam

from beam_pipelines.preprocessing import dead_letters as dl
from beam_pipelines.preprocessing import output_files
from beam_pipelines.preprocessing.config import PreprocessConfig
from beam_pipelines.preprocessing.input_files import InputFiles
from beam_pipelines.preprocessing.sessionize import SPLIT_CODES


def summary_json(tallies: dict, config: PreprocessConfig, files: InputFiles) -> dict:
    """The run_summary.json document from {tally key: count}.

    Tally keys: ("rows_read", kind, path), ("rejected", kind, reason),
    ("sessions", split), ("steps", split).
    """
    splits = list(SPLIT_CODES.values())
    rows_read = {kind: {} for kind in dl.KINDS}
    for path in files.log_files:
        rows_read[dl.LOGS][path] = 0
    rows_read[dl.USER_TABLE][files.user_file] = 0
    rows_read[dl.VIDEO_TABLE][files.video_file] = 0
    rejected = {kind: dict.fromkeys(dl.REASONS, 0) for kind in dl.KINDS}
    counts = {"sessions": dict.fromkeys(splits, 0), "steps": dict.fromkeys(splits, 0)}
    for key, value in tallies.items():
        if key[0] == "rows_read":
            rows_read[key[1]][key[2]] = rows_read[key[1]].get(key[2], 0) + value
        elif key[0] == "rejected":
            rejected[key[1]][key[2]] += value
        else:
            counts[key[0]][key[1]] += value
    return {
        "config": dataclasses.asdict(config),
        "rows_read": rows_read,
        "rows_read_total": {k: sum(v.values()) for k, v in rows_read.items()},
        "rows_rejected": rejected,
        "rows_rejected_total": {k: sum(v.values()) for k, v in rejected.items()},
        "sessions": counts["sessions"],
        "steps": counts["steps"],
        "outputs": {
            split: f"{config.out_dir.rstrip('/')}/{split}/sessions-*.tfrecord.gz"
            for split in splits
        },
    }


def _write(pairs, config: PreprocessConfig, files: InputFiles) -> dict:
    document = summary_json(dict(pairs), config, files)
    path = output_files.output_path(config.out_dir, output_files.RUN_SUMMARY_FILE)
    output_files.write_json(path, document)
    return document


class WriteRunSummary(beam.PTransform):
    """(tallies, dead_letters) -> OUT/run_summary.json; outputs the summary dict.

    Applied to a pair of PCollections: tallies ((key, count) pairs, see summary_json) and
    the dead-letter records (counted by kind and reason).
    """

    def __init__(self, config: PreprocessConfig, files: InputFiles):
        super().__init__()
        self._config = config
        self._files = files

    def expand(self, inputs):
        tallies, letters = inputs
        rejected = letters | "KeyByReason" >> beam.Map(
            lambda d: (("rejected", d["kind"], d["reason"]), 1)
        )
        return (
            (tallies, rejected)
            | "AllTallies" >> beam.Flatten()
            | "SumTallies" >> beam.CombinePerKey(sum)
            | "Collect" >> beam.combiners.ToList()
            | "WriteSummary" >> beam.Map(_write, self._config, self._files)
        )
