"""JoinFeatures: each exposure joined to its user's and video's rows of the FeatureTables.

A log row whose user or video is absent from the feature tables cannot be given features
and goes to the dead letters (`unknown_user`, `unknown_video`). At serving time unknown
ids are valid (row 0, cold start); in the logs they mean the tables and logs disagree.
"""

from __future__ import annotations

from collections.abc import Sequence

import apache_beam as beam
import numpy as np

from beam_pipelines.preprocessing import dead_letters as dl
from beam_pipelines.preprocessing import event_batch as eb
from tscac_tf.features.feature_tables import FeatureTables

DEAD_LETTERS = "dead_letters"


class _Join(beam.DoFn):
    def __init__(self, log_files: Sequence[str]):
        self._log_files = tuple(log_files)

    def process(self, batch: eb.EventBatch, tables: FeatureTables):
        user_row = tables.user_rows(batch["user_id"])
        video_row = tables.video_rows(batch["video_id"])
        checks = (
            (user_row == 0, dl.UNKNOWN_USER, "user_id", "the user table"),
            (video_row == 0, dl.UNKNOWN_VIDEO, "video_id", "the video table"),
        )
        rejected = np.zeros(eb.size(batch), bool)
        for mask, reason, column, table in checks:
            for i in np.flatnonzero(mask & ~rejected):
                detail = f"{column}={batch[column][i]}: expected an id present in {table}"
                source = self._log_files[batch[eb.FILE_INDEX][i]]
                yield beam.pvalue.TaggedOutput(
                    DEAD_LETTERS,
                    dl.record(
                        dl.LOGS, source, batch[eb.LINE][i], reason, detail, eb.row_text(batch, i)
                    ),
                )
            rejected |= mask
        if (~rejected).any():
            joined = eb.take(batch, ~rejected)
            joined[eb.USER_ROW] = user_row[~rejected]
            joined[eb.VIDEO_ROW] = video_row[~rejected]
            yield joined


class JoinFeatures(beam.PTransform):
    """EventBatch -> EventBatch with `user_row` and `video_row` (FeatureTables rows).

    Args:
      tables: a PCollection holding one FeatureTables (ReadFeatureTables' `tables`).
      log_files: the run's log files (EventBatch `file_index` indexes them).

    Outputs a dict: `events` (joined batches) and `dead_letters`.
    """

    def __init__(self, tables, log_files: Sequence[str]):
        super().__init__()
        self._tables = tables
        self._log_files = tuple(log_files)

    def expand(self, events):
        joined = events | "JoinRows" >> beam.ParDo(
            _Join(self._log_files), tables=beam.pvalue.AsSingleton(self._tables)
        ).with_outputs(DEAD_LETTERS, main="events")
        return {"events": joined.events, DEAD_LETTERS: joined[DEAD_LETTERS]}
