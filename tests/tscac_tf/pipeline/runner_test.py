"""Tests for the pipeline runner: caching, invalidation, resume after failure, lineage."""

import dataclasses
import io
import json
import os

import pytest

from tscac_tf import machine as machine_lib
from tscac_tf.pipeline import runner as runner_lib
from tscac_tf.pipeline.component import Component


class Calls:
    def __init__(self):
        self.log = []
        self.fail = set()

    def writer(self, name):
        def execute(inputs, output_dir, params):
            self.log.append(name)
            if name in self.fail:
                raise RuntimeError(f"{name} exploded")
            upstream = {
                k: open(os.path.join(v, "value.txt")).read()
                for k, v in inputs.items()
                if k != "raw"
            }
            if "raw" in inputs:
                upstream["raw"] = open(os.path.join(inputs["raw"], "data.txt")).read()
            value = f"{name}({params.get('p', '')};{','.join(f'{k}={v}' for k, v in sorted(upstream.items()))})"
            with open(os.path.join(output_dir, "value.txt"), "w") as f:
                f.write(value)
            return {"length": len(value)}

        return execute


def _pipeline(calls, raw_dir, p="1"):
    return [
        Component("gen", calls.writer("gen"), external_inputs={"raw": raw_dir}, params={"p": p}),
        Component("train", calls.writer("train"), upstream={"data": "gen"}),
        Component("report", calls.writer("report"), upstream={"model": "train", "data": "gen"}),
    ]


@pytest.fixture
def raw(tmp_path):
    d = tmp_path / "raw"
    d.mkdir()
    (d / "data.txt").write_text("rows")
    return str(d)


def test_first_run_executes_all_and_second_reuses_cache(tmp_path, raw):
    calls = Calls()
    runner = runner_lib.PipelineRunner(str(tmp_path / "work"), log=io.StringIO())
    first = runner.run(_pipeline(calls, raw))
    assert calls.log == ["gen", "train", "report"]
    assert open(os.path.join(first["report"].output_dir, "value.txt")).read() == (
        "report(;data=gen(1;raw=rows),model=train(;data=gen(1;raw=rows)))"
    )
    second = runner.run(_pipeline(calls, raw))
    assert calls.log == ["gen", "train", "report"]
    assert all(r.cached for r in second.values())
    assert second["report"].metrics == first["report"].metrics


def test_changed_param_or_input_invalidates_downstream_only(tmp_path, raw):
    calls = Calls()
    runner = runner_lib.PipelineRunner(str(tmp_path / "work"), log=io.StringIO())
    runner.run(_pipeline(calls, raw))
    calls.log.clear()
    runner.run(_pipeline(calls, raw, p="2"))
    assert calls.log == ["gen", "train", "report"]
    calls.log.clear()
    with open(os.path.join(raw, "data.txt"), "w") as f:
        f.write("more rows")
    runner.run(_pipeline(calls, raw, p="2"))
    assert calls.log == ["gen", "train", "report"]


def test_failure_is_recorded_and_rerun_resumes_at_the_failed_component(tmp_path, raw):
    calls = Calls()
    calls.fail = {"train"}
    runner = runner_lib.PipelineRunner(str(tmp_path / "work"), log=io.StringIO())
    with pytest.raises(
        runner_lib.PipelineError, match="component 'train' failed.*rerun the same command"
    ):
        runner.run(_pipeline(calls, raw))
    failed = [f for f in os.listdir(tmp_path / "work" / "train") if f.endswith(".failed.json")]
    assert len(failed) == 1
    assert "train exploded" in json.load(open(tmp_path / "work" / "train" / failed[0]))["error"]
    calls.fail = set()
    calls.log.clear()
    results = runner.run(_pipeline(calls, raw))
    assert calls.log == ["train", "report"]
    assert results["gen"].cached and not results["train"].cached
    assert not [
        f
        for f in os.listdir(tmp_path / "work" / "train")
        if f.endswith((".failed.json", ".partial"))
    ]


def _checkpointing_pipeline(calls, raw_dir, resumable):
    """gen, then a `train` that writes a checkpoint file, fails while calls.fail holds it,
    and on success reports whether it found an earlier attempt's checkpoint."""

    def train(inputs, output_dir, params):
        calls.log.append("train")
        checkpoint = os.path.join(output_dir, "ckpt")
        found = os.path.exists(checkpoint)
        with open(checkpoint, "a") as f:
            f.write("step\n")
        if "train" in calls.fail:
            raise RuntimeError("train exploded")
        return {"resumed": found}

    return [
        Component("gen", calls.writer("gen"), external_inputs={"raw": raw_dir}),
        Component("train", train, upstream={"data": "gen"}, resumable=resumable),
    ]


