"""Tests for the presets' digests, which key the main job's cache on what a preset holds."""

import dataclasses

import pytest

from tscac_tf.agents.tscac import config as tscac_config
from tscac_tf.pipeline import preset_digests, tscac_pipeline
from tscac_tf.specs import responses as registry


def _with_small(monkeypatch, change):
    """Replaces the small TSCAC preset by `change(the original)`."""
    original = tscac_config._PRESETS["small"]
    monkeypatch.setitem(tscac_config._PRESETS, "small", lambda: change(original()))


def _changed(before: dict, after: dict) -> set[str]:
    return {name for name in before if before[name] != after[name]}


def test_the_orchestrators_child_process_computes_the_same_digests():
    """The digests cross processes unchanged (nothing in them depends on the process)."""
    in_process = preset_digests.digests("small")
    assert set(in_process) == set(preset_digests.COMPONENTS)
    assert tscac_pipeline.preset_digests("small") == in_process
    assert preset_digests.digests("default") != in_process


@pytest.mark.parametrize(
    "stage, changed",
    [
        # The baselines' actor-critic takes stage two's step count (baselines.config.preset).
        ("stage_two", {"train", "baselines"}),
        # π_β's settings reach everything built on it.
        ("behavior", {"behavior", "train", "baselines"}),
    ],
)
def test_a_stages_step_count_retrains_what_uses_it(monkeypatch, stage, changed):
    before = preset_digests.digests("small")

    def more_steps(c):
        settings = getattr(c, stage)
        return dataclasses.replace(
            c, **{stage: dataclasses.replace(settings, num_steps=settings.num_steps + 1)}
        )

    _with_small(monkeypatch, more_steps)
    assert _changed(before, preset_digests.digests("small")) == changed


def test_a_penalty_retrains_tscac_and_the_baselines_but_keeps_the_behaviour_policy(
    monkeypatch,
):
    before = preset_digests.digests("small")
    raised = tuple(
        dataclasses.replace(spec, lagrange=spec.lagrange + 0.5)
        if spec.role == "auxiliary"
        else spec
        for spec in registry.RESPONSES
    )
    monkeypatch.setattr(registry, "RESPONSES", raised)
    assert _changed(before, preset_digests.digests("small")) == {"train", "baselines"}


def test_an_unknown_preset_or_value_is_refused():
    with pytest.raises(KeyError, match="unknown preset"):
        preset_digests.digests("huge")
    with pytest.raises(TypeError, match="cannot digest a object"):
        preset_digests.digest({"x": object()})
    assert preset_digests.main(["huge"]) == 2
