"""A pipeline component: a named step with declared inputs, parameters and one output dir.

TFX-style (ARCHITECTURE §1): every component reads the output directories of the
components it depends on (its input artifacts), writes one output directory (its output
artifact) under `WORKDIR/<component>/<run>/`, and reports a dict of metrics. The runner
(tscac_tf/pipeline/runner.py) decides from the fingerprint of parameters and inputs
whether the output can be reused, records metadata for lineage, and resumes after a
failure. Each component is also a `tscac` subcommand, so an orchestrator (Airflow,
Kubeflow) can run the same steps one by one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

# execute(inputs: {input name: directory}, output_dir, params) -> metrics
Executor = Callable[[Mapping[str, str], str, Mapping[str, Any]], Mapping[str, Any] | None]


@dataclasses.dataclass(frozen=True)
class Component:
    """One step of the pipeline.

    Attributes:
      name: unique, a valid directory name (`preprocess`, `stage_two`, ...).
      executor: does the work; writes only into `output_dir`; returns metrics (JSON-able).
      upstream: {input name: name of the component whose output it reads}.
      external_inputs: {input name: path outside the workdir} (user data); fingerprinted by
        file names, sizes and modification times.
      params: JSON-able parameters; any change invalidates the cached output.
      estimated_seconds: a first guess for the ETA before any run has been timed.
      resumable: the executor picks up what a failed attempt left in its output directory
        (training checkpoints), so the runner keeps that directory for the rerun instead of
        starting the component from scratch.
    """

    name: str
    executor: Executor
    upstream: Mapping[str, str] = dataclasses.field(default_factory=dict)
    external_inputs: Mapping[str, str] = dataclasses.field(default_factory=dict)
    params: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    estimated_seconds: float = 60.0
    resumable: bool = False

    def __post_init__(self) -> None:
        if not self.name or not self.name.replace("_", "").isalnum():
            raise ValueError(f"component name must be letters, digits and '_', got {self.name!r}")
        overlap = set(self.upstream) & set(self.external_inputs)
        if overlap:
            raise ValueError(
                f"component {self.name!r}: inputs {sorted(overlap)} are both upstream and external"
            )
