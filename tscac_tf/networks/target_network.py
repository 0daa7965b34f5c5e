"""Target networks: slow copies of a network for bootstrapped TD targets.

θ_target ← (1 − τ) θ_target + τ θ every `period` train steps (τ = 1: a hard copy).
The update runs through TF-Agents `common.Periodically`, which does it in a cross-replica
context (merge_call), as mirrored variables require under tf.distribute.
"""

from __future__ import annotations

from collections.abc import Callable

from tf_agents.networks import network
from tf_agents.utils import common


def make_target(source: network.Network, name: str) -> network.Network:
    """A copy of `source` with its own variables, initialised equal to the source's."""
    target = source.copy(name=name)
    source.create_variables()
    target.create_variables()
    common.soft_variables_update(source.trainable_variables, target.trainable_variables, tau=1.0)
    return target


def target_updater(
    source: network.Network, target: network.Network, tau: float, period: int
) -> Callable[[], object]:
    """A callable that performs the soft update of the target's trainable variables.

    Only trainable variables are updated: non-trainable ones (the shared feature tables)
    are the same variables in both networks.
    """
    if not 0.0 < tau <= 1.0:
        raise ValueError(f"target update tau must be in (0, 1], got {tau}")
    if period < 1:
        raise ValueError(f"target update period must be >= 1, got {period}")

    def update():
        return common.soft_variables_update(
            source.trainable_variables, target.trainable_variables, tau=tau
        )

    return common.Periodically(update, period, name=f"update_{target.name}")
