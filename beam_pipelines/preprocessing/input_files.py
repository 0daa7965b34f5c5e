"""The input files of a KuaiRand-format directory, found and checked before the job starts.

A missing file or a missing column is a configuration error, not a bad row: it fails at
pipeline construction with a message naming the file and the column, instead of sending
every row to the dead letters. Works on any Beam filesystem (local, gs://, ...).
"""

from __future__ import annotations

import csv
import dataclasses
import posixpath
from collections.abc import Sequence

from apache_beam.io.filesystems import FileSystems

from tscac_tf.specs import kuairand_schema as ks


@dataclasses.dataclass(frozen=True)
class InputFiles:
    """The files one ExampleGen run reads.

    Attributes:
      log_files: exposure logs, sorted by name (the order breaks ties between rows).
      user_file, video_file: the user and video feature tables.
      log_headers: the header of each log file (same order as log_files).
    """

    log_files: tuple[str, ...]
    user_file: str
    video_file: str
    log_headers: tuple[tuple[str, ...], ...]


def _join(directory: str, name: str) -> str:
    return (
        FileSystems.join(directory, name) if "://" in directory else posixpath.join(directory, name)
    )


def list_names(directory: str) -> list[str]:
    """Base names of the files directly under `directory` (sorted)."""
    pattern = _join(directory, "*")
    metadata = FileSystems.match([pattern])[0].metadata_list
    prefix = len(_join(directory, ""))
    return sorted(m.path[prefix:] for m in metadata if "/" not in m.path[prefix:])


def read_header(path: str) -> tuple[str, ...]:
    """The column names on the first line of a CSV file (a UTF-8 BOM is ignored)."""
    with FileSystems.open(path) as f:
        first = f.readline().decode("utf-8-sig").rstrip("\r\n")
    if not first:
        raise ValueError(f"{path}: the file is empty; expected a header line of column names")
    return tuple(next(csv.reader([first])))


def check_header(path: str, header: Sequence[str], columns: Sequence[ks.Column], what: str) -> None:
    """Raises ValueError naming the file and every required column the header lacks."""
    missing = [c.name for c in columns if c.name not in header]
    if missing:
        raise ValueError(
            f"{path}: the {what} lacks column(s) {missing}; expected all of "
            f"{[c.name for c in columns]}, the header has {list(header)}"
        )
    duplicated = sorted({h for h in header if list(header).count(h) > 1})
    if duplicated:
        raise ValueError(f"{path}: the {what} header repeats column(s) {duplicated}")


def _one_table(directory: str, names: list[str], pattern, what: str, example: str) -> str:
    found = [n for n in names if pattern.match(n)]
    if not found:
        raise FileNotFoundError(
            f"{directory}: no {what} file; expected one named like {example} "
            f"(pattern {pattern.pattern}), found {names}"
        )
    if len(found) > 1:
        raise ValueError(f"{directory}: several {what} files {found}; keep exactly one")
    return _join(directory, found[0])


def find_input_files(directory: str, include_random_logs: bool = True) -> InputFiles:
    """Finds and checks the log files and the two feature tables of a KuaiRand directory.

    Args:
      directory: a local path or any Beam filesystem prefix.
      include_random_logs: also take `log_random_*` files.

    Returns:
      The InputFiles, every header checked against kuairand_schema.

    Raises:
      FileNotFoundError: no log file, no user table or no video table (names the pattern).
      ValueError: a header lacks a required column (names file and column), or logs of
        several KuaiRand versions (pure, 1k, 27k, synthetic) are mixed in one directory.
    """
    names = list_names(directory)
    logs = [(n, ks.LOG_FILE_PATTERN.match(n)) for n in names]
    logs = [(n, m) for n, m in logs if m and (include_random_logs or m["policy"] == "standard")]
    if not logs:
        raise FileNotFoundError(
            f"{directory}: no log file; expected names like log_standard_4_08_to_4_21_pure.csv "
            f"(pattern {ks.LOG_FILE_PATTERN.pattern}), found "
            f"{names or 'nothing (the directory is missing or empty)'}"
        )
    versions = sorted({m["version"] or "" for _, m in logs})
    if len(versions) > 1:
        raise ValueError(
            f"{directory}: logs of several KuaiRand versions {versions} would double-count "
            f"exposures; keep one version per directory: {[n for n, _ in logs]}"
        )
    user_file = _one_table(
        directory, names, ks.USER_FILE_PATTERN, "user table", "user_features_pure.csv"
    )
    video_file = _one_table(
        directory, names, ks.VIDEO_FILE_PATTERN, "video table", "video_features_basic_pure.csv"
    )
    check_header(user_file, read_header(user_file), ks.USER_COLUMNS, "user table")
    check_header(video_file, read_header(video_file), ks.VIDEO_COLUMNS, "video table")
    log_files = tuple(_join(directory, n) for n, _ in logs)
    headers = tuple(read_header(p) for p in log_files)
    for path, header in zip(log_files, headers, strict=True):
        check_header(path, header, ks.LOG_COLUMNS, "log")
    return InputFiles(log_files, user_file, video_file, headers)
