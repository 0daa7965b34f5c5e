"""The whole TSCAC run: behaviour model, stage one, stage two, then the `rank` export.

    OUT/behavior/    checkpoints and summaries of π_β (behaviour cloning)
    OUT/stage_one/   ... of the auxiliary actor-critics {π_i, V_i}
    OUT/stage_two/   ... of the main actor-critic (π_θ, V_1)
    OUT/export/rank/ SavedModel with the `rank` signature (tscac_tf/export/rank_export.py)
    OUT/train_summary.json   steps, final losses per stage, config

Each stage resumes from its own latest checkpoint, so a killed run started again with the
same arguments continues where it stopped (a finished stage is not trained again).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import shutil
import threading
from collections.abc import Callable, Sequence

import numpy as np
import tensorflow as tf

from tscac_tf.agents.behavior_cloning import losses as bc_losses
from tscac_tf.agents.behavior_cloning.behavior_cloning_agent import BehaviorCloningAgent
from tscac_tf.agents.tscac.config import TscacConfig
from tscac_tf.agents.tscac.stage_one_agent import StageOneAgent
from tscac_tf.agents.tscac.stage_two_agent import StageTwoAgent
from tscac_tf.data import reader, session_io
from tscac_tf.export.policy_saver_export import export_policy
from tscac_tf.export.rank_export import RankModule, export_rank_model
from tscac_tf.features.feature_tables import FeatureTables
from tscac_tf.networks.actor_network import ActorNetwork
from tscac_tf.networks.feature_lookup import FeatureLookup
from tscac_tf.networks.value_network import ValueNetwork
from tscac_tf.specs import session_schema as ss
from tscac_tf.training.trainer import CHECKPOINT_SUBDIR, Trainer

logger = logging.getLogger(__name__)

SUMMARY_FILE = "train_summary.json"
SELECTION_FILE = "selected_checkpoint.json"  # in OUT/behavior: which π_β checkpoint is used
HELDOUT_FILE = "heldout_scores.json"  # in OUT/behavior: π_β's held-out scores as it trained
EXPORT_SUBDIR = os.path.join("export", "rank")
BEHAVIOR_EXPORT_SUBDIR = os.path.join("export", "behavior")
POLICY_EXPORT_SUBDIR = os.path.join("export", "policy")  # TF-Agents PolicySaver


def infer_num_candidates(data_dir: str, split: str = ss.TRAIN_SPLIT) -> int:
    """K of a candidates-step output, read from its first session.

    Raises:
      FileNotFoundError: no session files.
      ValueError: the sessions carry no candidates (the output of `tscac preprocess`,
        not of the candidates step).
    """
    files = session_io.session_files(data_dir, split)
    record = next(iter(tf.data.TFRecordDataset(files[:1], compression_type="GZIP").take(1)))
    _, sequence, _ = tf.io.parse_sequence_example(
        record[None],
        sequence_features={ss.STEP_CANDIDATE_IDS: tf.io.VarLenFeature(tf.int64)},
    )
    candidates = sequence[ss.STEP_CANDIDATE_IDS]
    if candidates.dense_shape[1] == 0 or candidates.dense_shape[2] == 0:
        raise ValueError(
            f"{files[0]}: sessions have no `{ss.STEP_CANDIDATE_IDS}`; train on the output "
            "of the retrieval candidates step, not of `tscac preprocess`"
        )
    return int(candidates.dense_shape[2])


def reader_dataset(data_dir: str, config: TscacConfig) -> tf.data.Dataset:
    """Shuffled, repeated training transitions of DATA/train (the transitions reader)."""
    return reader.transitions_dataset(
        data_dir,
        ss.TRAIN_SPLIT,
        config.batch_size,
        history_length=config.network.history_length,
        num_candidates=config.network.num_candidates,
        shuffle=True,
        repeat=True,
        seed=config.seed,
        drop_remainder=True,
        retrieved_steps_only=config.retrieved_steps_only,
        cache_in_memory=config.cache_training_data,
    )


# Held-out transitions that π_β is scored on after training (the first ones of the eval
# split in its fixed order): enough for the cross-entropy to ±0.01, a few seconds on a CPU.
HELDOUT_TRANSITIONS = 65_536


def _has_split(data_dir: str, split: str) -> bool:
    try:
        session_io.session_files(data_dir, split)
    except FileNotFoundError:
        return False
    return True


def heldout_batches(data_dir: str, config: TscacConfig) -> list[dict] | None:
    """The held-out transitions π_β is scored on, read once into memory (about 1 KB per
    transition at H = 20, K = 50), or None (logged) when DATA has no eval split."""
    if not _has_split(data_dir, ss.EVAL_SPLIT):
        logger.warning("%s has no %s split: π_β's held-out fit is not measured", data_dir,
                       ss.EVAL_SPLIT)  # fmt: skip
        return None
    dataset = reader.transitions_dataset(
        data_dir,
        ss.EVAL_SPLIT,
        1024,
        history_length=config.network.history_length,
        num_candidates=config.network.num_candidates,
        shuffle=False,
        retrieved_steps_only=config.retrieved_steps_only,
    ).take(-(-HELDOUT_TRANSITIONS // 1024))
    return [{"observation": e["observation"], "action": e["action"]} for e in dataset]


# One trace per actor network and batch shape, however often π_β is scored while it trains.
@tf.function
def _heldout_sums(actor_network, observation: dict, actions: tf.Tensor) -> tf.Tensor:
    outputs, _ = actor_network(observation)
    logits = outputs["logits"]
    valid = tf.reduce_sum(
        tf.cast(tf.not_equal(observation["candidate_video_ids"], ss.PADDING_ID), tf.float32),
        axis=-1,
    )
    parts = (
        bc_losses.cross_entropy(logits, actions),
        tf.math.log(valid),
        bc_losses.top1_accuracy(logits, actions),
        1.0 / valid,
    )
    return tf.stack([tf.reduce_sum(part) for part in parts])


def behavior_heldout(
    data_dir: str,
    agent: BehaviorCloningAgent,
    config: TscacConfig,
    log: bool = True,
    batches: list[dict] | None = None,
) -> dict[str, float | int] | None:
    """How well π_β predicts the logged choice on the eval split, against a uniform choice.

    Every importance ratio and the BC reference rest on π_β, and its training loss cannot
    say whether it learned the logging policy or memorised the training steps: on the
    default preset its training cross-entropy falls from ln 50 = 3.91 to 3.64 over 1,500
    steps while the held-out one rises above ln 50 (RESULTS.md, All policies, "Session
    19"). `train_behavior` therefore chooses π_β by this figure.

    Args:
      batches: heldout_batches(data_dir, config), when the caller scores more than once;
        read here otherwise.

    Returns:
      {"transitions", "cross_entropy", "uniform_cross_entropy" (mean ln K_t, the valid
      candidates), "top1_accuracy", "uniform_top1_accuracy" (mean 1/K_t)}, or None when
      DATA has no eval split.
    """
    if batches is None:
        batches = heldout_batches(data_dir, config)
        if batches is None:
            return None
    totals = np.zeros(4)
    count = 0
    for batch in batches:
        totals += _heldout_sums(agent.actor_network, batch["observation"], batch["action"]).numpy()
        count += int(batch["action"].shape[0])
    if not count:
        logger.warning("%s: the %s split has no transitions to score π_β on", data_dir,
                       ss.EVAL_SPLIT)  # fmt: skip
        return None
    means = totals / count
    out = {
        "transitions": count,
        "cross_entropy": float(means[0]),
        "uniform_cross_entropy": float(means[1]),
        "top1_accuracy": float(means[2]),
        "uniform_top1_accuracy": float(means[3]),
    }
    if log:
        log_heldout(out)
    return out


def log_heldout(out: dict) -> None:
    """Logs π_β's held-out fit (behavior_heldout's result); a warning when no better than uniform."""
    worse = out["cross_entropy"] >= out["uniform_cross_entropy"]
    logger.log(
        logging.WARNING if worse else logging.INFO,
        "π_β on %d held-out transitions: cross-entropy %.4f (uniform %.4f), top-1 %.4f "
        "(uniform %.4f)%s",
        out["transitions"],
        out["cross_entropy"],
        out["uniform_cross_entropy"],
        out["top1_accuracy"],
        out["uniform_top1_accuracy"],
        ": no better than a uniform choice" if worse else "",
    )


def recorded_selection(stage_dir: str) -> dict | None:
    """The π_β choice recorded in STAGE_DIR/selected_checkpoint.json, or None."""
    return _read_json(os.path.join(stage_dir, SELECTION_FILE))


def _read_json(path: str) -> dict | None:
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def _write_json(path: str, value: dict) -> None:
    """Writes VALUE to PATH atomically: a run killed mid-write leaves the old file, and
    processes writing the same file at once (`tscac baselines --workers` each resume the
    parent's finished π_β) each replace it whole rather than race on one temporary file."""
    if _read_json(path) == value:
        return
    # A name of this process and thread's own (mkstemp would make the record owner-only).
    tmp = f"{path}.{os.getpid()}.{threading.get_ident()}.tmp"
    try:
        with open(tmp, "w") as f:
            json.dump(value, f, indent=1, sort_keys=True)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(tmp)
        raise


def _kept_checkpoints(checkpoint_dir: str) -> list[str]:
    state = tf.train.get_checkpoint_state(checkpoint_dir)
    return list(state.all_model_checkpoint_paths) if state else []


def select_behavior_checkpoint(
    data_dir: str,
    agent: BehaviorCloningAgent,
    stage_dir: str,
    config: TscacConfig,
    scores: dict[str, dict] | None = None,
    batches: list[dict] | None = None,
) -> dict | None:
    """Restores into `agent` the kept π_β checkpoint that best predicts held-out choices.

    π_β is trained by maximum likelihood on the training steps and, past a point, fits
    them by memorising: on the default preset its held-out cross-entropy is lowest near
    step 500-600 and worse than a uniform choice's by step 1,500 (RESULTS.md, All
    policies, sessions 19-20). So, like any supervised model, it is chosen on held-out
    data: of the checkpoints that STAGE_DIR/checkpoints keeps, the one with the lowest
    cross-entropy on the eval split (ties: the later one). The held-out data are the logs'
    eval split, which NCIS also uses: fitting the propensity model on the logs it weights
    is the usual practice, and the ground truth does not use those logs at all.

    The choice goes to STAGE_DIR/selected_checkpoint.json, which `behavior_checkpoint`
    (the baselines) reads.

    Args:
      scores: {checkpoint file name: behavior_heldout's result} already measured (by
        train_behavior while it trained); the kept checkpoints without one are scored.
      batches: the held-out transitions (heldout_batches), read here when needed otherwise.

    Returns:
      The selection ({"checkpoint", "step", "heldout", "candidates"}), or None when there
      is no checkpoint or no eval split (the agent then keeps its latest weights).
    """
    paths = _kept_checkpoints(os.path.join(stage_dir, CHECKPOINT_SUBDIR))
    if not paths:
        return None
    checkpoint = tf.train.Checkpoint(agent=agent, step=agent.train_step_counter)
    scores = dict(scores or {})
    unscored = [p for p in paths if os.path.basename(p) not in scores]
    if unscored and batches is None:  # the eval split is read only when something is unscored
        batches = heldout_batches(data_dir, config)
    for path in unscored:
        checkpoint.restore(path).assert_existing_objects_matched()
        heldout = (
            None
            if batches is None
            else behavior_heldout(data_dir, agent, config, log=False, batches=batches)
        )
        if heldout is None:  # no eval split, or nothing in it (logged): keep the latest
            checkpoint.restore(paths[-1]).assert_existing_objects_matched()
            return None
        scores[os.path.basename(path)] = {**heldout, "step": int(agent.train_step_counter.numpy())}
    # all_model_checkpoint_paths runs oldest first: on a tie the later checkpoint wins.
    chosen = min(reversed(paths), key=lambda p: scores[os.path.basename(p)]["cross_entropy"])
    checkpoint.restore(chosen).assert_existing_objects_matched()
    name = os.path.basename(chosen)
    selection = {
        "checkpoint": name,
        "step": int(agent.train_step_counter.numpy()),
        "heldout": scores[name],
        "candidates": {
            os.path.basename(p): scores[os.path.basename(p)]["cross_entropy"] for p in paths
        },
    }
    _write_json(os.path.join(stage_dir, SELECTION_FILE), selection)
    logger.info(
        "π_β: %s has the lowest held-out cross-entropy of the kept checkpoints (%s); restored",
        name,
        ", ".join(f"{n} {ce:.4f}" for n, ce in selection["candidates"].items()),
    )
    return selection


def _scorings_since_best(scores: dict[str, dict]) -> tuple[int, dict]:
    """(scorings after the best one, the best one); ties go to the later scoring."""
    ordered = sorted(scores.values(), key=lambda s: s["step"])
    best = min(reversed(ordered), key=lambda s: s["cross_entropy"])
    return sum(s["step"] > best["step"] for s in ordered), best


def train_behavior(
    agent: BehaviorCloningAgent,
    dataset: tf.data.Dataset,
    stage_dir: str,
    config: TscacConfig,
    data_dir: str,
    strategy: tf.distribute.Strategy | None = None,
    name: str = "behavior",
) -> tuple[dict, dict | None]:
    """Trains π_β into STAGE_DIR, scored on held-out data as it goes, and stops early.

    With `config.behavior.select_by_heldout` (and an eval split), π_β is checkpointed and
    scored by `behavior_heldout` every `heldout_every` steps; training stops once
    `patience` scorings in a row have not beaten the best, and the best kept checkpoint
    is restored (select_behavior_checkpoint). The checkpoints kept are the last
    patience + 1, so the best is always among them. Without selection, it trains all
    num_steps and keeps its last weights.

    A run killed part-way resumes from the latest checkpoint with the scores measured so
    far (STAGE_DIR/heldout_scores.json); a run that stopped early is not trained further
    when started again. A stage directory with no checkpoint starts a fresh record.

    Returns:
      (the stage's summary: {"steps", "final_losses"}, plus, when selected,
       {"selected", "stopped_early_at" (a step, or None), "heldout_curve" ({step: CE})};
       the selection, or None).
    """
    behavior = config.behavior
    selects = behavior.select_by_heldout and _has_split(data_dir, ss.EVAL_SPLIT)
    if behavior.select_by_heldout and not selects:
        logger.warning("%s has no %s split: π_β is not chosen on held-out data; its last "
                       "checkpoint is used", data_dir, ss.EVAL_SPLIT)  # fmt: skip
    if not selects:
        trainer = Trainer(agent, dataset, stage_dir, config.loop, strategy, name=name)
        losses = trainer.run(behavior.num_steps)
        return {"steps": trainer.step, "final_losses": losses or None}, None
    every = behavior.heldout_every or config.loop.checkpoint_every
    scorings = -(-behavior.num_steps // every)
    keep = behavior.patience + 1 if behavior.patience else scorings + 1
    loop = dataclasses.replace(config.loop, checkpoint_every=every, max_checkpoints=keep)
    trainer = Trainer(agent, dataset, stage_dir, loop, strategy, name=name)
    record_path = os.path.join(stage_dir, HELDOUT_FILE)
    record = _read_json(record_path) if trainer.restored_from else None
    record = record or {"scores": {}, "stopped_early_at": None}
    scores = record["scores"]
    # Read on the first scoring: a finished stage (restarted, or resumed by each baseline
    # worker) scores nothing, selects among scored checkpoints and never reads them.
    batches: list[dict] | None = None
    losses: dict[str, float] = {}
    while True:
        latest = trainer.checkpoint_manager.latest_checkpoint
        if latest and os.path.basename(latest) not in scores:
            # The agent holds the latest checkpoint's weights: just saved, or restored.
            batches = heldout_batches(data_dir, config) if batches is None else batches
            heldout = behavior_heldout(data_dir, agent, config, log=False, batches=batches)
            scores[os.path.basename(latest)] = {**heldout, "step": trainer.step}
            since, best = _scorings_since_best(scores)
            logger.info(
                "%s: step %d, held-out cross-entropy %.4f (uniform %.4f); best %.4f at step %d",
                name,
                trainer.step,
                heldout["cross_entropy"],
                heldout["uniform_cross_entropy"],
                best["cross_entropy"],
                best["step"],
            )
            if 0 < behavior.patience <= since and trainer.step < behavior.num_steps:
                record["stopped_early_at"] = trainer.step
                logger.info(
                    "%s: %d scorings without a better held-out fit than step %d's: stopped "
                    "at step %d of %d",
                    name,
                    since,
                    best["step"],
                    trainer.step,
                    behavior.num_steps,
                )
            _write_json(record_path, record)
        if record["stopped_early_at"] is not None or trainer.step >= behavior.num_steps:
            break
        target = min(behavior.num_steps, (trainer.step // every + 1) * every)
        losses = trainer.run(target) or losses
    trained = trainer.step  # before the selection restores an earlier step
    selection = select_behavior_checkpoint(data_dir, agent, stage_dir, config, scores, batches)
    info = {
        "steps": trained,
        "final_losses": losses or None,
        "selected": selection and selection["checkpoint"],
        "stopped_early_at": record["stopped_early_at"],
        "heldout_curve": {
            str(s["step"]): s["cross_entropy"]
            for s in sorted(scores.values(), key=lambda s: s["step"])
        },
    }
    return info, selection


@dataclasses.dataclass
class TscacAgents:
    """The three agents of one run, sharing one feature lookup."""

    behavior: BehaviorCloningAgent
    stage_one: StageOneAgent
    stage_two: StageTwoAgent


def logged_rates(dataset: tf.data.Dataset, names: Sequence[str], max_batches: int) -> dict:
    """Mean per-step reward of each response over the first batches: the behaviour's rates."""
    sums, count = {n: 0.0 for n in names}, 0
    for batch in dataset.take(max_batches):
        for n in names:
            sums[n] += float(np.sum(batch["reward"][n].numpy()))
        count += int(batch["reward"][names[0]].shape[0])
    if count == 0:
        raise ValueError("logged_rates: the training dataset is empty")
    return {n: s / count for n, s in sums.items()}


def build_agents(
    tables: FeatureTables, config: TscacConfig, levels: dict[str, float] | None = None
) -> TscacAgents:
    """Builds all networks and agents (call inside the strategy scope).

    Args:
      levels: the constraint levels of stage two's dual λ update (`logged_rates`);
        required exactly when `config.stage_two.lagrange_update` is "dual".
    """
    lookup = FeatureLookup(tables)
    net = config.network
    behavior = BehaviorCloningAgent(
        ActorNetwork.from_config(lookup, net, "behavior_actor"), config.behavior
    )
    aux = config.auxiliary_names
    auxiliary_actors = {n: ActorNetwork.from_config(lookup, net, f"{n}_actor") for n in aux}
    stage_one = StageOneAgent(
        auxiliary_actors,
        ValueNetwork.from_config(
            lookup, net, aux, config.stage_one.shared_critic_trunk, name="auxiliary_critic"
        ),
        behavior.actor_network,
        config,
    )
    main = config.main_response.name
    stage_two = StageTwoAgent(
        ActorNetwork.from_config(lookup, net, "main_actor"),
        ValueNetwork.from_config(lookup, net, [main], name=f"{main}_critic"),
        auxiliary_actors,
        behavior.actor_network,
        config,
        advantage_network=(
            ActorNetwork.from_config(lookup, net, f"{main}_advantage")
            if config.stage_two.advantage_critic
            else None
        ),
        levels=levels,
    )
    return TscacAgents(behavior, stage_one, stage_two)


def config_json(config: TscacConfig) -> dict:
    """`config` as train_summary.json records it (JSON types; non-JSON values as strings)."""
    return json.loads(json.dumps(dataclasses.asdict(config), default=str))


def train_tscac(
    data_dir: str,
    out_dir: str,
    config: TscacConfig,
    strategy: tf.distribute.Strategy | None = None,
    dataset_fn: Callable[[TscacConfig], tf.data.Dataset] | None = None,
    behavior_only: bool = False,
) -> dict:
    """Trains π_β, stage one and stage two on DATA/train and exports OUT/export/rank.

    Every stage resumes from OUT/<stage>/checkpoints; a stage whose checkpoint has reached
    its step count is not trained again (so π_β can come from a behaviour-only run whose
    OUT/behavior was copied here: what `tscac run` does).

    Args:
      data_dir: candidates-step output (sessions with K candidates + feature tables).
      out_dir: where checkpoints, summaries, the export and the summary JSON go.
      config: the run's configuration; K is taken from the data when it differs.
      strategy: a tf.distribute strategy (default: the default strategy).
      dataset_fn: builds the training dataset from the config (default: the reader).
      behavior_only: train π_β alone and export only OUT/export/behavior (the baselines
        and the full run can then start from it at the same time).

    Returns:
      The summary written to OUT/train_summary.json.
    """
    tables = FeatureTables.load(data_dir)
    if dataset_fn is None:
        k = infer_num_candidates(data_dir)
        if k != config.network.num_candidates:
            logger.info("the data has K=%d candidates per step; using K=%d", k, k)
            network = dataclasses.replace(config.network, num_candidates=k)
            config = dataclasses.replace(config, network=network)
        dataset_fn = lambda c: reader_dataset(data_dir, c)  # noqa: E731
    strategy = strategy or tf.distribute.get_strategy()
    tf.keras.utils.set_random_seed(config.seed)
    dataset, levels = None, None
    if config.stage_two.lagrange_update == "dual":
        dataset = dataset_fn(config)
        levels = logged_rates(dataset, config.auxiliary_names, config.stage_two.level_batches)
        logger.info(
            "stage two's λ follow the constraints (dual ascent); logged rates: %s",
            ", ".join(f"{n} {v:.5f}" for n, v in levels.items()),
        )
    with strategy.scope():
        agents = build_agents(tables, config, levels)
    if dataset is None:  # after the agents, as before the dual update existed (same seeds)
        dataset = dataset_fn(config)
    stages = {}
    selection = None
    plan = [
        ("behavior", agents.behavior, config.behavior.num_steps),
        ("stage_one", agents.stage_one, config.stage_one.num_steps),
        ("stage_two", agents.stage_two, config.stage_two.num_steps),
    ]
    for name, agent, steps in plan[:1] if behavior_only else plan:
        stage_dir = os.path.join(out_dir, name)
        if name == "behavior":
            stages[name], selection = train_behavior(
                agent, dataset, stage_dir, config, data_dir, strategy, name=name
            )
            continue
        trainer = Trainer(agent, dataset, stage_dir, config.loop, strategy, name=name)
        losses = trainer.run(steps)
        stages[name] = {"steps": trainer.step, "final_losses": losses or None}
    if selection:
        heldout = selection["heldout"]
        log_heldout(heldout)
    else:
        heldout = behavior_heldout(data_dir, agents.behavior, config)
    # π_β through the same `rank` signature: the BC reference of the evaluation.
    behavior_dir = os.path.join(out_dir, BEHAVIOR_EXPORT_SUBDIR)
    shutil.rmtree(behavior_dir, ignore_errors=True)
    export_rank_model(RankModule(agents.behavior.actor_network), behavior_dir)
    summary = {"stages": stages, "behavior_export": behavior_dir, "behavior_heldout": heldout}
    if levels is not None:
        summary["stage_two_lagranges"] = {
            "levels": levels, "final": agents.stage_two.lagranges
        }  # fmt: skip
    if not behavior_only:
        export_dir = os.path.join(out_dir, EXPORT_SUBDIR)
        shutil.rmtree(export_dir, ignore_errors=True)
        export_rank_model(RankModule(agents.stage_two.actor_network), export_dir)
        # The same greedy policy for TF-Agents users (PolicySaver; policy_saver_export.py).
        policy_dir = os.path.join(out_dir, POLICY_EXPORT_SUBDIR)
        shutil.rmtree(policy_dir, ignore_errors=True)
        export_policy(agents.stage_two.policy, policy_dir)
        summary.update(export=export_dir, policy_export=policy_dir)
    summary["config"] = config_json(config)
    with open(os.path.join(out_dir, SUMMARY_FILE), "w") as f:
        json.dump(summary, f, indent=1, sort_keys=True, default=str)
    return summary
