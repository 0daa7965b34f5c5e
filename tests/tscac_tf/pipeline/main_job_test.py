"""End to end on the small preset: run -> serve -> a gRPC client -> report -> cached rerun.

This is the README's main job (`tscac run`) on the small preset, in a child process as a
user runs it, followed by the served model answering a TF Serving gRPC client.
"""

import json
import math
import os
import subprocess
import sys

import numpy as np
import pytest

from serving.client import TFServingClient
from serving.model_server import ModelServer
from serving.server_config import ModelConfig, ServerConfig
from tscac_tf import machine
from tscac_tf.export import serving_layout
from tscac_tf.pipeline import runner


def _tscac_run(workdir: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, TF_USE_LEGACY_KERAS="1")
    argv = [sys.executable, "-m", "tscac_tf.cli", "run", "--preset", "small", "--workdir", workdir]
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=1800)


@pytest.fixture(scope="module")
def main_job(tmp_path_factory):
    workdir = str(tmp_path_factory.mktemp("main_job"))
    first = _tscac_run(workdir)
    assert first.returncode == 0, first.stderr[-3000:] + first.stdout[-3000:]
    return workdir, first


def _only_run(workdir, component):
    runs = [r for r in os.listdir(os.path.join(workdir, component)) if not r.startswith(".")]
    assert len(runs) == 1, runs
    return os.path.join(workdir, component, runs[0])


def test_report_has_finite_ground_truth_for_every_policy(main_job):
    workdir, first = main_job
    report = json.load(open(os.path.join(_only_run(workdir, "evaluate"), "report.json")))
    policies = report["policies"]
    assert {"bc", "tscac"} <= set(policies)
    assert any(p["group"] == "oracle" for p in policies.values())
    for name, p in policies.items():
        for metric, summary in p["ground_truth"].items():
            assert math.isfinite(summary["mean"]), (name, metric)
        assert p["sessions"] > 0
    assert "| tscac |" in first.stdout  # the final summary prints the table
    # and π_β's held-out fit, recorded in the behaviour component's lineage
    metrics = runner.read_metadata(_only_run(workdir, "behavior"))["metrics"]
    behavior, training = metrics["behavior_heldout"], metrics["behavior_training"]
    assert behavior["transitions"] > 0 and math.isfinite(behavior["cross_entropy"])
    # the chosen step is one the run scored, with the score it had then
    assert training["heldout_curve"][str(behavior["step"])] == behavior["cross_entropy"]
    assert behavior["step"] <= training["steps"]
    assert f"π_β (step {behavior['step']:,} of {training['steps']:,} trained" in first.stdout
    assert f"on {behavior['transitions']:,} held-out steps" in first.stdout
    # the served path: every learned policy again, on the retrieval index's candidates
    served = report["served_path"]["policies"]
    assert set(served) == {n for n, p in policies.items() if p["group"] == "policy"}
    for name, p in served.items():
        assert p["sessions"] == policies[name]["sessions"]
        assert math.isfinite(p["ground_truth"]["watch_time"]["mean"]), name
    markdown = open(os.path.join(_only_run(workdir, "evaluate"), "report.md")).read()
    assert "## Served path" in markdown
    assert f"- **machine**: {machine.describe()}" in markdown  # where the figures were made
    # what each NCIS estimate rests on, in the JSON and under the NCIS table
    health = report["ncis_health"]
    assert set(health) == {n for n, p in policies.items() if p["group"] == "policy"}
    for name, h in health.items():
        if h["match_rate"] > 0:
            assert 0 <= h["capped_share"] <= 1 and h["effective_sample_size"] > 0, name
        # how sharp the policy's softmax is: between a one-hot choice and a uniform one
        assert 0 <= h["entropy"] <= h["uniform_entropy"] + 1e-9, name
        assert 0 < h["top_share"] <= 1, name
    assert markdown.index("NCIS health") > markdown.index("## Off-policy NCIS")
    plots = [os.path.join("plots", f) for f in ("tradeoff.png", "learning_curves.png")]
    for name in ("report.md", "report.html", *plots):
        assert os.path.getsize(os.path.join(_only_run(workdir, "evaluate"), name)) > 0


def test_push_follows_the_blessing(main_job):
    workdir, first = main_job
    blessing = json.load(open(os.path.join(_only_run(workdir, "evaluate"), "blessing.json")))
    pushed = json.load(open(os.path.join(_only_run(workdir, "push"), "push.json")))
    assert pushed["pushed"] == blessing["blessed"]
    serving_tscac = os.path.join(workdir, "serving", "tscac")
    if blessing["blessed"]:
        assert serving_layout.list_versions(serving_tscac) == [1]
        assert "tscac serve --model-base-path" in first.stdout
    else:
        assert not os.path.exists(serving_tscac)
        assert pushed["reasons"] and "NOT pushed" in first.stdout


