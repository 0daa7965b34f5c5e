"""Tests of the Pareto (min-norm gradient) baseline on the fake log."""

import tscac_tf  # noqa: F401  (first: pins Keras 2 before TensorFlow loads)

# isort: split

import dataclasses

import numpy as np
import pytest

from tscac_tf.agents.baselines import training
from tscac_tf.testing.agent_steps import train_steps


@pytest.mark.parametrize("gradient_space", ["logits", "parameters"])
def test_pareto_weights_are_on_the_simplex_and_the_actor_learns(
    gradient_space, lookup, weakly_anchored, behavior, unbiased_dataset, match_mass
):
    pareto = dataclasses.replace(weakly_anchored.pareto, gradient_space=gradient_space)
    config = dataclasses.replace(weakly_anchored, pareto=pareto)
    agent = training.build_baseline("pareto", lookup, behavior, config)
    names = [r.name for r in weakly_anchored.tscac.responses]
    assert list(agent.channels) == names
    before = match_mass(agent.actor_network)
    infos = train_steps(agent, unbiased_dataset, 160)
    assert match_mass(agent.actor_network) > before + 0.03
    for info in infos[-5:]:
        alpha = np.asarray([info.extra["pareto_weight"][n] for n in names])
        assert alpha.min() >= 0.0 and alpha.sum() == pytest.approx(1.0, abs=1e-5)
        assert np.isfinite(info.loss)
