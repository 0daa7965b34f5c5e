"""CSV files read in blocks of whole lines, each block parsed at once by pandas.

Per-row Python work is what makes a Beam job slow on one machine, so a log file is read
in blocks of a few MiB: the field count of every line is found with NumPy (commas per
line; the `csv` module only for the rare lines with quotes), lines with a wrong count are
set aside for the dead letters, and the rest go to pandas' C parser in one call.

Limitation: a quoted field that spans lines is not supported (KuaiRand files have none);
such a line is reported as `malformed_csv` or `wrong_column_count`, never parsed wrongly.
"""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import Iterator, Sequence

import numpy as np
import pandas as pd
from apache_beam.io.filesystems import FileSystems

from beam_pipelines.preprocessing import dead_letters as dl

_NEWLINE, _COMMA, _QUOTE, _CR = 10, 44, 34, 13


@dataclasses.dataclass
class CsvBlock:
    """The parsed rows of one block, and the lines that could not be split into fields.

    Attributes:
      frame: one row per well-formed line, columns named by the header; text columns
        asked for as `str`, the others as pandas infers them (int64, float64 or text
        where a value is not a number); empty fields are NaN.
      lines: int64 [len(frame)], the 1-based file line of each frame row.
      block, starts, ends: the raw bytes and each frame row's [start, end) in them.
      bad_lines: (line, text, reason, detail) of each line that was not split into the
        header's number of fields.
    """

    frame: pd.DataFrame
    lines: np.ndarray
    block: bytes
    starts: np.ndarray
    ends: np.ndarray
    bad_lines: list[tuple[int, str, str, str]]

    def text(self, row: int) -> str:
        """The raw text of frame row `row` (for dead letters)."""
        return self.block[self.starts[row] : self.ends[row]].decode("utf-8", errors="replace")


def read_blocks(path: str, block_bytes: int) -> Iterator[tuple[bytes, int]]:
    """Yields (bytes of whole lines, file line number of the first) after the header.

    A `block_bytes` <= 0 reads the whole file as one block.
    """
    with FileSystems.open(path) as f:
        f.readline()
        line = 2
        while True:
            block = f.read(block_bytes if block_bytes > 0 else -1)
            if not block:
                return
            if not block.endswith(b"\n"):
                block += f.readline()
            yield block, line
            line += block.count(b"\n") + (0 if block.endswith(b"\n") else 1)


def _line_bounds(buf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """[start, end) byte offsets of each line, without its newline."""
    newlines = np.flatnonzero(buf == _NEWLINE)
    if len(buf) and buf[-1] != _NEWLINE:
        newlines = np.append(newlines, len(buf))
    starts = np.concatenate([[0], newlines[:-1] + 1]).astype(np.int64)
    return starts, newlines.astype(np.int64)


def _field_counts(buf: np.ndarray, starts: np.ndarray, ends: np.ndarray, texts) -> tuple:
    """Fields per line; lines with quotes are split by the csv module (strict quoting)."""

    def per_line(byte: int) -> np.ndarray:
        at = np.flatnonzero(buf == byte)
        return np.searchsorted(at, ends) - np.searchsorted(at, starts)

    counts = per_line(_COMMA) + 1
    malformed = np.zeros(len(starts), bool)
    for i in np.flatnonzero(per_line(_QUOTE) > 0):
        try:
            counts[i] = len(next(csv.reader([texts(i)], strict=True)))
        except csv.Error:
            malformed[i] = True
    counts[ends - starts == 0] = 0  # a blank line has no fields
    return counts, malformed


def _parse_lines_slowly(rows: list[str], names: Sequence[str]) -> pd.DataFrame:
    """Fallback when pandas disagrees with the field counts: the csv module, all text."""
    fields = [next(csv.reader([r])) for r in rows]
    frame = pd.DataFrame(fields, columns=list(names), dtype=object)
    return frame.replace("", np.nan)


def parse_block(
    block: bytes, first_line: int, names: Sequence[str], text_columns: Sequence[str] = ()
) -> CsvBlock:
    """Splits a block of CSV lines into parsed rows and lines with a wrong field count.

    Args:
      block: whole lines of a CSV file, without the header.
      first_line: the file line number of the first line of the block.
      names: the header's column names.
      text_columns: columns to keep as strings (never inferred as numbers).

    Returns:
      The CsvBlock.
    """
    buf = np.frombuffer(block, np.uint8)
    starts, ends = _line_bounds(buf)
    ends = np.where((ends > starts) & (buf[np.maximum(ends - 1, 0)] == _CR), ends - 1, ends)

    def text(i: int) -> str:
        return block[starts[i] : ends[i]].decode("utf-8", errors="replace")

    counts, malformed = _field_counts(buf, starts, ends, text)
    good = (counts == len(names)) & ~malformed
    lines = first_line + np.arange(len(starts), dtype=np.int64)
    bad_lines = []
    for i in np.flatnonzero(~good):
        if malformed[i]:
            reason, detail = dl.MALFORMED_CSV, "unbalanced quotes"
        else:
            reason = dl.WRONG_COLUMN_COUNT
            detail = f"expected {len(names)} fields (the header's), got {counts[i]}"
        bad_lines.append((int(lines[i]), text(i), reason, detail))
    keep = np.flatnonzero(good)
    data = block if good.all() else b"\n".join(block[starts[i] : ends[i]] for i in keep)
    frame = _read_frame(data, len(keep), lambda: [text(i) for i in keep], names, text_columns)
    return CsvBlock(frame, lines[keep], block, starts[keep], ends[keep], bad_lines)


def _read_frame(data: bytes, num_rows: int, texts, names, text_columns) -> pd.DataFrame:
    """pandas' C parser on the well-formed lines; the csv module if they disagree."""
    if not num_rows:
        return pd.DataFrame({n: pd.Series([], dtype=object) for n in names})
    try:
        frame = pd.read_csv(
            io.BytesIO(data),
            header=None,
            names=list(names),
            dtype={c: str for c in text_columns},
            keep_default_na=False,
            na_values=[""],
            skip_blank_lines=False,
            engine="c",
        )
    except (pd.errors.ParserError, ValueError):
        frame = None
    if frame is None or len(frame) != num_rows:
        frame = _parse_lines_slowly(texts(), names)
    return frame
