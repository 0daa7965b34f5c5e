"""`tscac run --data-dir` on logs in the exact real KuaiRand-27K format (part files, no propensity)."""

import csv
import json
import math
import os
import subprocess
import sys

from tscac_tf.pipeline import runner
from tscac_tf.specs import kuairand_schema as ks
from tscac_tf.testing import real_format


def test_main_job_on_real_format_logs(tmp_path):
    synthetic = str(tmp_path / "synthetic")
    env = dict(os.environ, TF_USE_LEGACY_KERAS="1")
    cli = [sys.executable, "-m", "tscac_tf.cli"]
    subprocess.run([*cli, "generate", "--out", synthetic, "--preset", "small", "--no-progress"], env=env, check=True,
                   capture_output=True)  # fmt: skip
    data = str(tmp_path / "kuairand_27k")
    names = real_format.write_real_format(synthetic, data, version="27k", parts=2)
    assert "log_standard_4_08_to_4_21_27k_part2.csv" in names and "user_features_27k.csv" in names
    with open(os.path.join(data, "log_standard_4_22_to_5_08_27k_part1.csv")) as f:
        assert tuple(next(csv.reader(f))) == ks.LOG_COLUMN_NAMES  # no behavior_propensity

    workdir = str(tmp_path / "work")
    result = subprocess.run(
        [*cli, "run", "--data-dir", data, "--preset", "small", "--workdir", workdir, "--no-baselines"],
        env=env, capture_output=True, text=True, timeout=1800,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    done = {m["component"]: m for m in runner.lineage(workdir)}
    assert set(done) == {
        "preprocess",
        "retrieval",
        "candidates",
        "behavior",
        "train",
        "evaluate",
        "export",
        "push",
    }
    summary = done["preprocess"]["metrics"]
    assert (
        summary["rows_rejected_total"]["logs"] == 0 and summary["rows_read_total"]["logs"] > 10_000
    )
    # no propensity in real logs: every step carries the "absent" marker, π_β comes from BC
    train_summary = json.load(
        open(os.path.join(workdir, "train", done["train"]["run_id"], "train_summary.json"))
    )
    assert train_summary["config"]["propensity_source"] == "model"
    assert done["export"]["metrics"]["saved_model"] == os.path.join("tscac", "1")
    # No world to play in: the judge is NCIS on the eval split, and the push follows it.
    evaluate_dir = os.path.join(workdir, "evaluate", done["evaluate"]["run_id"])
    report = json.load(open(os.path.join(evaluate_dir, "report.json")))
    assert report["judged_by"] == "ncis"
    tscac = report["policies"]["tscac"]
    assert all(math.isfinite(v["estimate"]) for v in tscac["ncis"].values())
    assert "ground_truth" not in tscac
    with open(os.path.join(evaluate_dir, "report.md")) as f:
        assert "There is no ground truth for these logs" in f.read()
    pushed = os.path.exists(os.path.join(workdir, "serving", "tscac", "1"))
    assert pushed == tscac["blessed"], tscac["not_blessed_because"]
    assert ("NOT pushed (not blessed)" in result.stdout) == (not tscac["blessed"])
