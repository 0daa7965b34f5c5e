"""Tests of TSCAC stage two on the fake log: watch-time actor-critic, soft KL to stage one."""

import tscac_tf  # noqa: F401  (first: pins Keras 2 before TensorFlow loads)

# isort: split

import dataclasses

import numpy as np
import pytest
import tensorflow as tf

from tscac_tf.agents.tscac import config as tscac_config
from tscac_tf.agents.tscac import tscac_training
from tscac_tf.agents.tscac.stage_two_agent import StageTwoAgent
from tscac_tf.networks.actor_network import ActorNetwork
from tscac_tf.networks.value_network import ValueNetwork
from tscac_tf.testing import fake_transitions as ft
from tscac_tf.testing.agent_steps import train_steps


def _agent(lookup, config, levels=None):
    net = config.network
    aux = {n: ActorNetwork.from_config(lookup, net, f"{n}_actor") for n in config.auxiliary_names}
    behavior = ActorNetwork.from_config(lookup, net, "behavior")
    advantage = None
    if config.stage_two.advantage_critic:
        advantage = ActorNetwork.from_config(lookup, net, "watch_time_advantage")
    agent = StageTwoAgent(
        ActorNetwork.from_config(lookup, net, "main_actor"),
        ValueNetwork.from_config(lookup, net, ["watch_time"], name="watch_time_critic"),
        aux,
        behavior,
        config,
        advantage_network=advantage,
        levels=levels,
    )
    return agent, aux, behavior


@pytest.mark.parametrize("shared_lambda", [0.1, 100.0])
def test_watch_time_advantage_moves_the_policy_unless_lambda_holds_it(
    lookup, config, unbiased_dataset, match_mass, shared_lambda
):
    # The log has no preference for matching videos, which are watched ~5x longer. The
    # stage-one actors here are untrained (near uniform) anchors. With a small λ the
    # closed form exp(Â_1/Λ) dominates and the policy moves onto matching videos; with a
    # large λ, π* is the anchors' geometric mean and the policy must stay near them.
    # Â_1 is the TD error itself here (the paper's form); the advantage critic is below.
    config = dataclasses.replace(
        config,
        responses=tscac_config.preset("small", shared_lagrange=shared_lambda).responses,
        stage_two=dataclasses.replace(config.stage_two, advantage_critic=False),
    )
    agent, aux, _ = _agent(lookup, config)
    before = match_mass(agent.actor_network)
    aux_before = [v.numpy() for a in aux.values() for v in a.trainable_variables]
    infos = train_steps(agent, unbiased_dataset, 150)
    after = match_mass(agent.actor_network)
    print(f"λ={shared_lambda}: match mass {before:.3f} -> {after:.3f}")
    if shared_lambda < 1:
        assert after > before + 0.04
    else:
        assert abs(after - before) < 0.03
    aux_after = [v.numpy() for a in aux.values() for v in a.trainable_variables]
    for old, new in zip(aux_before, aux_after, strict=True):
        np.testing.assert_array_equal(old, new)
    extra = infos[-1].extra
    assert sorted(extra["kl_to_auxiliary"]) == sorted(config.auxiliary_names)
    assert all(np.isfinite(v) and v >= 0 for v in extra["kl_to_auxiliary"].values())
    assert 0 < extra["weight_effective_fraction"] <= 1
    assert extra["weight_max"] <= config.stage_two.weight_clip + 1e-6
    # the critic learned a positive value of watch time (seconds, γ = 0.95)
    assert np.mean([i.extra["value"]["watch_time"] for i in infos[-10:]]) > 10


