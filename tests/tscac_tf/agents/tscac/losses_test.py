"""Tests of the TSCAC loss terms, with numbers worked by hand in the comments."""

import math

import tscac_tf  # noqa: F401  (first: pins Keras 2 before TensorFlow loads)

# isort: split

import numpy as np
import pytest
import tensorflow as tf

from tscac_tf.agents.tscac import losses


def test_td_targets_use_each_response_discount_and_mask_terminals():
    # y = r + γ (1 − done) V(s'):
    #   click (γ 0.9):       [1 + 0.9·2, 0 + 0 (terminal)]   = [2.8, 0.0]
    #   watch_time (γ 0.95): [10 + 0.95·20, 4 + 0 (terminal)] = [29.0, 4.0]
    targets = losses.td_targets(
        rewards={"click": tf.constant([1.0, 0.0]), "watch_time": tf.constant([10.0, 4.0])},
        next_values={"click": tf.constant([2.0, 3.0]), "watch_time": tf.constant([20.0, 50.0])},
        discounts={"click": 0.9, "watch_time": 0.95},
        is_last=tf.constant([False, True]),
    )
    np.testing.assert_allclose(targets["click"], [2.8, 0.0], rtol=1e-6)
    np.testing.assert_allclose(targets["watch_time"], [29.0, 4.0], rtol=1e-6)


def test_td_targets_match_a_plain_loop():
    rng = np.random.default_rng(0)
    names, gammas = ("click", "hate", "watch_time"), {"click": 0.9, "hate": 0.5, "watch_time": 0.99}
    r = {n: rng.normal(size=16).astype(np.float32) for n in names}
    v = {n: rng.normal(size=16).astype(np.float32) for n in names}
    done = rng.random(16) < 0.3
    got = losses.td_targets(r, v, gammas, tf.constant(done))
    for n in names:
        want = [r[n][j] + (0.0 if done[j] else gammas[n] * v[n][j]) for j in range(16)]
        np.testing.assert_allclose(got[n], want, rtol=1e-5, atol=1e-6)


def test_td_targets_name_mismatch_is_an_error():
    with pytest.raises(ValueError, match="discounts has"):
        losses.td_targets(
            {"click": tf.zeros(2)}, {"click": tf.zeros(2)}, {"like": 0.9}, tf.zeros(2, tf.bool)
        )


def test_critic_losses_and_advantages():
    # ½ (y − V)²: ½ (2.8 − 2)² = 0.32, ½ (0 − 1)² = 0.5;  Â = y − V = [0.8, −1]
    values = {"click": tf.constant([2.0, 1.0])}
    targets = {"click": tf.constant([2.8, 0.0])}
    np.testing.assert_allclose(
        losses.critic_losses(values, targets)["click"], [0.32, 0.5], rtol=1e-5
    )
    np.testing.assert_allclose(
        losses.td_advantages(targets, values)["click"], [0.8, -1.0], rtol=1e-5
    )


def test_critic_loss_gradient_flows_only_into_the_value():
    # d/dV ½ (y − V)² = V − y = 2 − 2.8 = −0.8; the target gets no gradient.
    v, y = tf.Variable([2.0]), tf.Variable([2.8])
    with tf.GradientTape() as tape:
        loss = losses.critic_losses({"c": v}, {"c": tf.identity(y)})["c"]
    gv, gy = tape.gradient(loss, [v, y])
    np.testing.assert_allclose(gv, [-0.8], rtol=1e-5)
    assert gy is None


def test_clipped_importance_ratio():
    # 0.5 / 0.1 = 5 → clipped to 3;  0.2 / 0.4 = 0.5 stays
    ratio = losses.clipped_importance_ratio(
        tf.math.log([0.5, 0.2]), tf.math.log([0.1, 0.4]), clip=3.0
    )
    np.testing.assert_allclose(ratio, [3.0, 0.5], rtol=1e-5)
    with pytest.raises(ValueError, match="ratio clip"):
        losses.clipped_importance_ratio(tf.zeros(1), tf.zeros(1), clip=0.0)


def test_stage_one_actor_loss_value_and_gradient():
    # π = 0.5, π_β = 0.25 → ρ = 2 (clip 10), Â = 1.5:
    #   L = −ρ Â log π = −2 · 1.5 · log 0.5 = 3 ln 2 ≈ 2.07944
    #   dL/d log π = −ρ Â = −3 (ρ and Â are constants)
    log_pi = tf.Variable(tf.math.log([0.5]))
    with tf.GradientTape() as tape:
        loss = losses.stage_one_actor_loss(log_pi, tf.math.log([0.25]), tf.constant([1.5]), 10.0)
    np.testing.assert_allclose(loss, [3 * math.log(2)], rtol=1e-5)
    np.testing.assert_allclose(tape.gradient(loss, log_pi), [-3.0], rtol=1e-5)


