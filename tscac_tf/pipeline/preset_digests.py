"""What each main-job component's preset contains, as digests for the pipeline's cache keys.

A component's cache key holds its parameters (pipeline/runner.py). The preset's name alone
would let a workdir trained with an older preset (other step counts, penalties, network
sizes) be reused by code whose preset of the same name says otherwise. So the main job's
components carry a digest of the configuration that their `tscac` subcommand builds from
the preset, the same way that subcommand builds it (`cli/train.build_config` and friends
with no overrides).

The configurations import TensorFlow (through the session schema), which the pipeline's
orchestrator does not, so `tscac_pipeline` asks a child process for them:

    python -m tscac_tf.pipeline.preset_digests default
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import sys

import tscac_tf  # noqa: F401  (sets TF_USE_LEGACY_KERAS before TensorFlow is imported)

# The components whose subcommands read the preset, and so carry its digest.
COMPONENTS = ("generate", "retrieval", "behavior", "train", "baselines", "evaluate")


def _jsonable(value):
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict) or hasattr(value, "items"):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"cannot digest a {type(value).__name__} in a preset: {value!r}")


def digest(config) -> str:
    """A short hex digest of a (nested) config dataclass's field values."""
    text = json.dumps(_jsonable(config), sort_keys=True, allow_nan=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def configs(preset: str) -> dict:
    """{component: the configuration its subcommand builds from `preset`}."""
    from tscac_tf.agents.baselines import config as baselines_config
    from tscac_tf.agents.tscac import config as tscac_config
    from tscac_tf.evaluation import evaluate
    from tscac_tf.retrieval import config as retrieval_config
    from tscac_tf.simulator.world_config import WorldConfig

    tscac = tscac_config.preset(preset)
    # `tscac train --behavior-only` trains π_β alone: the stages' settings and the γ/λ of
    # the responses do not reach it (π_β's network is built first, so its initialisation
    # does not depend on the others'), and a change to them keeps the trained π_β.
    behavior = {
        field.name: getattr(tscac, field.name)
        for field in dataclasses.fields(tscac)
        if field.name not in ("responses", "stage_one", "stage_two")
    }
    return {
        # The seed is the generate component's own parameter; the world's preset is the rest.
        "generate": dataclasses.replace(WorldConfig.preset(preset), seed=0),
        "retrieval": retrieval_config.preset(preset),
        "behavior": behavior,
        "train": tscac,
        "baselines": baselines_config.preset(preset),
        "evaluate": evaluate.preset(preset),
    }


def digests(preset: str) -> dict[str, str]:
    """{component: digest of its configuration} for `preset`."""
    return {name: digest(config) for name, config in configs(preset).items()}


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m tscac_tf.pipeline.preset_digests PRESET", file=sys.stderr)
        return 2
    try:
        found = digests(argv[0])
    except KeyError as e:
        print(f"preset_digests: {e}", file=sys.stderr)
        return 2
    print(json.dumps(found, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