@pytest.mark.parametrize("init_from_behavior", [True, False])
def test_pi_theta_starts_from_the_behaviour_policy_when_asked(
    lookup, config, transitions, init_from_behavior
):
    # The default starts π_θ at π_β (StageTwoConfig.init_from_behavior); without it π_θ is
    # a freshly initialised network, which scores the candidates differently.
    stage_two = dataclasses.replace(config.stage_two, init_from_behavior=init_from_behavior)
    agent, _, behavior_actor = _agent(lookup, dataclasses.replace(config, stage_two=stage_two))
    agent.initialize()
    observation = {k: tf.constant(v[:64]) for k, v in transitions["observation"].items()}
    main = agent.actor_network(observation)[0]["logits"].numpy()
    behavior = behavior_actor(observation)[0]["logits"].numpy()
    if init_from_behavior:
        np.testing.assert_allclose(main, behavior, rtol=1e-6, atol=1e-6)
    else:
        assert np.abs(main - behavior).max() > 1e-3


def test_the_critic_must_value_watch_time_only(lookup, config):
    net = config.network
    aux = {n: ActorNetwork.from_config(lookup, net, f"{n}_a") for n in config.auxiliary_names}
    with pytest.raises(ValueError, match="must value only 'watch_time'"):
        StageTwoAgent(
            ActorNetwork.from_config(lookup, net, "m"),
            ValueNetwork.from_config(lookup, net, ["click"], name="c"),
            aux,
            ActorNetwork.from_config(lookup, net, "b"),
            config,
        )


def test_the_advantage_critic_learns_which_candidates_pay_and_moves_the_policy(
    lookup, config, tables, transitions, unbiased_dataset, match_mass
):
    # StageTwoConfig.advantage_critic: Â_1 is A(s, a), fitted to the TD errors. In the
    # unbiased log matching videos are watched ~5x longer, so after training A must rate
    # a state's matching candidates above its others (on average, over held states), and
    # with a small λ the policy must move onto them as it does with the raw TD errors.
    config = dataclasses.replace(
        config,
        responses=tscac_config.preset("small", shared_lagrange=0.1).responses,
        stage_two=dataclasses.replace(config.stage_two, advantage_critic=True),
    )
    agent, _, _ = _agent(lookup, config)
    agent.initialize()
    advantage_net = agent.advantage_network
    observation = {k: tf.constant(v[:400]) for k, v in transitions["observation"].items()}
    matched = ft.matches(
        tables,
        transitions["observation"]["user_id"][:400, None],
        transitions["observation"]["candidate_video_ids"][:400],
        ft.FakeTransitionsConfig().num_groups,
    )
    real = transitions["observation"]["candidate_video_ids"][:400] != -1

    def gap() -> float:
        a = advantage_net(observation)[0]["logits"].numpy()
        return float(a[matched].mean() - a[real & ~matched].mean())

    before_gap, before_mass = gap(), match_mass(agent.actor_network)
    optimized = {id(v) for _, vs in agent.optimizer_variables() for v in vs}
    assert all(id(v) in optimized for v in advantage_net.trainable_variables)
    infos = train_steps(agent, unbiased_dataset, 300)
    after_gap, after_mass = gap(), match_mass(agent.actor_network)
    print(
        f"A(match) - A(other): {before_gap:.2f} -> {after_gap:.2f} s; "
        f"match mass {before_mass:.3f} -> {after_mass:.3f}"
    )
    assert after_gap > 5.0  # seconds; a matching video plays ~20 s against ~4 s
    assert after_mass > before_mass + 0.1
    losses = [i.extra["advantage_loss"]["watch_time"] for i in infos]
    assert np.mean(losses[-20:]) < np.mean(losses[:20])
    assert infos[-1].extra["td_error_std"]["watch_time"] > 0


def test_an_advantage_network_comes_exactly_with_the_advantage_critic(lookup, config):
    net = config.network
    aux = {n: ActorNetwork.from_config(lookup, net, f"{n}_a") for n in config.auxiliary_names}
    parts = (
        ActorNetwork.from_config(lookup, net, "m"),
        ValueNetwork.from_config(lookup, net, ["watch_time"], name="v"),
        aux,
        ActorNetwork.from_config(lookup, net, "b"),
    )
    assert not config.stage_two.advantage_critic  # the default: Â_1 is the TD error
    with pytest.raises(ValueError, match="advantage_network exactly when"):
        StageTwoAgent(*parts, config, advantage_network=ActorNetwork.from_config(lookup, net, "a"))
    with_critic = dataclasses.replace(
        config, stage_two=dataclasses.replace(config.stage_two, advantage_critic=True)
    )
    with pytest.raises(ValueError, match="advantage_network exactly when"):
        StageTwoAgent(*parts, with_critic)


