"""The main job as components: logs -> examples -> retrieval -> candidates -> agents -> judge -> push.

    generate     synthetic world + KuaiRand-format logs (only without --data-dir)
    preprocess   Beam ExampleGen: session TFRecords, vocabularies, statistics, dead letters
    retrieval    TFRS two-tower model, BruteForce index, recall/NDCG vs popularity
    candidates   Beam RunInference: top-K candidates attached to every logged step
    behavior     the behaviour model π_β (BC) and its `rank` export
    train        TSCAC stage one, stage two (from π_β), `rank` export
    baselines    BC, actor-critic and constrained baselines (from π_β), each with a `rank`
                 export; runs while `train` runs
    evaluate     ground truth (synthetic world) and NCIS, or NCIS alone (real logs); oracle
                 frontier; the served path (the policies on our retrieval's candidates);
                 report; blessing
    export       the served model: `rank`, `recommend`, `recommend_excluding` (TF Serving)
    push         copy the export into WORKDIR/serving/tscac/<version> if blessed

Every component runs its `tscac` subcommand in a child process (what an orchestrator
would run as separate steps), reading its inputs' directories and writing only its own.
With `RunConfig.max_parallel` > 1 the runner starts a component as soon as its inputs
are done; `train` and `baselines` then share the cores, as single-threaded processes
(on a CPU two of those do ~1.5x the work of one process using both cores; see
agents/baselines/workers.py). Thread counts are not parameters: they change how fast the
outputs come, not what they are, so they do not invalidate the cache. What a preset holds
(step counts, penalties, sizes) is: each component's parameters carry a digest of the
configuration its subcommand builds from the preset (pipeline/preset_digests.py).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping

from tscac_tf import evaluation, retrieval
from tscac_tf.features import feature_tables
from tscac_tf.pipeline.component import Component

PRESETS = ("small", "default", "pure")
# First-run ETA guesses per preset (seconds), replaced by measured times after one run.
# The pure preset's are measured on a 2-core CPU on KuaiRand-Pure-size logs (session 18,
# RESULTS.md, "KuaiRand-Pure size"): its 100,000 steps a stage and a baseline take more than
# a day there (stage one 1.3 steps/s beside the baselines' workers, each at 5-6 steps/s);
# evaluate was not reached and is a guess.
_ESTIMATES = {
    "small": {"generate": 10, "preprocess": 40, "retrieval": 60, "candidates": 45, "behavior": 20,
              "train": 90, "baselines": 150, "evaluate": 60, "export": 20, "push": 1},
    "default": {"generate": 20, "preprocess": 40, "retrieval": 70, "candidates": 180, "behavior": 60,
                "train": 450, "baselines": 550, "evaluate": 140, "export": 10, "push": 1},
    "pure": {"generate": 100, "preprocess": 90, "retrieval": 300, "candidates": 700, "behavior": 1000,
             "train": 100_000, "baselines": 45_000, "evaluate": 1800, "export": 30, "push": 1},
}  # fmt: skip


@dataclasses.dataclass(frozen=True)
class RunConfig:
    """What `tscac run` runs.

    Attributes:
      preset: small | default | pure, passed to every component.
      data_dir: a KuaiRand-format directory; None generates the synthetic world.
      seed: the world seed (with no data_dir).
      beam_args: extra Beam flags for the Beam components (e.g. a runner).
      with_baselines: train and evaluate the baselines (needed for the full report).
      max_parallel: components run at once when their inputs are ready (1: one by one).
    """

    preset: str = "default"
    data_dir: str | None = None
    seed: int = 0
    beam_args: tuple[str, ...] = ()
    with_baselines: bool = True
    max_parallel: int = 2

    def __post_init__(self):
        if self.max_parallel < 1:
            raise ValueError(f"max_parallel must be >= 1, got {self.max_parallel}")
        if self.preset not in PRESETS:
            raise ValueError(f"preset must be one of {PRESETS}, got {self.preset!r}")
        if self.data_dir is not None and not os.path.isdir(self.data_dir):
            raise FileNotFoundError(f"--data-dir {self.data_dir} is not a directory")


LOG_FILE = "_component.log"


def _cli(argv: list[str], out: str) -> None:
    """Runs `tscac ARGV` in a child process, its output in OUT/_component.log.

    A child process per component keeps components as isolated as an orchestrator would
    run them (Beam registers every PipelineOptions subclass's flags process-wide, so two
    pipelines' options must not meet in one process) and frees each step's memory.
    """
    env = dict(os.environ, TF_USE_LEGACY_KERAS="1")
    log_path = os.path.join(out, LOG_FILE)
    with open(log_path, "a") as log:
        status = subprocess.run(
            [sys.executable, "-m", "tscac_tf.cli", *argv],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        ).returncode
    if status:
        with open(log_path) as f:
            tail = "".join(f.readlines()[-15:])
        raise RuntimeError(
            f"`tscac {' '.join(argv)}` exited with status {status}; last lines of {log_path}:\n{tail}"
        )


@functools.cache
def preset_digests(preset: str) -> dict[str, str]:
    """{component: digest of the configuration its subcommand builds from `preset`}.

    Part of each component's parameters, so that a workdir whose agents were trained with
    an older preset of the same name (other step counts, penalties, sizes) trains again.
    Computed in a child process: the configurations import TensorFlow, this process does
    not (pipeline/preset_digests.py).
    """
    env = dict(os.environ, TF_USE_LEGACY_KERAS="1")
    done = subprocess.run(
        [sys.executable, "-m", "tscac_tf.pipeline.preset_digests", preset],
        capture_output=True,
        text=True,
        env=env,
    )
    if done.returncode:
        raise RuntimeError(f"reading preset {preset!r} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _read_json(path: str) -> dict:
    with open(path) as f:
        return json.load(f)


def _generate(inputs, out, params):
    argv = ["generate", "--out", out, "--preset", params["preset"], "--seed", str(params["seed"])]
    _cli([*argv, "--no-progress"], out)
    return {"files": sorted(os.listdir(out))}


def _preprocess(inputs, out, params):
    _cli(["preprocess", "--data-dir", inputs["logs"], "--out", out, *params["beam_args"]], out)
    summary = os.path.join(out, "run_summary.json")
    return _read_json(summary) if os.path.exists(summary) else {}


def _retrieval(inputs, out, params):
    data = ["--data-dir", inputs["examples"], "--model-dir", out]
    _cli(["retrieval", "train", *data, "--preset", params["preset"]], out)
    _cli(["retrieval", "evaluate", *data], out)
    metrics = os.path.join(out, "evaluation_metrics.json")
    return _read_json(metrics) if os.path.exists(metrics) else {}


def _candidates(inputs, out, params):
    data = ["--data-dir", inputs["examples"], "--model-dir", inputs["retrieval"]]
    seen = "--exclude-seen" if params["exclude_seen"] else "--no-exclude-seen"
    _cli(["retrieval", "candidates", *data, "--output-dir", out, seen, *params["beam_args"]], out)
    return {}


def _behavior(inputs, out, params):
    argv = ["train", "--data", inputs["candidates"], "--out", out, "--preset", params["preset"]]
    _cli([*argv, "--behavior-only"], out)
    path = os.path.join(out, "train_summary.json")
    summary = _read_json(path) if os.path.exists(path) else {}
    heldout = summary.get("behavior_heldout")
    if not heldout:
        return {}
    stage = summary["stages"]["behavior"]
    training = {k: stage.get(k) for k in ("steps", "stopped_early_at", "heldout_curve")}
    return {"behavior_heldout": heldout, "behavior_training": training}


def _train(inputs, out, params, threads: int | None = None):
    # π_β's checkpoints first: `tscac train` resumes past the finished behaviour stage.
    # (On a resumed attempt the copy is already there, with the same checkpoint.)
    shutil.copytree(
        os.path.join(inputs["behavior"], "behavior"),
        os.path.join(out, "behavior"),
        dirs_exist_ok=True,
    )
    argv = ["train", "--data", inputs["candidates"], "--out", out, "--preset", params["preset"]]
    _cli([*argv, *(["--threads", str(threads)] if threads else [])], out)
    return {}


def _baselines(inputs, out, params, workers: int = 1, threads: int | None = None):
    data = ["--data", inputs["candidates"], "--tscac-dir", inputs["behavior"]]
    parallel = ["--workers", str(workers), *(["--threads", str(threads)] if threads else [])]
    _cli(["baselines", *data, "--out", out, "--preset", params["preset"], *parallel], out)
    return {}


def _thread_plan(config: RunConfig) -> dict:
    """How `train` and `baselines` share the cores (see the module docstring).

    One process per core, one thread each: the baselines' workers, plus `train` when it
    runs beside them. One by one (max_parallel 1), `train` keeps TensorFlow's default.
    """
    from tscac_tf.agents.baselines.workers import RELATIVE_COST  # (no TensorFlow import)

    cores = os.cpu_count() or 1
    workers = min(cores, len(RELATIVE_COST))
    beside = config.max_parallel > 1 and config.with_baselines
    return {
        "train_threads": max(1, cores // (workers + 1)) if beside else None,
        "baseline_workers": workers,
        "baseline_threads": max(1, cores // workers),
    }


def policy_exports(train_dir: str, baselines_dir: str | None) -> dict[str, str]:
    """{policy name: rank export dir} of TSCAC and of every exported baseline."""
    exports = {"tscac": os.path.join(train_dir, "export", "rank")}
    if baselines_dir and os.path.isdir(baselines_dir):
        for name in sorted(os.listdir(baselines_dir)):
            path = os.path.join(baselines_dir, name, "export", "rank")
            if os.path.exists(os.path.join(path, "saved_model.pb")):
                exports[name] = path
    if "bc" not in exports:  # without baselines, BC is the behaviour model `tscac train` exports
        exports["bc"] = os.path.join(train_dir, "export", "behavior")
    return exports


def _evaluate(inputs, out, params):
    from tscac_tf.retrieval import model_dir

    exports = policy_exports(inputs["train"], inputs.get("baselines"))
    argv = ["evaluate", "--data", inputs["candidates"], "--out", out, "--preset", params["preset"],
            "--train-dir", inputs["train"]]  # fmt: skip
    if "world" in inputs:  # synthetic logs: ground truth; real logs: NCIS alone
        argv += ["--world", inputs["world"]]
        # and the served path: the policies on our retrieval index's candidates
        argv += ["--retrieval-index", model_dir.index_path(inputs["retrieval"])]
    for name, path in exports.items():
        argv += ["--policy", f"{name}={path}"]
    _cli(argv, out)
    report = _read_json(os.path.join(out, "report.json"))
    tscac = report["policies"]["tscac"]
    blessing = {"blessed": tscac["blessed"], "reasons": tscac["not_blessed_because"]}
    with open(os.path.join(out, "blessing.json"), "w") as f:
        json.dump(blessing, f, indent=1)
    return blessing


def _export(inputs, out, params):
    from tscac_tf.agents.tscac.tscac_training import infer_num_candidates
    from tscac_tf.export import serving_export
    from tscac_tf.retrieval import model_dir

    path = serving_export.export_serving_model(
        os.path.join(inputs["train"], "export", "rank"),
        model_dir.index_path(inputs["retrieval"]),
        out,
        num_candidates=infer_num_candidates(inputs["candidates"]),
        history_length=20,
        version=1,
    )
    return {"saved_model": os.path.relpath(path, out)}


def push(export_base: str, blessing: Mapping, serving_base: str) -> dict:
    """Copies the export's version into serving_base/tscac/<next version> if blessed."""
    from tscac_tf.export import serving_layout

    if not blessing["blessed"]:
        return {"pushed": False, "reasons": blessing["reasons"]}
    source = serving_layout.resolve_saved_model_dir(export_base)
    final = serving_layout.publish_version(lambda d: shutil.copytree(source, d), serving_base)
    return {"pushed": True, "version_dir": final}


def _push(inputs, out, params):
    blessing = _read_json(os.path.join(inputs["evaluation"], "blessing.json"))
    result = push(inputs["export"], blessing, params["serving_base"])
    with open(os.path.join(out, "push.json"), "w") as f:
        json.dump(result, f, indent=1)
    return result


def components(config: RunConfig, workdir: str) -> list[Component]:
    """The main job's components in order (see the module docstring)."""
    est = _ESTIMATES[config.preset]
    plan = _thread_plan(config)
    digests = preset_digests(config.preset)

    def preset(name: str) -> dict:
        return {"preset": config.preset, "config": digests[name]}

    out = []
    if config.data_dir is None:
        out.append(
            Component(
                "generate",
                _generate,
                params={**preset("generate"), "seed": config.seed},
                estimated_seconds=est["generate"],
            )
        )
        logs = {"upstream": {"logs": "generate"}}
    else:
        logs = {"external_inputs": {"logs": os.path.abspath(config.data_dir)}}
    beam = {"beam_args": list(config.beam_args)}
    out += [
        # The tables' version is a parameter so that a workdir from older code recomputes.
        Component("preprocess", _preprocess, params={**beam, "feature_tables_version": feature_tables.VERSION},
                  estimated_seconds=est["preprocess"], **logs),
        # Likewise the retrieval model's version: a new model means new candidates downstream.
        Component("retrieval", _retrieval, upstream={"examples": "preprocess"},
                  params={**preset("retrieval"), "model_version": retrieval.MODEL_VERSION}, estimated_seconds=est["retrieval"]),
        Component("candidates", _candidates, upstream={"examples": "preprocess", "retrieval": "retrieval"},
                  params={**beam, "exclude_seen": True}, estimated_seconds=est["candidates"]),
        Component("behavior", _behavior, upstream={"candidates": "candidates"}, params=preset("behavior"),
                  estimated_seconds=est["behavior"], resumable=True),
        Component("train", functools.partial(_train, threads=plan["train_threads"]),
                  upstream={"candidates": "candidates", "behavior": "behavior"}, params=preset("train"),
                  estimated_seconds=est["train"], resumable=True),
    ]  # fmt: skip
    evaluate_inputs = {"train": "train", "candidates": "candidates"}
    if config.with_baselines:
        baselines = functools.partial(
            _baselines, workers=plan["baseline_workers"], threads=plan["baseline_threads"]
        )
        out.append(Component("baselines", baselines, upstream={"candidates": "candidates", "behavior": "behavior"},
                             params=preset("baselines"), estimated_seconds=est["baselines"], resumable=True))  # fmt: skip
        evaluate_inputs["baselines"] = "baselines"
    if config.data_dir is None:
        evaluate_inputs["world"] = "generate"
        evaluate_inputs["retrieval"] = "retrieval"
    # And the report's version: new figures in the report mean a new evaluation, not a new agent.
    out.append(
        Component(
            "evaluate",
            _evaluate,
            upstream=evaluate_inputs,
            params={**preset("evaluate"), "report_version": evaluation.REPORT_VERSION},
            estimated_seconds=est["evaluate"],
        )
    )
    out.append(
        Component("export", _export, upstream={"train": "train", "retrieval": "retrieval", "candidates": "candidates"},
                  estimated_seconds=est["export"])
    )  # fmt: skip
    serving_base = os.path.join(os.path.abspath(workdir), "serving")
    out.append(Component("push", _push, upstream={"evaluation": "evaluate", "export": "export"},
                         params={"serving_base": serving_base}, estimated_seconds=est["push"]))  # fmt: skip
    return out
