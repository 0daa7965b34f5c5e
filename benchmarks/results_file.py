"""The one way benchmark scripts write their results file (benchmarks/results/*.json)."""

from __future__ import annotations

import json
import os

from tscac_tf.machine import machine


def write(path: str, payload, **dump_options) -> None:
    """Writes payload as JSON to path (indent 1 unless told), creating its directory."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        json.dump(payload, f, **{"indent": 1, **dump_options})
    print(f"wrote {path}")


def finish(path: str, result: dict) -> dict:
    """Adds the machine (CPU, cores, AVX-512, load average now), prints the summary, writes
    the file."""
    result["machine"] = {**machine(), "load_average": list(os.getloadavg())}
    print(json.dumps(result.get("summary", result), indent=1))
    write(path, result)
    return result