def _dual(config, **stage_two):
    return dataclasses.replace(
        config,
        stage_two=dataclasses.replace(config.stage_two, lagrange_update="dual", **stage_two),
    )


def test_dual_lambdas_grow_on_a_violated_constraint_and_fall_on_met_ones(
    lookup, config, unbiased_dataset
):
    # StageTwoConfig.lagrange_update = "dual": click's level is three times the log's
    # click rate, which no policy over these candidates reaches, so λ_click must keep
    # growing; every other level is −1, met by any policy, so their λ fall to the floor.
    # Λ = Σ λ_i then changes, and the weights must use the λ of each step.
    logged = tscac_training.logged_rates(unbiased_dataset, config.auxiliary_names, 10)
    assert logged["click"] > 0.05
    levels = {n: -1.0 for n in config.auxiliary_names}
    levels["click"] = 3.0 * logged["click"]
    config = _dual(config, dual_learning_rate=0.02, lagrange_floor=0.05)
    agent, _, _ = _agent(lookup, config, levels=levels)
    start = config.lagranges
    infos = train_steps(agent, unbiased_dataset, 60)
    lam = agent.lagranges
    clicks = [float(i.extra["lagrange"]["click"]) for i in infos]
    print(f"λ_click {start['click']} -> {lam['click']:.3f}; others {lam}")
    assert lam["click"] > start["click"] + 60 * 0.02 * 0.5  # deficit ≥ ½ of the level
    assert all(b > a for a, b in zip(clicks, clicks[1:], strict=False))
    for n in config.auxiliary_names:
        if n != "click":
            assert lam[n] == pytest.approx(0.05)
    assert infos[-1].extra["lagrange"]["click"] == pytest.approx(lam["click"])
    est = infos[-1].extra["constraint_estimate"]["click"]
    assert 0 < est < levels["click"]
    assert agent.levels == levels


def test_dual_lambdas_and_their_estimates_are_checkpointed(
    lookup, config, unbiased_dataset, tmp_path
):
    levels = dict.fromkeys(config.auxiliary_names, 1.0)  # every constraint violated
    config = _dual(config)
    agent, _, _ = _agent(lookup, config, levels=levels)
    train_steps(agent, unbiased_dataset, 5)
    trained = agent.lagranges
    assert all(trained[n] > config.lagranges[n] for n in trained)
    path = tf.train.Checkpoint(agent=agent).save(str(tmp_path / "ckpt"))
    fresh, _, _ = _agent(lookup, config, levels=levels)
    assert fresh.lagranges == config.lagranges
    status = tf.train.Checkpoint(agent=fresh).restore(path)
    status.assert_existing_objects_matched()
    status.expect_partial()  # the fresh agent's optimisers have no slots yet
    assert fresh.lagranges == pytest.approx(trained)
    for n in config.auxiliary_names:
        for ours, theirs in zip(fresh._rate_sums[n], agent._rate_sums[n], strict=True):
            assert float(ours) == pytest.approx(float(theirs))


def test_levels_come_exactly_with_the_dual_update(lookup, config):
    levels = dict.fromkeys(config.auxiliary_names, 0.1)
    assert config.stage_two.lagrange_update == "fixed"  # the paper's form is the default
    with pytest.raises(ValueError, match="levels exactly when"):
        _agent(lookup, config, levels=levels)
    with pytest.raises(ValueError, match="levels exactly when"):
        _agent(lookup, _dual(config))
    with pytest.raises(ValueError, match="levels cover"):
        _agent(lookup, _dual(config), levels={"click": 0.1})
    fixed, _, _ = _agent(lookup, config)
    assert fixed.lagranges == config.lagranges and fixed.levels is None
