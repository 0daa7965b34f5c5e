"""ParseLogs: KuaiRand-format log files -> validated EventBatches, bad rows to dead letters.

One input row (a line of log_standard_4_08_to_4_21_synthetic.csv; real logs have no last
column):
  user_id,video_id,date,hourmin,time_ms,is_click,is_like,is_follow,is_comment,is_forward,
  is_hate,long_view,play_time_ms,duration_ms,profile_stay_time,comment_stay_time,
  is_profile_enter,is_rand,tab,behavior_propensity
  0,12,20220408,1000,1649383200000,1,0,0,0,0,0,1,19000,21000,0,0,0,0,1,0.031
"""

from __future__ import annotations

from collections.abc import Sequence

import apache_beam as beam
import numpy as np

from beam_pipelines.preprocessing import csv_blocks, event_batch, row_validation, sessionize
from beam_pipelines.preprocessing import dead_letters as dl
from beam_pipelines.preprocessing.config import PreprocessConfig
from tscac_tf.specs import kuairand_schema as ks
from tscac_tf.specs import session_schema as ss

DEAD_LETTERS = "dead_letters"
TALLIES = "tallies"


class _ReadLogFile(beam.DoFn):
    """(file_index, path, header) -> EventBatch per block; dead letters; rows-read tallies."""

    def __init__(self, config: PreprocessConfig):
        self._config = config

    def process(self, item):
        file_index, path, header = item
        columns = list(ks.LOG_COLUMNS)
        if event_batch.PROPENSITY in header:
            columns.append(ks.PROPENSITY_COLUMN)
        for block, first_line in csv_blocks.read_blocks(path, self._config.read_block_bytes):
            parsed = csv_blocks.parse_block(block, first_line, header)
            yield beam.pvalue.TaggedOutput(
                TALLIES, (("rows_read", dl.LOGS, path), len(parsed.frame) + len(parsed.bad_lines))
            )
            for line, text, reason, detail in parsed.bad_lines:
                yield beam.pvalue.TaggedOutput(
                    DEAD_LETTERS, dl.record(dl.LOGS, path, line, reason, detail, text)
                )
            checked = row_validation.validate(parsed.frame, columns)
            for row, reason, detail in checked.failures:
                yield beam.pvalue.TaggedOutput(
                    DEAD_LETTERS,
                    dl.record(dl.LOGS, path, parsed.lines[row], reason, detail, parsed.text(row)),
                )
            ok = checked.ok
            batch = {c: checked.values[c][ok].astype(np.int64) for c in ks.LOG_COLUMN_NAMES}
            propensity = checked.values.get(event_batch.PROPENSITY)
            batch[event_batch.PROPENSITY] = (
                np.nan_to_num(propensity[ok].astype(np.float64), nan=ss.NO_PROPENSITY)
                if propensity is not None
                else np.full(int(ok.sum()), ss.NO_PROPENSITY)
            )
            batch[event_batch.FILE_INDEX] = np.full(int(ok.sum()), file_index, np.int64)
            batch[event_batch.LINE] = parsed.lines[ok]
            yield from self._check_periods(batch, path, parsed, np.flatnonzero(ok))

    def _check_periods(self, batch, path, parsed, frame_rows):
        cfg = self._config
        outside = sessionize.split_codes(batch["date"], cfg.train_period, cfg.eval_period) < 0
        for i in np.flatnonzero(outside):
            detail = (
                f"date={batch['date'][i]}: expected a date in the train period "
                f"{cfg.train_period} or the eval period {cfg.eval_period}"
            )
            text = parsed.text(frame_rows[i])
            yield beam.pvalue.TaggedOutput(
                DEAD_LETTERS,
                dl.record(
                    dl.LOGS,
                    path,
                    batch[event_batch.LINE][i],
                    dl.OUTSIDE_SPLIT_PERIODS,
                    detail,
                    text,
                ),
            )
        if (~outside).any():
            yield event_batch.take(batch, ~outside)


class ParseLogs(beam.PTransform):
    """Reads log files in blocks, validates each row against kuairand_schema.

    Input: PBegin. Outputs a dict of PCollections:
      events: EventBatch dicts of valid rows (see event_batch);
      dead_letters: one dl.record per rejected row (wrong column count, not a number,
        out of range, bad date, dated outside both split periods, ...);
      tallies: ((\"rows_read\", \"logs\", path), count) per block, for the run summary.
    """

    def __init__(
        self,
        config: PreprocessConfig,
        log_files: Sequence[str],
        log_headers: Sequence[Sequence[str]],
    ):
        super().__init__()
        self._config = config
        self._items = [
            (i, path, tuple(header))
            for i, (path, header) in enumerate(zip(log_files, log_headers, strict=True))
        ]

    def expand(self, pbegin):
        parsed = (
            pbegin
            | "ListFiles" >> beam.Create(self._items)
            | "DistributeFiles" >> beam.Reshuffle()
            | "ReadBlocks"
            >> beam.ParDo(_ReadLogFile(self._config)).with_outputs(
                DEAD_LETTERS, TALLIES, main="events"
            )
        )
        return {
            "events": parsed.events,
            DEAD_LETTERS: parsed[DEAD_LETTERS],
            TALLIES: parsed[TALLIES],
        }
