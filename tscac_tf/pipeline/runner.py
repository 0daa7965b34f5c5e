"""Runs components in order with caching, metadata, lineage and resume.

Layout under the workdir, per component:

  WORKDIR/<component>/<run>/            the output artifact (complete, never partial)
  WORKDIR/<component>/<run>/_metadata.json
  WORKDIR/<component>/<run>.partial/    work in progress (renamed into place on success;
                                        kept after a failure for a `resumable` component)
  WORKDIR/<component>/<run>.failed.json the error of the last failed attempt

`<run>` is the first 16 hex digits of the fingerprint: a hash of the component's
parameters and of its inputs (an upstream component's fingerprint, or an external
directory's file names, sizes and modification times). Unchanged inputs therefore give
the same run id, and the runner reuses the output instead of recomputing it; a run that
failed part-way resumes at the failed component, because every earlier one is complete
on disk. A `resumable` component (the training steps) is rerun on top of what its failed
attempt left in `<run>.partial`, so training continues from its last checkpoint; any other
component starts again from an empty directory.

With `max_parallel` > 1, a component starts as soon as all its upstream components are
done, up to that many at once (as an orchestrator runs a DAG); when one fails, no new
one starts, the running ones finish, and the first failure is raised.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import hashlib
import json
import os
import shutil
import sys
import time
import traceback
from collections.abc import Mapping, Sequence
from typing import Any, TextIO

from tscac_tf.machine import machine
from tscac_tf.pipeline.component import Component

METADATA_FILE = "_metadata.json"


@dataclasses.dataclass(frozen=True)
class ComponentResult:
    """What one component produced: where, whether cached, its metrics and timing."""

    name: str
    run_id: str
    output_dir: str
    cached: bool
    seconds: float
    metrics: Mapping[str, Any]


class PipelineError(RuntimeError):
    """A component failed; the message names it and where its error was recorded."""


def fingerprint_directory(path: str) -> str:
    """Hash of relative file names, sizes and mtimes under `path` (content is not read)."""
    if not os.path.exists(path):
        raise FileNotFoundError(f"pipeline input {path} does not exist")
    digest = hashlib.sha256()
    for root, dirs, files in os.walk(path):
        dirs.sort()
        for name in sorted(files):
            full = os.path.join(root, name)
            stat = os.stat(full)
            digest.update(
                f"{os.path.relpath(full, path)}|{stat.st_size}|{stat.st_mtime_ns}\n".encode()
            )
    return digest.hexdigest()


def _fingerprint(component: Component, upstream_fingerprints: Mapping[str, str]) -> str:
    payload = {
        "component": component.name,
        "params": component.params,
        "upstream": {k: upstream_fingerprints[v] for k, v in sorted(component.upstream.items())},
        "external": {
            k: fingerprint_directory(p) for k, p in sorted(component.external_inputs.items())
        },
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def read_metadata(output_dir: str) -> dict[str, Any]:
    """The metadata a completed component wrote; FileNotFoundError when it never completed."""
    with open(os.path.join(output_dir, METADATA_FILE)) as f:
        return json.load(f)


class PipelineRunner:
    """Runs a sequence of components against one workdir.

    Args:
      workdir: root of all component outputs.
      force: component names to rerun even when a cached output exists.
      log: where progress lines go (stderr by default).
      max_parallel: components run at once, each as soon as its upstream ones are done.
    """

    def __init__(
        self,
        workdir: str,
        force: Sequence[str] = (),
        log: TextIO | None = None,
        max_parallel: int = 1,
    ):
        if max_parallel < 1:
            raise ValueError(f"max_parallel must be >= 1, got {max_parallel}")
        self.workdir = os.path.abspath(workdir)
        self.force = set(force)
        self.log = log or sys.stderr
        self.max_parallel = max_parallel

    def run(self, components: Sequence[Component]) -> dict[str, ComponentResult]:
        names = [c.name for c in components]
        if len(set(names)) != len(names):
            raise ValueError(f"component names must be unique, got {names}")
        fingerprints: dict[str, str] = {}
        for component in components:
            missing = [up for up in component.upstream.values() if up not in fingerprints]
            if missing:
                raise ValueError(
                    f"component {component.name!r} reads {missing}, which do not run before it"
                )
            fingerprints[component.name] = _fingerprint(component, fingerprints)
        index = {name: i + 1 for i, name in enumerate(names)}
        results: dict[str, ComponentResult] = {}
        pending = list(components)
        running: dict[concurrent.futures.Future, Component] = {}
        since: dict[str, float] = {}  # when each component started
        failure: BaseException | None = None
        started = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(self.max_parallel) as pool:
            while pending or running:
                ready = [c for c in pending if all(u in results for u in c.upstream.values())]
                for component in ready[: self.max_parallel - len(running)] if not failure else []:
                    pending.remove(component)
                    left = sorted(
                        [*running.values(), *pending, component], key=lambda c: index[c.name]
                    )
                    now = time.monotonic()
                    elapsed = {c.name: now - since[c.name] for c in running.values()}
                    eta = self._eta(left, results, elapsed)
                    self._say(f"[{index[component.name]}/{len(names)}] {component.name}: "
                              f"starting (ETA for the rest {_duration(eta)})")  # fmt: skip
                    future = pool.submit(
                        self._run_one, component, fingerprints[component.name], dict(results)
                    )
                    running[future] = component
                    since[component.name] = time.monotonic()
                if not running:
                    break  # a failure stopped the rest
                done, _ = concurrent.futures.wait(
                    running, return_when=concurrent.futures.FIRST_COMPLETED
                )
                for future in done:
                    component = running.pop(future)
                    if future.exception() is not None:
                        failure = failure or future.exception()
                        continue
                    result = results[component.name] = future.result()
                    how = (
                        "reused cached output"
                        if result.cached
                        else f"done in {_duration(result.seconds)}"
                    )
                    self._say(f"[{index[component.name]}/{len(names)}] {component.name}: {how} -> "
                              f"{result.output_dir}")  # fmt: skip
        if failure is not None:
            raise failure
        self._say(f"pipeline finished in {_duration(time.monotonic() - started)}")
        return results

    def _eta(
        self,
        remaining: Sequence[Component],
        results: Mapping[str, ComponentResult],
        elapsed: Mapping[str, float] | None = None,
    ) -> float:
        """Seconds until the last of `remaining` ends: their sum when run one at a time,
        else the longest chain of expected durations through them (the critical path).
        `elapsed`: seconds the running ones have already run."""
        elapsed = elapsed or {}
        expected = {
            c.name: max(0.0, self._expected_seconds(c) - elapsed.get(c.name, 0.0))
            for c in remaining
        }
        if self.max_parallel == 1:
            return sum(expected.values())
        finish: dict[str, float] = {}
        for component in remaining:  # in pipeline order: upstream first
            before = [finish.get(u, 0.0) for u in component.upstream.values() if u not in results]
            finish[component.name] = expected[component.name] + max(before, default=0.0)
        return max(finish.values(), default=0.0)

    def _run_one(
        self, component: Component, fp: str, results: Mapping[str, ComponentResult]
    ) -> ComponentResult:
        run_id = fp[:16]
        base = os.path.join(self.workdir, component.name)
        output_dir = os.path.join(base, run_id)
        if (
            os.path.exists(os.path.join(output_dir, METADATA_FILE))
            and component.name not in self.force
        ):
            meta = read_metadata(output_dir)
            return ComponentResult(
                component.name, run_id, output_dir, True, 0.0, meta.get("metrics", {})
            )
        partial = output_dir + ".partial"
        if component.resumable and os.path.isdir(partial):
            self._say(f"  {component.name}: resuming from {partial}")
        else:
            shutil.rmtree(partial, ignore_errors=True)
            os.makedirs(partial)
        inputs = {k: results[v].output_dir for k, v in component.upstream.items()}
        inputs.update(component.external_inputs)
        start = time.monotonic()
        try:
            metrics = dict(component.executor(inputs, partial, component.params) or {})
        except Exception as exc:  # noqa: BLE001 - recorded, then re-raised as PipelineError
            failed = output_dir + ".failed.json"
            with open(failed, "w") as f:
                json.dump({"error": repr(exc), "traceback": traceback.format_exc()}, f, indent=1)
            raise PipelineError(
                f"component {component.name!r} failed: {exc!r} (details in {failed}); "
                "rerun the same command to resume from this component"
            ) from exc
        seconds = time.monotonic() - start
        metadata = {
            "component": component.name,
            "run_id": run_id,
            "fingerprint": fp,
            "params": component.params,
            "inputs": {
                **{k: {"component": v, "run_id": results[v].run_id, "uri": results[v].output_dir}
                   for k, v in component.upstream.items()},
                **{k: {"external": p} for k, p in component.external_inputs.items()},
            },
            "metrics": metrics,
            "seconds": seconds,
            "machine": machine(),
            "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }  # fmt: skip
        with open(os.path.join(partial, METADATA_FILE), "w") as f:
            json.dump(metadata, f, indent=1, sort_keys=True, default=str)
        shutil.rmtree(output_dir, ignore_errors=True)
        os.rename(partial, output_dir)
        if os.path.exists(output_dir + ".failed.json"):
            os.remove(output_dir + ".failed.json")
        return ComponentResult(component.name, run_id, output_dir, False, seconds, metrics)

    def _expected_seconds(self, component: Component) -> float:
        """The last recorded duration of this component in this workdir, else its estimate."""
        base = os.path.join(self.workdir, component.name)
        best = None
        if os.path.isdir(base):
            for run in os.listdir(base):
                path = os.path.join(base, run, METADATA_FILE)
                if os.path.exists(path):
                    mtime = os.path.getmtime(path)
                    if best is None or mtime > best[0]:
                        best = (mtime, read_metadata(os.path.join(base, run)).get("seconds"))
        return float(best[1]) if best and best[1] is not None else component.estimated_seconds

    def _say(self, line: str) -> None:
        print(line, file=self.log, flush=True)


def lineage(workdir: str) -> list[dict[str, Any]]:
    """Every completed component output in the workdir with its inputs, newest first."""
    out = []
    for name in sorted(os.listdir(workdir)) if os.path.isdir(workdir) else []:
        base = os.path.join(workdir, name)
        if not os.path.isdir(base):
            continue
        for run in os.listdir(base):
            if os.path.exists(os.path.join(base, run, METADATA_FILE)):
                out.append(read_metadata(os.path.join(base, run)))
    return sorted(out, key=lambda m: m.get("finished_at", ""), reverse=True)


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"
