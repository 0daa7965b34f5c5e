"""Tests of the TSCAC run's assembly (the run itself is tests/tscac_tf/cli/train_test.py)."""

import tscac_tf  # noqa: F401  (first: pins Keras 2 before TensorFlow loads)

# isort: split

from tscac_tf.agents.tscac import tscac_training
from tscac_tf.testing import fake_transitions as ft


def test_infer_num_candidates(tmp_path):
    fake = ft.FakeTransitionsConfig(num_sessions=8, num_candidates=11)
    ft.write_fake_candidate_sessions(str(tmp_path), fake)
    assert tscac_training.infer_num_candidates(str(tmp_path)) == 11


def test_agents_share_the_tables_and_stage_two_uses_the_stage_one_actors(tables, config):
    agents = tscac_training.build_agents(tables, config)
    s1, s2 = agents.stage_one, agents.stage_two
    assert s2._auxiliary_actors == s1.actor_networks  # the same (frozen) objects
    assert s1._propensity.network is agents.behavior.actor_network
    lookups = {
        id(v)
        for net in (agents.behavior.actor_network, s2.actor_network, s1.value_network)
        for v in net.non_trainable_variables
    }
    assert len(lookups) == 9  # one FeatureLookup: nine table variables in total
