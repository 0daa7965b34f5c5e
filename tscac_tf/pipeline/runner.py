"""Runs components in order with caching, metadata, lineage and resume.

Layout under the workdir, per component:

  WORKDIR/<component>/<run>/            the output artifact (complete, never partial)
  WORKDIR/<component>/<run>/_metadata.json
  WORKDIR/<component>/<run>.partial/    work in progress (renamed into place on success)
  WORKDIR/<component>/<run>.failed.json the error of the last failed attempt

`<run>` is the first 16 hex digits of the fingerprint: a hash of the component's
parameters and of its inputs (an upstream component's fingerprint, or an external
directory's file names, sizes and modification times). Unchanged inputs therefore give
the same run id, and the runner reuses the output instead of recomputing it; a run that
failed part-way resumes at the failed component, because every earlier one is complete
on disk.
"""

from __future__ import annotations

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
    """

    def __init__(self, workdir: str, force: Sequence[str] = (), log: TextIO | None = None):
        self.workdir = os.path.abspath(workdir)
        self.force = set(force)
        self.log = log or sys.stderr

    def run(self, components: Sequence[Component]) -> dict[str, ComponentResult]:
        names = [c.name for c in components]
        if len(set(names)) != len(names):
            raise ValueError(f"component names must be unique, got {names}")
        fingerprints: dict[str, str] = {}
        results: dict[str, ComponentResult] = {}
        started = time.monotonic()
        for i, component in enumerate(components):
            missing = [up for up in component.upstream.values() if up not in results]
            if missing:
                raise ValueError(
                    f"component {component.name!r} reads {missing}, which do not run before it"
                )
            fingerprints[component.name] = _fingerprint(component, fingerprints)
            eta = sum(self._expected_seconds(c) for c in components[i:])
            self._say(
                f"[{i + 1}/{len(components)}] {component.name}: starting (ETA for the rest {_duration(eta)})"
            )
            result = self._run_one(component, fingerprints[component.name], results)
            results[component.name] = result
            how = (
                "reused cached output" if result.cached else f"done in {_duration(result.seconds)}"
            )
            self._say(f"[{i + 1}/{len(components)}] {component.name}: {how} -> {result.output_dir}")
        self._say(f"pipeline finished in {_duration(time.monotonic() - started)}")
        return results

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
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"
