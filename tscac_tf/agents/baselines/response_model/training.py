"""One response-model baseline run: train, choose the fusion weight, export `rank`."""

from __future__ import annotations

import os
import shutil

import tensorflow as tf

from tscac_tf.agents.baselines.response_model import fusion, losses
from tscac_tf.agents.baselines.response_model.agent import ResponseModelAgent
from tscac_tf.agents.baselines.response_model.deepfm import DeepFMNetwork
from tscac_tf.agents.baselines.response_model.rank_module import (
    FusedRankModule,
    export_fused_rank_model,
)
from tscac_tf.agents.baselines.response_model.wide_deep import WideDeepNetwork
from tscac_tf.agents.tscac.behavior_propensity import BehaviorPropensity
from tscac_tf.networks.feature_lookup import FeatureLookup
from tscac_tf.training.trainer import Trainer

NETWORKS = {"wide_deep": WideDeepNetwork, "deepfm": DeepFMNetwork}
EXPORT_SUBDIR = os.path.join("export", "rank")


def build_response_model(name: str, lookup: FeatureLookup, config) -> ResponseModelAgent:
    """The response-model agent `name` ("wide_deep" or "deepfm"; `config`: BaselinesConfig)."""
    if name not in NETWORKS:
        raise ValueError(f"unknown response model {name!r}; known: {sorted(NETWORKS)}")
    network = NETWORKS[name](lookup, config.response_model, name=f"{name}_network")
    return ResponseModelAgent(
        network, config.response_model, config.tscac.network.history_length, name=name
    )


def train_response_model(
    name: str,
    lookup: FeatureLookup,
    behavior,
    config,
    dataset: tf.data.Dataset,
    out_dir: str,
    strategy: tf.distribute.Strategy | None = None,
) -> dict:
    """Trains OUT/<name>, picks the fusion weight, exports OUT/<name>/export/rank.

    Args:
      behavior: the behaviour-cloning agent (π_β of the off-policy fusion estimates).
      config: the BaselinesConfig.

    Returns:
      {steps, final_losses, interaction_weight, fusion_estimates, logged_rates, export}.
    """
    strategy = strategy or tf.distribute.get_strategy()
    rm = config.response_model
    with strategy.scope():
        agent = build_response_model(name, lookup, config)
    trainer = Trainer(
        agent, dataset, os.path.join(out_dir, name), config.tscac.loop, strategy, name=name
    )
    final = trainer.run(rm.num_steps)
    propensity = BehaviorPropensity(behavior.actor_network, config.tscac.propensity_source)
    estimates, rates = fusion.evaluate_grid(
        agent.network,
        list(dataset.take(rm.fusion_batches)),
        propensity,
        rm.interaction_weights,
        rm.fusion_clip,
    )
    main = config.tscac.main_response.name
    auxiliary = {n: rates[n] for n in config.tscac.auxiliary_names}
    weight = fusion.select_weight(estimates, auxiliary, main)
    module = FusedRankModule(
        agent.network,
        losses.fusion_weights(weight),
        config.tscac.network.history_length,
        name=name,
    )
    export_dir = os.path.join(out_dir, name, EXPORT_SUBDIR)
    shutil.rmtree(export_dir, ignore_errors=True)
    return {
        "steps": trainer.step,
        "final_losses": final or None,
        "interaction_weight": weight,
        "fusion_estimates": {str(w): e for w, e in estimates.items()},
        "logged_rates": rates,
        "export": export_fused_rank_model(module, export_dir),
    }