def test_behavior_log_probs_prefers_the_log_only_when_asked_and_present():
    logged = tf.constant([0.5, -1.0])
    model = tf.math.log([0.1, 0.2])
    np.testing.assert_allclose(
        losses.behavior_log_probs(logged, model, use_logged=True), np.log([0.5, 0.2]), rtol=1e-6
    )
    np.testing.assert_allclose(
        losses.behavior_log_probs(logged, model, use_logged=False), np.log([0.1, 0.2]), rtol=1e-6
    )


def test_scale_advantage():
    # [1, 3]: population std 1 → unchanged; a fixed scale of 2 s halves it.
    np.testing.assert_allclose(losses.scale_advantage(tf.constant([1.0, 3.0]), None), [1.0, 3.0])
    np.testing.assert_allclose(losses.scale_advantage(tf.constant([1.0, 3.0]), 2.0), [0.5, 1.5])
    with pytest.raises(ValueError, match="advantage scale"):
        losses.scale_advantage(tf.constant([1.0]), -1.0)


def test_stage_two_log_weight_by_hand():
    # λ_click = 1, λ_like = 3 → Λ = 4; π_click = 0.5, π_like = 0.25, Â = 2, π_β = 0.125:
    #   log w = ¼ ln 0.5 + ¾ ln 0.25 + 2/4 − ln 0.125
    #         = −0.25 ln2 − 1.5 ln2 + 0.5 + 3 ln2 = 1.25 ln2 + 0.5 ≈ 1.366434
    log_w = losses.stage_two_log_weights(
        {"click": tf.math.log([0.5]), "like": tf.math.log([0.25])},
        {"click": 1.0, "like": 3.0},
        tf.constant([2.0]),
        tf.math.log([0.125]),
    )
    np.testing.assert_allclose(log_w, [1.25 * math.log(2) + 0.5], rtol=1e-5)


def test_stage_two_log_weights_errors():
    with pytest.raises(ValueError, match="λ for"):
        losses.stage_two_log_weights(
            {"click": tf.zeros(1)}, {"like": 1.0}, tf.zeros(1), tf.zeros(1)
        )
    with pytest.raises(ValueError, match="Λ"):
        losses.stage_two_log_weights(
            {"click": tf.zeros(1)}, {"click": 0.0}, tf.zeros(1), tf.zeros(1)
        )


def test_stage_two_log_weights_take_tensor_lambdas_like_numbers():
    # The dual λ update passes λ_i as variables; the weights must equal the fixed form's.
    aux = {"click": tf.math.log([0.5, 0.1]), "like": tf.math.log([0.25, 0.3])}
    args = (tf.constant([2.0, -1.0]), tf.math.log([0.125, 0.2]))
    numbers = losses.stage_two_log_weights(aux, {"click": 1.0, "like": 3.0}, *args)
    tensors = losses.stage_two_log_weights(
        aux, {"click": tf.Variable(1.0), "like": tf.constant(3.0)}, *args
    )
    np.testing.assert_allclose(tensors, numbers, rtol=1e-6)


def test_running_importance_sums_by_hand():
    # π = [0.1, 0.4], π_β = [0.2, 0.1] → π/π_β = [0.5, 4] → ρ = min(·, 2) = [0.5, 2];
    # r = [1, 0]: mean ρr = 0.25, mean ρ = 1.25.
    # d = 0.9: N = 0.9·0.4 + 0.1·0.25 = 0.385, D = 0.9·1 + 0.1·1.25 = 1.025.
    n, d = losses.running_importance_sums(
        tf.constant(0.4),
        tf.constant(1.0),
        tf.constant([1.0, 0.0]),
        tf.math.log([0.1, 0.4]),
        tf.math.log([0.2, 0.1]),
        clip=2.0,
        decay=0.9,
    )
    np.testing.assert_allclose([float(n), float(d)], [0.385, 1.025], rtol=1e-6)
    with pytest.raises(ValueError, match="decay"):
        losses.running_importance_sums(
            tf.constant(0.0), tf.constant(1.0), tf.zeros(1), tf.zeros(1), tf.zeros(1), 2.0, 1.0
        )