@pytest.mark.parametrize("resumable", [True, False])
def test_a_resumable_component_reruns_on_what_its_failed_attempt_left(tmp_path, raw, resumable):
    calls = Calls()
    calls.fail = {"train"}
    log = io.StringIO()
    runner = runner_lib.PipelineRunner(str(tmp_path / "work"), log=log)
    with pytest.raises(runner_lib.PipelineError):
        runner.run(_checkpointing_pipeline(calls, raw, resumable))
    calls.fail = set()
    results = runner.run(_checkpointing_pipeline(calls, raw, resumable))
    assert results["train"].metrics == {"resumed": resumable}
    lines = open(os.path.join(results["train"].output_dir, "ckpt")).read().split()
    assert len(lines) == (2 if resumable else 1)
    assert ("train: resuming from" in log.getvalue()) == resumable
    assert not [f for f in os.listdir(tmp_path / "work" / "train") if f.endswith(".partial")]


def test_lineage_links_each_output_to_its_inputs(tmp_path, raw):
    work = str(tmp_path / "work")
    results = runner_lib.PipelineRunner(work, log=io.StringIO()).run(_pipeline(Calls(), raw))
    by_name = {m["component"]: m for m in runner_lib.lineage(work)}
    assert by_name["report"]["inputs"]["model"]["run_id"] == results["train"].run_id
    assert by_name["gen"]["inputs"]["raw"] == {"external": raw}
    assert by_name["gen"]["metrics"]["length"] > 0


def test_force_reruns_a_component(tmp_path, raw):
    calls = Calls()
    work = str(tmp_path / "work")
    runner_lib.PipelineRunner(work, log=io.StringIO()).run(_pipeline(calls, raw))
    calls.log.clear()
    runner_lib.PipelineRunner(work, force=["train"], log=io.StringIO()).run(_pipeline(calls, raw))
    assert calls.log == ["train"]


def test_wiring_errors_are_clear(tmp_path, raw):
    calls = Calls()
    runner = runner_lib.PipelineRunner(str(tmp_path / "work"), log=io.StringIO())
    with pytest.raises(ValueError, match="reads \\['gen'\\], which do not run before it"):
        runner.run([Component("train", calls.writer("train"), upstream={"data": "gen"})])
    with pytest.raises(ValueError, match="component name"):
        Component("bad name", calls.writer("x"))
    with pytest.raises(FileNotFoundError, match="does not exist"):
        runner.run(
            [Component("gen", calls.writer("gen"), external_inputs={"raw": str(tmp_path / "nope")})]
        )


def _diamond(execute):
    """gen -> (left, right) -> join, with `execute(name)` as every component's work."""

    def component(name, **upstream):
        def run(inputs, output_dir, params):
            execute(name)
            return {}

        return Component(name, run, upstream=upstream)

    return [
        component("gen"),
        component("left", data="gen"),
        component("right", data="gen"),
        component("join", a="left", b="right"),
    ]


def test_independent_components_run_at_the_same_time(tmp_path):
    import threading

    # left and right each wait for the other to have started: only concurrency ends it.
    started = {n: threading.Event() for n in ("left", "right")}
    order = []

    def execute(name):
        order.append(name)
        if name in started:
            started[name].set()
            other = started["right" if name == "left" else "left"]
            assert other.wait(timeout=30), f"{name} ran alone"

    log = io.StringIO()
    runner = runner_lib.PipelineRunner(str(tmp_path / "work"), log=log, max_parallel=2)
    results = runner.run(_diamond(execute))
    assert order[0] == "gen" and order[-1] == "join" and sorted(order[1:3]) == ["left", "right"]
    assert not any(r.cached for r in results.values())
    assert "[4/4] join: done" in log.getvalue()


def test_a_parallel_failure_lets_the_running_branch_finish_and_stops_the_rest(tmp_path):
    import threading

    right_done = threading.Event()

    def execute(name):
        if name == "left":
            raise RuntimeError("left exploded")
        if name == "right":
            right_done.set()
        if name == "join":
            raise AssertionError("join must not start after a failure")

    runner = runner_lib.PipelineRunner(str(tmp_path / "work"), log=io.StringIO(), max_parallel=2)
    with pytest.raises(runner_lib.PipelineError, match="component 'left' failed"):
        runner.run(_diamond(execute))
    assert right_done.is_set()
    # the finished branch is kept: a rerun only runs left and join
    ran = []
    runner.run(_diamond(ran.append))
    assert sorted(ran) == ["join", "left"]


def test_eta_is_the_critical_path_when_parallel(tmp_path):
    components = _diamond(lambda name: None)
    seconds = {"gen": 10, "left": 100, "right": 30, "join": 5}
    components = [dataclasses.replace(c, estimated_seconds=seconds[c.name]) for c in components]
    work = str(tmp_path / "work")
    assert runner_lib.PipelineRunner(work)._eta(components, {}) == 145
    assert runner_lib.PipelineRunner(work, max_parallel=2)._eta(components, {}) == 115


