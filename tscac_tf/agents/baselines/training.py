"""A baselines run: π_β (reused from a TSCAC run or trained), each baseline, its export.

    OUT/bc/                   π_β's checkpoints (when trained here) and export/rank/
    OUT/<name>/               checkpoints/, summaries/ and export/rank/ of each baseline
    OUT/baselines_summary.json  per baseline: steps, final losses, final λ (RCPO), chosen
                                fusion weight (Wide&Deep, DeepFM), export

Every baseline trains on the same transitions (DATA/train, the transitions reader), with
the same networks and feature tables as TSCAC, and is exported through the same `rank`
signature (tscac_tf/export/rank_export.py), so the evaluator treats it like TSCAC. Like
`train_tscac`, each baseline resumes from its own latest checkpoint.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import shutil
from collections.abc import Callable, Sequence

import tensorflow as tf

from tscac_tf.agents.baselines.actor_critic_agent import (
    ActorCriticBaselineAgent,
    SingleObjectiveAgent,
)
from tscac_tf.agents.baselines.config import BaselinesConfig
from tscac_tf.agents.baselines.pareto_agent import ParetoAgent, pareto_channels
from tscac_tf.agents.baselines.rcpo_agent import RcpoAgent, rcpo_channels
from tscac_tf.agents.baselines.response_model.training import train_response_model
from tscac_tf.agents.baselines.single_objectives import (
    INTERACTION_CHANNEL,
    WATCH_TIME_CHANNEL,
    interaction_objective,
    watch_time_objective,
)
from tscac_tf.agents.behavior_cloning.behavior_cloning_agent import BehaviorCloningAgent
from tscac_tf.agents.tscac import tscac_training
from tscac_tf.export.rank_export import RankModule, export_rank_model
from tscac_tf.features.feature_tables import FeatureTables
from tscac_tf.networks.actor_network import ActorNetwork
from tscac_tf.networks.feature_lookup import FeatureLookup
from tscac_tf.networks.value_network import ValueNetwork
from tscac_tf.training.trainer import CHECKPOINT_SUBDIR, Trainer

logger = logging.getLogger(__name__)

BC = "bc"
ACTOR_CRITIC_NAMES = ("watch_time_ac", "interaction_ac", "rcpo", "rcpo_mc", "pareto")
RESPONSE_MODEL_NAMES = ("wide_deep", "deepfm")
BASELINE_NAMES = (BC, *ACTOR_CRITIC_NAMES, *RESPONSE_MODEL_NAMES)
SUMMARY_FILE = "baselines_summary.json"
EXPORT_SUBDIR = os.path.join("export", "rank")


def check_names(names: Sequence[str]) -> tuple[str, ...]:
    """The requested baselines in canonical order; ValueError naming any unknown one."""
    unknown = sorted(set(names) - set(BASELINE_NAMES))
    if unknown or not names:
        raise ValueError(
            f"unknown baselines {unknown or '(none given)'}; known: {list(BASELINE_NAMES)}"
        )
    return tuple(n for n in BASELINE_NAMES if n in names)


def baseline_seed(seed: int, name: str) -> int:
    """The initialisation seed of baseline `name`, from the run's seed and the name alone:
    a baseline starts from the same weights whether it runs alone (`--only`), after others
    in one process, or in a worker (`--workers`). (The order of its batches still depends
    on how many iterators of the shared dataset were made before it.)"""
    return seed + 1_000 * (1 + BASELINE_NAMES.index(name))


def build_baseline(
    name: str,
    lookup: FeatureLookup,
    behavior_network: ActorNetwork,
    config: BaselinesConfig,
    levels: dict[str, float] | None = None,
) -> ActorCriticBaselineAgent:
    """The actor-critic baseline `name` (call inside the strategy scope).

    Args:
      levels: {auxiliary: logged per-step rate}, required by rcpo and rcpo_mc.
    """
    net = config.tscac.network
    actor = ActorNetwork.from_config(lookup, net, f"{name}_actor")

    def critic(channels):
        shared = config.tscac.stage_one.shared_critic_trunk
        return ValueNetwork.from_config(
            lookup, net, channels, shared, name=f"{name}_critic", free_names=True
        )

    if name in ("watch_time_ac", "interaction_ac"):
        channel, objective = (
            (WATCH_TIME_CHANNEL, watch_time_objective)
            if name == "watch_time_ac"
            else (INTERACTION_CHANNEL, interaction_objective)
        )
        weights, discount = objective(config)
        return SingleObjectiveAgent(
            actor, critic([channel]), behavior_network, weights, discount, config, name=name
        )
    if name in ("rcpo", "rcpo_mc"):
        if levels is None:
            raise ValueError(f"{name} needs the constraint levels (the logged rates)")
        multi = name == "rcpo_mc"
        return RcpoAgent(
            actor,
            critic(rcpo_channels(config, multi)),
            behavior_network,
            levels,
            config,
            multi,
            name=name,
        )
    if name == "pareto":
        return ParetoAgent(
            actor, critic(pareto_channels(config)), behavior_network, config, name=name
        )
    raise ValueError(f"unknown actor-critic baseline {name!r}; known: {list(ACTOR_CRITIC_NAMES)}")


def behavior_checkpoint(tscac_out_dir: str | None) -> str | None:
    """The checkpoint of a `tscac train` output's behaviour model that its run uses, if any:
    the one chosen on held-out data (tscac_training.select_behavior_checkpoint) when the
    output records a choice, else the latest."""
    if not tscac_out_dir:
        return None
    stage_dir = os.path.join(tscac_out_dir, "behavior")
    latest = tf.train.latest_checkpoint(os.path.join(stage_dir, CHECKPOINT_SUBDIR))
    selection = tscac_training.recorded_selection(stage_dir)
    if latest and selection:
        return os.path.join(os.path.dirname(latest), selection["checkpoint"])
    return latest


def _behavior(lookup, config, dataset, tscac_out_dir, out_dir, strategy, data_dir) -> tuple:
    """π_β restored from TSCAC_OUT/behavior when it has a checkpoint, else trained here."""
    agent = BehaviorCloningAgent(
        ActorNetwork.from_config(lookup, config.tscac.network, "behavior_actor"),
        config.tscac.behavior,
    )
    source = behavior_checkpoint(tscac_out_dir)
    if source:
        checkpoint = tf.train.Checkpoint(agent=agent, step=agent.train_step_counter)
        try:
            checkpoint.restore(source).expect_partial().assert_existing_objects_matched()
        except (AssertionError, ValueError) as e:
            raise ValueError(
                f"{source}: the behaviour checkpoint does not match the {config.tscac.network} "
                f"networks of this preset (train TSCAC with the same preset): {e}"
            ) from e
        logger.info("bc: behaviour model restored from %s", source)
        return agent, {"steps": int(agent.train_step_counter.numpy()), "restored_from": source}
    info, _ = tscac_training.train_behavior(
        agent, dataset, os.path.join(out_dir, BC), config.tscac, data_dir, strategy, name=BC
    )
    return agent, info


def _export(actor: ActorNetwork, out_dir: str, name: str) -> str:
    export_dir = os.path.join(out_dir, name, EXPORT_SUBDIR)
    shutil.rmtree(export_dir, ignore_errors=True)
    return export_rank_model(RankModule(actor, name=name), export_dir)


def train_baselines(
    data_dir: str,
    tscac_out_dir: str | None,
    out_dir: str,
    config: BaselinesConfig,
    names: Sequence[str] | None = None,
    strategy: tf.distribute.Strategy | None = None,
    dataset_fn: Callable[[BaselinesConfig], tf.data.Dataset] | None = None,
    summary_file: str = SUMMARY_FILE,
) -> dict:
    """Trains and exports the requested baselines (default: all of BASELINE_NAMES).

    Actor-critic baselines: build_baseline + Trainer + RankModule; response models
    (wide_deep, deepfm): response_model/training.py.

    Args:
      data_dir: candidates-step output (sessions with K candidates + feature tables).
      tscac_out_dir: a `tscac train` output whose behavior/ checkpoint is reused as π_β
        (and as the BC baseline), or None to train π_β here.
      out_dir: where each baseline's directory and the summary JSON go.
      config: the run's configuration; K is taken from the data when it differs.
      names: the baselines to train.
      strategy: a tf.distribute strategy (default: the default strategy).
      dataset_fn: builds the training dataset from the config (default: the reader).
      summary_file: the summary's file name in OUT (a worker of `tscac baselines
        --workers` writes its own, which the parent merges).

    Returns:
      The summary written to OUT/<summary_file>.
    """
    names = check_names(names or BASELINE_NAMES)
    tables = FeatureTables.load(data_dir)
    if dataset_fn is None:
        k = tscac_training.infer_num_candidates(data_dir)
        network = dataclasses.replace(config.tscac.network, num_candidates=k)
        config = dataclasses.replace(
            config, tscac=dataclasses.replace(config.tscac, network=network)
        )
        dataset_fn = lambda c: tscac_training.reader_dataset(data_dir, c.tscac)  # noqa: E731
    strategy = strategy or tf.distribute.get_strategy()
    tf.keras.utils.set_random_seed(config.tscac.seed)
    dataset = dataset_fn(config)
    with strategy.scope():
        lookup = FeatureLookup(tables)
    with strategy.scope():
        behavior, bc_info = _behavior(
            lookup, config, dataset, tscac_out_dir, out_dir, strategy, data_dir
        )
    baselines = {}
    if BC in names:
        baselines[BC] = {**bc_info, "export": _export(behavior.actor_network, out_dir, BC)}
    levels = None
    if {"rcpo", "rcpo_mc"} & set(names):
        levels = tscac_training.logged_rates(
            dataset, config.tscac.auxiliary_names, config.lagrangian.level_batches
        )
    for name in names:
        if name != BC:
            tf.keras.utils.set_random_seed(baseline_seed(config.tscac.seed, name))
        if name in RESPONSE_MODEL_NAMES:
            baselines[name] = train_response_model(
                name, lookup, behavior, config, dataset, out_dir, strategy
            )
        if name not in ACTOR_CRITIC_NAMES:
            continue
        with strategy.scope():
            agent = build_baseline(name, lookup, behavior.actor_network, config, levels)
        trainer = Trainer(
            agent, dataset, os.path.join(out_dir, name), config.tscac.loop, strategy, name=name
        )
        losses = trainer.run(config.actor_critic.num_steps)
        info = {"steps": trainer.step, "final_losses": losses or None}
        if isinstance(agent, RcpoAgent):
            info["lagrange"] = {n: float(v.numpy()) for n, v in agent.lagranges.items()}
            info["constraint_levels"] = levels
        info["export"] = _export(agent.actor_network, out_dir, name)
        baselines[name] = info
    summary = {"baselines": baselines, "config": dataclasses.asdict(config)}
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, summary_file), "w") as f:
        json.dump(summary, f, indent=1, sort_keys=True, default=str)
    return summary