def test_running_importance_sums_converge_to_the_target_policys_rate():
    # Logged uniformly over two actions (π_β = ½ each); action 0 always rewards, 1 never.
    # A target playing action 0 with probability 0.8 has rate 0.8. Started from N = D = 0,
    # the running estimate is the first batch's own self-normalised estimate after one
    # step (no start-up bias), and near 0.8 after many.
    rng = np.random.default_rng(0)
    n, d = tf.constant(0.0), tf.constant(0.0)
    for step in range(400):
        a = rng.integers(0, 2, size=256)
        reward = (a == 0).astype(np.float32)
        ratio = np.where(a == 0, 0.8, 0.2) / 0.5
        n, d = losses.running_importance_sums(
            n, d, tf.constant(reward), np.log(ratio * 0.5).astype(np.float32),
            np.full(256, np.log(0.5), np.float32), clip=10.0, decay=0.99,
        )  # fmt: skip
        if step == 0:
            first = np.sum(ratio * reward) / np.sum(ratio)
            assert float(n / d) == pytest.approx(first, rel=1e-5)
            assert abs(first - 0.8) > 1e-4  # one batch is not the rate itself
    assert float(n / d) == pytest.approx(0.8, abs=0.01)


def test_relative_dual_ascent_steps_on_the_relative_deficit():
    # click: level 0.5, estimate 0.4 → deficit 0.2; η = 0.5 → λ = 1 + 0.1 = 1.1
    np.testing.assert_allclose(
        losses.relative_dual_ascent(tf.constant(1.0), 0.5, tf.constant(0.4), 0.5, 0.01), 1.1
    )
    # comment: level 0.002, estimate 0.0016 → the same relative deficit, the same step
    np.testing.assert_allclose(
        losses.relative_dual_ascent(tf.constant(1.0), 0.002, tf.constant(0.0016), 0.5, 0.01),
        1.1,
        rtol=1e-5,
    )
    # hate (r = −is_hate): level −0.002, π's rate −0.003 (more hate) → λ grows by η·0.5
    np.testing.assert_allclose(
        losses.relative_dual_ascent(tf.constant(1.0), -0.002, tf.constant(-0.003), 0.5, 0.01),
        1.25,
        rtol=1e-5,
    )
    # a met constraint lets λ fall, never below the floor
    np.testing.assert_allclose(
        losses.relative_dual_ascent(tf.constant(0.05), 0.5, tf.constant(1.0), 0.5, 0.01), 0.01
    )
    # a level of 0 (never seen) is scaled by min_scale instead of dividing by zero
    np.testing.assert_allclose(
        losses.relative_dual_ascent(tf.constant(1.0), 0.0, tf.constant(-1e-4), 0.5, 0.01), 1.5
    )
    for bad, match in (({"rate": 0.0}, "rate"), ({"floor": 0.0}, "floor"),
                       ({"min_scale": 0.0}, "min_scale")):  # fmt: skip
        kwargs = {"rate": 0.5, "floor": 0.01, **bad}
        with pytest.raises(ValueError, match=match):
            losses.relative_dual_ascent(tf.constant(1.0), 0.5, tf.constant(0.4), **kwargs)


def test_self_normalized_weights():
    # log w = [0, ln 3] → softmax [¼, ¾] · B (2) = [0.5, 1.5]; clip 1.2 → [0.5, 1.2]
    w = losses.self_normalized_weights(tf.math.log([1.0, 3.0]), clip=1.2)
    np.testing.assert_allclose(w, [0.5, 1.2], rtol=1e-5)


def _brute_force_optimum(pi_aux, lam, adv):
    """π*(a) ∝ Π_i π_i(a)^{λ_i/Λ} exp(Â(a)/Λ), with plain Python loops."""
    total = sum(lam.values())
    unnorm = []
    for a in range(len(adv)):
        value = math.exp(adv[a] / total)
        for name, probs in pi_aux.items():
            value *= probs[a] ** (lam[name] / total)
        unnorm.append(value)
    z = sum(unnorm)
    return [u / z for u in unnorm]


PI_AUX = {"click": [0.1, 0.2, 0.3, 0.4], "like": [0.4, 0.3, 0.2, 0.1]}
LAM = {"click": 0.5, "like": 1.5}
ADV = [1.0, -1.0, 0.5, 2.0]