def test_served_model_answers_a_grpc_client_like_the_saved_model(main_job):
    import tensorflow as tf

    workdir, _ = main_job
    pushed = json.load(open(os.path.join(_only_run(workdir, "push"), "push.json")))
    base = os.path.join(workdir, "serving") if pushed["pushed"] else _only_run(workdir, "export")
    server = ModelServer(
        ServerConfig(
            models=(ModelConfig("tscac", os.path.join(base, "tscac")),), grpc_port=0, rest_port=None
        )
    ).start()
    try:
        client = TFServingClient(f"127.0.0.1:{server.grpc_port}", "grpc")
        client.wait_until_available()
        history = np.array([[-1] * 20, [3, 5] + [-1] * 18], np.int64)
        play = np.where(history >= 0, 9000, 0).astype(np.int64)
        users = np.array([0, 10**12], np.int64)  # a known id and an unknown (cold-start) one
        served = client.recommend(users, history, play)
        assert served["video_ids"].shape == (2, 50) and (served["video_ids"] >= 0).all()
        assert not set(served["video_ids"][1]) & {3, 5}  # never the videos just shown
        assert all(len(set(row)) == 50 for row in served["video_ids"])
        assert np.isfinite(served["scores"]).all()
        assert (np.diff(served["scores"], axis=1) <= 1e-6).all()  # best first
        # Every signature answers as tf.saved_model.load's does (the server runs the
        # MetaGraph in a session, as tensorflow_model_server does).
        query = {"user_id": users, "history_video_ids": history, "history_play_time_ms": play}
        requests = {
            "recommend": query,
            "recommend_excluding": {
                **query,
                "exclude_video_ids": np.array([[-1, -1], served["video_ids"][1, :2]], np.int64),
            },
            "rank": {**query, "candidate_video_ids": served["video_ids"]},
        }
        local = tf.saved_model.load(serving_layout.resolve_saved_model_dir(base)).signatures
        for name, inputs in requests.items():
            got = client.predict(inputs, name)
            expected = local[name](**{k: tf.constant(v) for k, v in inputs.items()})
            assert sorted(got) == sorted(expected), name
            for key, value in expected.items():
                value = value.numpy()
                assert got[key].dtype == value.dtype, (name, key)
                if value.dtype.kind == "f":
                    np.testing.assert_allclose(got[key], value, rtol=1e-5, atol=1e-6)
                else:
                    np.testing.assert_array_equal(got[key], value, err_msg=f"{name}/{key}")
        assert not set(client.predict(requests["recommend_excluding"], "recommend_excluding")[
            "video_ids"][1]) & set(served["video_ids"][1, :2])  # fmt: skip
    finally:
        server.stop(0)


def test_ablate_retrains_only_the_ablated_stage_and_judges_it(main_job, tmp_path):
    workdir, _ = main_job
    out = str(tmp_path / "ablate")
    argv = [sys.executable, "-m", "tscac_tf.cli", "ablate", "--preset", "small",
            "--world", _only_run(workdir, "generate"), "--data", _only_run(workdir, "candidates"),
            "--train-dir", _only_run(workdir, "train"),
            "--out", out, "--lambdas", "0.25,1", "--skip", "gamma",
            "--critic-interactions", "click", "--critic-steps", "20", "--critic-eval-steps", "500"]  # fmt: skip
    env = dict(os.environ, TF_USE_LEGACY_KERAS="1")
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]

    summary = json.load(open(os.path.join(out, "ablations.json")))
    # λ = 1 is the run's own λ: its policy is reused, only λ = 0.25 is trained.
    assert [(p["lambda"], p["policy"]) for p in summary["lambda_sweep"]] == [
        (0.25, "tscac_lambda=0.25"),
        (1.0, "tscac"),
    ]
    assert "stage_two: resumed from" not in done.stderr
    assert "stage_one: resumed from" in done.stderr and "behavior: resumed from" in done.stderr
    assert math.isfinite(summary["policies"]["tscac_lambda=0.25"]["watch_time"])
    # the dual-λ variant: stage two retrained with λ_i following the constraints
    assert math.isfinite(summary["policies"]["tscac_dual_lambda"]["watch_time"])
    dual = summary["dual_lambda"]
    assert sorted(dual["final"]) == sorted(dual["levels"]) and len(dual["final"]) == 6
    assert dual["final"] != dict.fromkeys(dual["final"], 1.0)  # moved from the preset's λ
    click = summary["critics"]["click"]
    for variant in ("joint", "separate"):
        assert -1.0 <= click[variant] <= 1.0, click
    assert os.path.getsize(os.path.join(out, "report", "plots", "lambda_sweep.png")) > 0


def test_second_run_reuses_every_cached_output(main_job):
    workdir, _ = main_job
    before = {m["component"]: m["run_id"] for m in runner.lineage(workdir)}
    second = _tscac_run(workdir)
    assert second.returncode == 0, second.stderr[-3000:]
    assert second.stderr.count("reused cached output") == len(before)
    assert {m["component"]: m["run_id"] for m in runner.lineage(workdir)} == before