def test_max_parallel_must_be_positive(tmp_path):
    with pytest.raises(ValueError, match="max_parallel must be >= 1"):
        runner_lib.PipelineRunner(str(tmp_path), max_parallel=0)


def _main_job_fingerprints(workdir) -> dict[str, str]:
    from tscac_tf.pipeline import tscac_pipeline

    found = {}
    for component in tscac_pipeline.components(tscac_pipeline.RunConfig(), str(workdir)):
        found[component.name] = runner_lib._fingerprint(component, found)
    return found


def test_the_main_jobs_retrieval_and_everything_after_it_follow_the_model_version(
    monkeypatch, tmp_path
):
    """A workdir trained by an older retrieval model retrains it, and so the candidates."""
    from tscac_tf import retrieval

    before = _main_job_fingerprints(tmp_path)
    monkeypatch.setattr(retrieval, "MODEL_VERSION", retrieval.MODEL_VERSION + 1)
    after = _main_job_fingerprints(tmp_path)
    unchanged = {name for name in before if before[name] == after[name]}
    assert unchanged == {"generate", "preprocess"}


def test_a_new_report_version_reevaluates_without_retraining(monkeypatch, tmp_path):
    """A workdir evaluated by older code writes the new report; the agents are kept."""
    from tscac_tf import evaluation

    before = _main_job_fingerprints(tmp_path)
    monkeypatch.setattr(evaluation, "REPORT_VERSION", evaluation.REPORT_VERSION + 1)
    after = _main_job_fingerprints(tmp_path)
    changed = {name for name in before if before[name] != after[name]}
    assert changed == {"evaluate", "push"}


@pytest.mark.parametrize(
    "component, kept",
    [
        ("train", {"generate", "preprocess", "retrieval", "candidates", "behavior", "baselines"}),
        ("baselines", {"generate", "preprocess", "retrieval", "candidates", "behavior", "train",
                       "export"}),
        ("behavior", {"generate", "preprocess", "retrieval", "candidates"}),
        ("evaluate", {"generate", "preprocess", "retrieval", "candidates", "behavior", "train",
                      "baselines", "export"}),
        ("generate", set()),
    ],
)  # fmt: skip
def test_a_component_whose_preset_changed_runs_again_with_what_follows_it(
    monkeypatch, tmp_path, component, kept
):
    """A workdir from a preset of the same name but other contents is not reused."""
    from tscac_tf.pipeline import tscac_pipeline

    before = _main_job_fingerprints(tmp_path)
    digests = dict(tscac_pipeline.preset_digests("default"), **{component: "changed"})
    monkeypatch.setattr(tscac_pipeline, "preset_digests", lambda preset: digests)
    after = _main_job_fingerprints(tmp_path)
    assert {name for name in before if before[name] == after[name]} == kept


@pytest.mark.parametrize(
    "seconds, shown",
    [(42.4, "42s"), (60, "1m00s"), (3599, "59m59s"), (3600, "1h00m"), (100_000, "27h46m")],
)
def test_durations_read_in_seconds_minutes_or_hours(seconds, shown):
    assert runner_lib._duration(seconds) == shown


def test_each_output_records_the_machine_that_made_it(tmp_path, raw):
    runner = runner_lib.PipelineRunner(str(tmp_path / "work"), log=io.StringIO())
    done = runner.run(_pipeline(Calls(), raw))
    recorded = runner_lib.read_metadata(done["train"].output_dir)["machine"]
    assert recorded == machine_lib.machine()
    assert recorded["cpus"] == os.cpu_count() and recorded["cpu"]


def test_the_machine_names_its_cpu_and_whether_it_has_avx512(tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(
        "processor\t: 0\nmodel name\t: Example Xeon\nflags\t\t: fpu sse avx2 avx512f avx512bw\n\n"
        "processor\t: 1\nmodel name\t: Example Xeon\nflags\t\t: fpu sse avx2 avx512f avx512bw\n"
    )
    assert machine_lib.machine(str(cpuinfo))["cpu"] == "Example Xeon"
    assert machine_lib.machine(str(cpuinfo))["avx512"] is True
    cpuinfo.write_text("model name\t: Example EPYC\nflags\t\t: fpu sse avx2 fma\n")
    assert machine_lib.machine(str(cpuinfo))["avx512"] is False
    unknown = machine_lib.machine(str(tmp_path / "missing"))
    assert unknown["avx512"] is None and unknown["cpus"] == os.cpu_count()


def test_the_machine_is_described_in_one_line():
    line = machine_lib.describe(
        {"cpu": "Example EPYC", "cpus": 2, "avx512": False, "platform": "Linux"}
    )
    assert line == "Example EPYC, 2 cores, no AVX-512 (Linux)"
