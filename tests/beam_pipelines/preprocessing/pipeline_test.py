"""ExampleGen end to end on the fixture directory: outputs, dead letters, summary, failures."""

import glob
import json
import os
import shutil

import numpy as np
import pytest
from apache_beam.testing import test_pipeline

from beam_pipelines.preprocessing import dead_letters as dl
from beam_pipelines.preprocessing import pipeline
from tscac_tf.data import session_io
from tscac_tf.features.feature_tables import FeatureTables
from tscac_tf.specs import session_schema as ss

TRAIN_LOG = "log_standard_4_08_to_4_21_synthetic.csv"
GOOD = "4,7,20220408,1000,1649383260000,1,1,0,0,0,0,1,30000,20000,0,0,0,0,1,0.25"
BAD_ROWS = [
    ("4,7,20220408,1000,1649383260000,1,1,0,0", dl.WRONG_COLUMN_COUNT),
    (GOOD.replace("30000", "lots"), dl.NOT_A_NUMBER),
    (GOOD.replace("30000", "-1"), dl.OUT_OF_RANGE),
    (GOOD.replace(",7,", ",424242,"), dl.UNKNOWN_VIDEO),
    (GOOD.replace("20220408", "2022048"), dl.BAD_DATE),
    (GOOD, dl.DUPLICATE),  # the fixture's first row, again
]


def _copy(fixture_dir, tmp_path, bad_rows=()):
    data = tmp_path / "data"
    shutil.copytree(fixture_dir, data)
    with open(data / TRAIN_LOG, "a") as f:
        f.writelines(row + "\n" for row in bad_rows)
    return data


def _run(data, out, *flags):
    argv = [f"--data_dir={data}", f"--out={out}", *flags]
    return pipeline.run(argv, test_pipeline=test_pipeline.TestPipeline(runner="FnApiRunner"))


def _session_ids(out, split):
    return sorted(
        s["session_id"]
        for s in session_io.read_sessions_numpy(session_io.session_files(str(out), split))
    )


def test_end_to_end_outputs_and_dead_letters(fixture_dir, tmp_path):
    data = _copy(fixture_dir, tmp_path, [row for row, _ in BAD_ROWS])
    out = tmp_path / "out"
    summary = _run(data, out)
    assert _session_ids(out, ss.TRAIN_SPLIT) == sorted(
        [
            "4-20220408-0",
            "4-20220408-1",
            "4-20220409-0",
            "128-20220408-0",
            "128-20220409-0",
            "3120-20220421-0",
        ]
    )
    assert _session_ids(out, ss.EVAL_SPLIT) == ["3120-20220425-0", "4-20220422-0"]
    assert summary["sessions"] == {"train": 6, "eval": 2}
    assert summary["steps"] == {"train": 8, "eval": 3}
    # Every row is accounted for: read = written + rejected.
    assert summary["rows_read_total"]["logs"] == 11 + len(BAD_ROWS)
    assert summary["rows_rejected_total"]["logs"] == len(BAD_ROWS)
    letters = [
        json.loads(line)
        for path in glob.glob(str(out / "dead_letters" / "dead_letters-*.jsonl"))
        for line in open(path)
    ]
    got = sorted((d["line"], d["reason"]) for d in letters)
    assert got == [(10 + i, reason) for i, (_, reason) in enumerate(BAD_ROWS)]
    assert all(d["source"].endswith(TRAIN_LOG) for d in letters)
    for _, reason in BAD_ROWS:
        assert summary["rows_rejected"]["logs"][reason] == 1
    tables = FeatureTables.load(str(out))
    assert tables.video_ids.tolist() == [-1, 0, 7, 8, 51, 75, 90]
    stats = json.load(open(out / "statistics.json"))
    assert stats["train"]["responses"]["like"]["mean_raw"] == pytest.approx(1 / 8)
    vocab = json.load(open(out / "vocabularies.json"))
    assert vocab["video_id"][:2] == ["0", "51"]  # each logged twice in train (ties by id)


def test_real_names_without_propensity_and_no_new_day_split(fixture_dir, tmp_path):
    data = _copy(fixture_dir, tmp_path)
    for split, name in (
        ("4_08_to_4_21", TRAIN_LOG),
        ("4_22_to_5_08", TRAIN_LOG.replace("4_08_to_4_21", "4_22_to_5_08")),
    ):
        lines = (data / name).read_text().splitlines()
        (data / name).unlink()
        stripped = [line.rsplit(",", 1)[0] for line in lines]  # drop behavior_propensity
        (data / f"log_standard_{split}_pure.csv").write_text("\n".join(stripped) + "\n")
    out = tmp_path / "out"
    summary = _run(data, out, "--no_new_day_split", "--num_shards=2")
    # User 128's 23:50 and 00:05 exposures are now one session.
    assert summary["sessions"] == {"train": 5, "eval": 2}
    assert "128-20220408-0" in _session_ids(out, ss.TRAIN_SPLIT)
    assert len(session_io.session_files(str(out), ss.TRAIN_SPLIT)) == 2
    sessions = session_io.read_sessions_numpy(session_io.session_files(str(out), ss.TRAIN_SPLIT))
    propensities = np.concatenate([s["behavior_propensity"] for s in sessions])
    assert (propensities == ss.NO_PROPENSITY).all()


def test_missing_file_or_column_fails_before_any_work(fixture_dir, tmp_path):
    data = _copy(fixture_dir, tmp_path)
    (data / "video_features_basic.csv").unlink()
    with pytest.raises(FileNotFoundError, match="no video table"):
        _run(data, tmp_path / "out")
    shutil.copy(os.path.join(fixture_dir, "video_features_basic.csv"), data)
    lines = (data / TRAIN_LOG).read_text().splitlines()
    (data / TRAIN_LOG).write_text("\n".join([lines[0].replace("is_hate,", "")] + lines[1:]) + "\n")
    with pytest.raises(ValueError, match=rf"{TRAIN_LOG}: the log lacks column\(s\) \['is_hate'\]"):
        _run(data, tmp_path / "out")
    assert not (tmp_path / "out").exists()
