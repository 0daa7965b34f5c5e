"""ReadFeatureTables: the user and video tables -> validated frames and encoded FeatureTables.

One input row of each (real KuaiRand-Pure rows; note the quirks: -124 missing code,
range strings, empty onehot_feat12..17, empty music_type):
  user_features_pure.csv:
    128,full_active,0,-124,1,162,"(150,250]",458,"[100,1k)",129,"[120,250)",1589,730+,
    0,5,9,296,0.0,0,0,31,296,3,4,0,,,,,,
  video_features_basic_pure.csv:
    51,5281979,NORMAL,2022-04-11,LongImport,0.0,67000.0,720.0,1280.0,0,,6

Rows that fail the schema, and repeated ids (`duplicate`, the first row by line is kept),
go to the dead letters. The tables are small (tens of thousands of rows): each is read by
one worker and becomes a singleton side input of the log transforms.
"""

from __future__ import annotations

import apache_beam as beam
import numpy as np
import pandas as pd

from beam_pipelines.preprocessing import csv_blocks, input_files, row_validation
from beam_pipelines.preprocessing import dead_letters as dl
from tscac_tf.features.feature_tables import FeatureTables
from tscac_tf.specs import kuairand_schema as ks

DEAD_LETTERS = "dead_letters"
TALLIES = "tallies"
USERS = "users"
VIDEOS = "videos"

_TABLES = {
    # output tag: (dead-letter kind, schema columns, id column, fixed value sets)
    USERS: (
        dl.USER_TABLE,
        ks.USER_COLUMNS,
        "user_id",
        {"user_active_degree": ks.USER_ACTIVE_DEGREES},
    ),
    VIDEOS: (dl.VIDEO_TABLE, ks.VIDEO_COLUMNS, "video_id", {}),
}
_WHOLE_FILE = -1  # csv_blocks.read_blocks: one block


def read_table(path: str, tag: str):
    """Reads, validates and de-duplicates one table.

    Args:
      path: the CSV file.
      tag: USERS or VIDEOS.

    Returns:
      (frame of the valid rows with the schema columns, dead-letter records, rows read).
    """
    kind, columns, id_column, allowed = _TABLES[tag]
    header = input_files.read_header(path)
    text_columns = [c.name for c in columns if c.kind == "str"]
    letters, frames, rows_read = [], [], 0
    for block, first_line in csv_blocks.read_blocks(path, _WHOLE_FILE):
        parsed = csv_blocks.parse_block(block, first_line, header, text_columns)
        rows_read += len(parsed.frame) + len(parsed.bad_lines)
        for line, text, reason, detail in parsed.bad_lines:
            letters.append(dl.record(kind, path, line, reason, detail, text))
        checked = row_validation.validate(parsed.frame, columns, allowed)
        for row, reason, detail in checked.failures:
            letters.append(
                dl.record(kind, path, parsed.lines[row], reason, detail, parsed.text(row))
            )
        frame = pd.DataFrame({c.name: checked.values[c.name][checked.ok] for c in columns})
        frame["_line"] = parsed.lines[checked.ok]
        frame["_text"] = [parsed.text(i) for i in np.flatnonzero(checked.ok)]
        frames.append(frame)
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    duplicated = frame[id_column].duplicated(keep="first").to_numpy()
    first_line = dict(zip(frame[id_column][~duplicated], frame["_line"][~duplicated], strict=True))
    for i in np.flatnonzero(duplicated):
        key = frame[id_column].iloc[i]
        detail = f"{id_column}={key}: already defined on line {first_line[key]}"
        letters.append(
            dl.record(
                kind, path, frame["_line"].iloc[i], dl.DUPLICATE, detail, frame["_text"].iloc[i]
            )
        )
    frame = frame[~duplicated].drop(columns=["_line", "_text"]).reset_index(drop=True)
    return frame, letters, rows_read


class _ReadTable(beam.DoFn):
    def process(self, item):
        tag, path = item
        frame, letters, rows_read = read_table(path, tag)
        kind = _TABLES[tag][0]
        yield beam.pvalue.TaggedOutput(tag, frame)
        yield beam.pvalue.TaggedOutput(TALLIES, (("rows_read", kind, path), rows_read))
        for letter in letters:
            yield beam.pvalue.TaggedOutput(DEAD_LETTERS, letter)


def _encode(users: pd.DataFrame, videos: pd.DataFrame) -> FeatureTables:
    if users.empty or videos.empty:
        raise ValueError(
            f"no valid rows left in the {'user' if users.empty else 'video'} table; "
            "see the dead letters for why each row was rejected"
        )
    return FeatureTables.from_frames(users, videos)


class ReadFeatureTables(beam.PTransform):
    """Reads the user and video tables; encodes them into FeatureTables.

    Input: PBegin. Outputs a dict of PCollections:
      users, videos: one pandas DataFrame each, the valid de-duplicated rows;
      tables: one FeatureTables (use as a singleton side input);
      dead_letters: dl.record per rejected row; tallies: rows read per table.
    """

    def __init__(self, user_file: str, video_file: str):
        super().__init__()
        self._items = [(USERS, user_file), (VIDEOS, video_file)]

    def expand(self, pbegin):
        read = (
            pbegin
            | "ListTables" >> beam.Create(self._items)
            | "ReadTables"
            >> beam.ParDo(_ReadTable()).with_outputs(USERS, VIDEOS, DEAD_LETTERS, TALLIES)
        )
        tables = read[USERS] | "EncodeTables" >> beam.Map(
            _encode, videos=beam.pvalue.AsSingleton(read[VIDEOS])
        )
        return {
            USERS: read[USERS],
            VIDEOS: read[VIDEOS],
            "tables": tables,
            DEAD_LETTERS: read[DEAD_LETTERS],
            TALLIES: read[TALLIES],
        }
