"""`tscac baselines --workers`: the split, the merge, and a run in two child processes."""

import json
import os
import re
import subprocess
import sys

import pytest

from tscac_tf.agents.baselines import training, workers
from tscac_tf.testing import fake_transitions as ft


def test_plan_balances_cost_and_keeps_the_canonical_order():
    names = [n for n in training.BASELINE_NAMES if n != training.BC]
    groups = workers.plan(names, 2)
    assert sorted(n for g in groups for n in g) == sorted(names)
    for group in groups:
        assert list(group) == [n for n in names if n in group]
    loads = [sum(workers.RELATIVE_COST[n] for n in g) for g in groups]
    assert max(loads) - min(loads) <= max(workers.RELATIVE_COST.values())
    # the two costliest never share a worker
    assert not {"rcpo_mc", "pareto"} <= set(groups[0])
    assert not {"rcpo_mc", "pareto"} <= set(groups[1])


def test_plan_never_makes_an_empty_group():
    assert sorted(workers.plan(["rcpo", "deepfm"], 5)) == [("deepfm",), ("rcpo",)]
    assert workers.plan(["rcpo"], 1) == [("rcpo",)]
    with pytest.raises(ValueError, match="workers must be >= 1"):
        workers.plan(["rcpo"], 0)


def test_merge_orders_by_the_requested_names_and_names_what_is_missing():
    parts = [{"baselines": {"deepfm": 2}, "config": {"c": 1}}, {"baselines": {"rcpo": 1}}]
    merged = workers.merge_summaries(parts, ["rcpo", "deepfm"])
    assert list(merged["baselines"]) == ["rcpo", "deepfm"] and merged["config"] == {"c": 1}
    with pytest.raises(RuntimeError, match=r"no worker reported baselines \['pareto'\]"):
        workers.merge_summaries(parts, ["rcpo", "pareto"])


def _tscac(*argv):
    env = dict(os.environ, TF_USE_LEGACY_KERAS="1", CUDA_VISIBLE_DEVICES="")
    return subprocess.run(
        [sys.executable, "-m", "tscac_tf.cli", *argv],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


def test_two_workers_train_after_the_parent_trains_behaviour_once(tmp_path):
    data_dir, out = str(tmp_path / "data"), str(tmp_path / "out")
    ft.write_fake_candidate_sessions(data_dir, ft.FakeTransitionsConfig(num_sessions=40))
    done = _tscac(
        "baselines", "--data", data_dir, "--out", out, "--preset", "small",
        "--only", "rcpo,deepfm,watch_time_ac", "--steps", "2", "--workers", "2", "--threads", "1",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().splitlines()[-1] == os.path.join(out, training.SUMMARY_FILE)
    for i in (0, 1):
        assert re.search(
            rf"worker {i}: exit status 0, [\d.]+ s after writing its summary", done.stderr
        )
    # π_β trained once, by the parent, not by each worker
    assert len(re.findall(r"\bbc: step 2/2\b", done.stderr)) == 1, done.stderr[-3000:]
    with open(os.path.join(out, training.SUMMARY_FILE)) as f:
        summary = json.load(f)
    assert sorted(summary["baselines"]) == ["deepfm", "rcpo", "watch_time_ac"]
    for name, info in summary["baselines"].items():
        assert info["steps"] == 2, name
        assert os.path.exists(os.path.join(info["export"], "saved_model.pb")), name
    assert summary["baselines"]["rcpo"]["constraint_levels"]
    assert not [f for f in os.listdir(out) if f.startswith("_baselines_summary_worker")]


def test_a_failed_worker_is_named_with_its_exit_status(tmp_path):
    base = ["--data", str(tmp_path / "missing"), "--out", str(tmp_path), "--preset", "small"]
    with pytest.raises(RuntimeError, match=r"baseline workers failed: rcpo \(exit status 1\)"):
        workers.run_workers(base, [("rcpo",)], str(tmp_path), threads=1)
