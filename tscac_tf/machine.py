"""Which machine produced a result (recorded by the pipeline, the report and the benchmarks)."""

from __future__ import annotations

import os
import platform
from typing import Any


def machine(cpuinfo_path: str = "/proc/cpuinfo") -> dict[str, Any]:
    """The machine that produced an output: its CPU model, cores, AVX-512 and platform.

    TensorFlow's CPU kernels are chosen by instruction set (AVX2, AVX-512), so the same
    code on another CPU can give results that differ at the rounding level. On the default
    preset, rounding-level differences upstream have moved TSCAC's watch time against BC's
    by 20 points: RESULTS.md, All policies, session 18 (a code change) and session 21 (the
    same code on another machine, the likely cause, not confirmed). Every component's
    metadata, the evaluation report and the benchmarks' results record the machine so
    that two runs can be told apart. `avx512` is None where CPUINFO_PATH cannot be read
    (not Linux).
    """
    cpu, flags = "", None
    try:
        with open(cpuinfo_path) as f:
            for line in f:
                key, _, value = line.partition(":")
                key = key.strip()
                if key == "model name" and not cpu:
                    cpu = value.strip()
                elif key == "flags" and flags is None:
                    flags = value.split()
                if cpu and flags is not None:
                    break
    except OSError:
        pass
    return {
        "cpu": cpu or platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "avx512": None if flags is None else any(f.startswith("avx512") for f in flags),
        "platform": platform.platform(),
    }


def describe(info: dict[str, Any] | None = None) -> str:
    """One line for a report: "AMD EPYC, 2 cores, no AVX-512 (Linux-...)"."""
    info = info or machine()
    avx = {True: "AVX-512", False: "no AVX-512", None: "AVX-512 unknown"}[info["avx512"]]
    return f"{info['cpu']}, {info['cpus']} cores, {avx} ({info['platform']})"
