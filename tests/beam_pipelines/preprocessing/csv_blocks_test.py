"""CSV blocks: field counts found with NumPy, bad lines set aside, rows parsed by pandas."""

import numpy as np
import pytest

from beam_pipelines.preprocessing import csv_blocks
from beam_pipelines.preprocessing import dead_letters as dl

NAMES = ("a", "b", "c")


def test_good_lines_parse_in_one_frame_with_line_numbers():
    block = csv_blocks.parse_block(b"1,2,3\n4,5,6\n", first_line=2, names=NAMES)
    assert block.frame.to_dict("list") == {"a": [1, 4], "b": [2, 5], "c": [3, 6]}
    np.testing.assert_array_equal(block.lines, [2, 3])
    assert block.text(1) == "4,5,6" and block.bad_lines == []


def test_wrong_field_counts_blank_lines_and_unbalanced_quotes_are_set_aside():
    data = b'1,2,3\n1,2\n\n1,2,3,4\n7,"8,9",0\n1,"2,3\n5,6,7\r\n'
    block = csv_blocks.parse_block(data, first_line=10, names=NAMES, text_columns=["b"])
    assert block.frame.to_dict("list") == {"a": [1, 7, 5], "b": ["2", "8,9", "6"], "c": [3, 0, 7]}
    np.testing.assert_array_equal(block.lines, [10, 14, 16])
    assert block.text(2) == "5,6,7"  # the \r of a CRLF line is not part of the row
    assert [(line, reason) for line, _, reason, _ in block.bad_lines] == [
        (11, dl.WRONG_COLUMN_COUNT),
        (12, dl.WRONG_COLUMN_COUNT),
        (13, dl.WRONG_COLUMN_COUNT),
        (15, dl.MALFORMED_CSV),
    ]
    assert block.bad_lines[0][1:] == (
        "1,2",
        dl.WRONG_COLUMN_COUNT,
        "expected 3 fields (the header's), got 2",
    )
    assert "got 4" in block.bad_lines[2][3]


def test_text_columns_stay_text_and_empty_fields_are_missing():
    block = csv_blocks.parse_block(b"007,,x\n", first_line=2, names=NAMES, text_columns=["a"])
    assert block.frame["a"].tolist() == ["007"]
    assert block.frame["b"].isna().all() and block.frame["c"].tolist() == ["x"]


@pytest.mark.parametrize("block_bytes", [1, 7, 1 << 20, -1])
def test_read_blocks_yields_whole_lines_and_their_line_numbers(tmp_path, block_bytes):
    path = tmp_path / "f.csv"
    path.write_bytes(b"a,b,c\n1,2,3\n4,5,6\n7,8,9")  # no final newline
    rows, lines = [], []
    for data, first_line in csv_blocks.read_blocks(str(path), block_bytes):
        block = csv_blocks.parse_block(data, first_line, NAMES)
        rows += block.frame["a"].tolist()
        lines += block.lines.tolist()
    assert rows == [1, 4, 7] and lines == [2, 3, 4]
