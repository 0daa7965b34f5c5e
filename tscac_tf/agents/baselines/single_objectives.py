"""The two unconstrained single-objective baselines: which reward, which γ.

watch_time_ac:   r = r_1 (watch time, seconds), γ = γ_1
interaction_ac:  r = Σ_aux r_i (click + like + follow + comment + forward − hate; hate's
                 registry reward is already −is_hate), γ = the mean auxiliary γ_i (all
                 auxiliaries share one γ in the registry's defaults)
"""

from __future__ import annotations

from tscac_tf.agents.baselines.config import BaselinesConfig

WATCH_TIME_CHANNEL = "watch_time"
INTERACTION_CHANNEL = "interaction"


def watch_time_objective(config: BaselinesConfig) -> tuple[dict[str, float], float]:
    """({response: weight}, γ) of the watch-time-only actor-critic."""
    main = config.tscac.main_response
    return {main.name: 1.0}, main.discount


def interaction_objective(config: BaselinesConfig) -> tuple[dict[str, float], float]:
    """({response: weight}, γ) of the interaction-only actor-critic."""
    aux = [r for r in config.tscac.responses if r.role == "auxiliary"]
    return {r.name: 1.0 for r in aux}, sum(r.discount for r in aux) / len(aux)
