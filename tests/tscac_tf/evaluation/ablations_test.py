import dataclasses
import json
import os

import numpy as np
import pytest

from tscac_tf.agents.tscac import config as tscac_config
from tscac_tf.agents.tscac import tscac_training
from tscac_tf.evaluation import ablations


def test_monte_carlo_returns_discount_within_sessions_only():
    rewards = np.array([1.0, 2.0, 4.0, 10.0, 3.0])
    position = np.array([0, 1, 2, 0, 1])
    is_last = np.array([False, False, True, False, True])

    got = ablations.monte_carlo_returns(rewards, position, is_last, gamma=0.5)

    # Session 1: G_2 = 4, G_1 = 2 + 0.5·4, G_0 = 1 + 0.5·4; session 2 starts afresh.
    np.testing.assert_allclose(got, [3.0, 4.0, 4.0, 11.5, 3.0])


@pytest.mark.parametrize(
    "position, is_last, message",
    [
        ([1, 2], [False, True], "whole sessions"),
        ([0, 1], [False, False], "whole sessions"),
        ([0, 2, 3], [False, False, True], "step 1: position 2, expected 1"),
    ],
)
def test_monte_carlo_returns_reject_steps_out_of_session_order(position, is_last, message):
    with pytest.raises(ValueError, match=message):
        ablations.monte_carlo_returns(np.ones(len(position)), position, is_last, 0.9)


def test_lambda_sweep_config_sets_every_auxiliary_lambda_and_leaves_the_rest():
    base = tscac_config.preset("small")

    swept = ablations.lambda_sweep_config(base, 0.3)

    assert set(swept.lagranges.values()) == {0.3}
    assert swept.discounts == base.discounts
    assert swept.main_response == base.main_response


def test_shared_discount_config_gives_every_response_the_main_gamma():
    base = tscac_config.preset("small", discounts={"like": 0.5})

    shared = ablations.shared_discount_config(base)

    assert set(shared.discounts.values()) == {base.main_response.discount}
    assert shared.lagranges == base.lagranges


def test_retrain_refuses_a_training_run_without_the_reused_stage(tmp_path):
    with pytest.raises(FileNotFoundError, match="stage_one"):
        ablations.retrain(
            str(tmp_path / "data"),
            str(tmp_path / "train"),
            str(tmp_path / "out"),
            tscac_config.preset("small"),
            reuse=("stage_one",),
        )


def test_the_cli_default_sweep_is_the_library_default():
    from tscac_tf.cli import build_parser
    from tscac_tf.cli.ablate import _floats

    args = build_parser().parse_args(
        ["ablate", "--world", "w", "--data", "d", "--train-dir", "t", "--out", "o"]
    )

    assert tuple(_floats(args.lambdas, "--lambdas")) == ablations.DEFAULT_LAMBDAS


@pytest.mark.parametrize("text", ["", "0.1,-1", "0.1,x"])
def test_the_cli_rejects_a_bad_lambda_list(text):
    from tscac_tf.cli.ablate import _floats

    with pytest.raises(ValueError, match="--lambdas"):
        _floats(text, "--lambdas")


def test_stage_two_matches_only_a_run_trained_with_the_same_stage_two(tmp_path):
    # `tscac ablate` reuses the run's own policy as the sweep's point at the run's λ only
    # when the flags would train stage two the same way (seed, stage-two settings).
    config = tscac_config.preset("small")
    with open(os.path.join(tmp_path, tscac_training.SUMMARY_FILE), "w") as f:
        json.dump({"config": dataclasses.asdict(config)}, f, default=str, sort_keys=True)
    assert ablations.stage_two_matches(str(tmp_path), config)
    other_seed = dataclasses.replace(config, seed=config.seed + 1)
    critic = dataclasses.replace(
        config, stage_two=dataclasses.replace(config.stage_two, advantage_critic=True)
    )
    for changed in (other_seed, critic):
        assert not ablations.stage_two_matches(str(tmp_path), changed)
    # a summary from before a stage-two setting existed does not match either
    with open(os.path.join(tmp_path, tscac_training.SUMMARY_FILE)) as f:
        old = json.load(f)
    del old["config"]["stage_two"]["advantage_critic"]
    with open(os.path.join(tmp_path, tscac_training.SUMMARY_FILE), "w") as f:
        json.dump(old, f)
    assert not ablations.stage_two_matches(str(tmp_path), config)