def test_stage_two_weights_times_behavior_give_the_closed_form_optimum():
    # w(a) = π*(a) Z / π_β(a), so with every action once in the batch,
    # w̃(a) π_β(a) / Σ_b w̃(b) π_β(b) = π*(a).
    beta = [0.1, 0.2, 0.3, 0.4]
    log_w = losses.stage_two_log_weights(
        {n: tf.math.log(p) for n, p in PI_AUX.items()}, LAM, tf.constant(ADV), tf.math.log(beta)
    )
    w = losses.self_normalized_weights(log_w, clip=1e9).numpy()
    implied = w * np.asarray(beta)
    np.testing.assert_allclose(
        implied / implied.sum(), _brute_force_optimum(PI_AUX, LAM, ADV), rtol=1e-5
    )


def test_minimising_the_stage_two_loss_recovers_the_optimum_for_a_tabular_policy():
    # One state, K = 4, uniform logging: many logged actions with their weights, then
    # gradient steps on free logits θ; KL(π*‖π_θ) must become small.
    rng = np.random.default_rng(0)
    actions = rng.integers(0, 4, size=8000)
    log_w = losses.stage_two_log_weights(
        {n: tf.math.log(tf.gather(p, actions)) for n, p in PI_AUX.items()},
        LAM,
        tf.gather(ADV, actions),
        tf.fill([len(actions)], math.log(0.25)),
    )
    w = losses.self_normalized_weights(log_w, clip=1e9)
    theta = tf.Variable(tf.zeros(4))
    optimizer = tf.keras.optimizers.legacy.Adam(0.05)
    target = np.asarray(_brute_force_optimum(PI_AUX, LAM, ADV))

    def kl_to_target():
        p = tf.nn.softmax(theta).numpy()
        return float(np.sum(target * (np.log(target) - np.log(p))))

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            log_pi = tf.gather(tf.nn.log_softmax(theta), actions)
            loss = tf.reduce_mean(losses.stage_two_actor_loss(log_pi, w))
        optimizer.apply_gradients([(tape.gradient(loss, theta), theta)])

    kl_before = kl_to_target()
    for _ in range(300):
        step()
    assert kl_before > 0.05
    assert kl_to_target() < 0.005


def test_kl_divergence_by_hand_ignores_padding():
    # p = [½, ½], q = [¼, ¾]: KL = ½ ln(½/¼) + ½ ln(½/¾) = ½ ln(4/3) ≈ 0.143841
    log_p = tf.math.log([[0.5, 0.5, 1e-30]])
    log_q = tf.math.log([[0.25, 0.75, 0.9]])
    mask = tf.constant([[True, True, False]])
    np.testing.assert_allclose(
        losses.kl_divergence(log_p, log_q, mask), [0.5 * math.log(4 / 3)], rtol=1e-5
    )


def test_kl_divergence_matches_a_plain_loop():
    rng = np.random.default_rng(1)
    logits_p, logits_q = rng.normal(size=(5, 6)), rng.normal(size=(5, 6))
    mask = rng.random((5, 6)) < 0.8
    mask[:, 0] = True
    log_p = tf.nn.log_softmax(np.where(mask, logits_p, -1e9).astype(np.float32)).numpy()
    log_q = tf.nn.log_softmax(np.where(mask, logits_q, -1e9).astype(np.float32)).numpy()
    got = losses.kl_divergence(log_p, log_q, mask).numpy()
    for b in range(5):
        want = sum(
            math.exp(log_p[b, k]) * (log_p[b, k] - log_q[b, k]) for k in range(6) if mask[b, k]
        )
        assert got[b] == pytest.approx(want, rel=1e-4, abs=1e-6)


def test_entropy_by_hand():
    # H([½, ¼, ¼]) = ½ ln 2 + 2 · ¼ ln 4 = 1.5 ln 2 ≈ 1.039721
    log_p = tf.math.log([[0.5, 0.25, 0.25, 1e-30]])
    mask = tf.constant([[True, True, True, False]])
    np.testing.assert_allclose(losses.entropy(log_p, mask), [1.5 * math.log(2)], rtol=1e-5)


def test_effective_sample_fraction():
    # uniform weights: (Σw)²/Σw² = 16/4 = 4 = B → 1;  one weight 4: 16/16 = 1 → 1/4
    assert float(losses.effective_sample_fraction(tf.ones(4))) == pytest.approx(1.0)
    assert float(losses.effective_sample_fraction(tf.constant([4.0, 0, 0, 0]))) == pytest.approx(
        0.25
    )
