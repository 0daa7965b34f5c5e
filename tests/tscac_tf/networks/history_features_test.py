"""Tests of the in-graph history entry features against the KuaiRand definitions."""

import tscac_tf  # noqa: F401  (first: pins Keras 2 before TensorFlow loads)

# isort: split

import numpy as np
import tensorflow as tf

from tscac_tf.networks import history_features as hf
from tscac_tf.specs import kuairand_schema as ks


def test_watch_ratio():
    # 5 s of a 10 s video = 0.5; unknown duration → 0; a long replay is capped at 5.
    got = hf.watch_ratio(
        tf.constant([5000.0, 3000.0, 100000.0]), tf.constant([10000.0, 0.0, 1000.0])
    )
    np.testing.assert_allclose(got, [0.5, 0.0, hf.MAX_WATCH_RATIO])


def test_flags_match_kuairand_schema_on_a_grid_with_boundaries():
    plays = np.array([0, 5000, 6999, 7000, 7001, 9000, 17999, 18000, 18001, 40000], np.float32)
    durations = np.array([0, 5000, 7000, 7001, 9000, 18000, 18001, 60000], np.float32)
    p, d = np.meshgrid(plays, durations)
    np.testing.assert_array_equal(hf.click_flag(p, d).numpy(), ks.is_click(p, d).astype(np.float32))
    np.testing.assert_array_equal(
        hf.long_view_flag(p, d).numpy(), ks.is_long_view(p, d).astype(np.float32)
    )


def test_entry_features_are_zero_on_padding_and_position_counts_entries():
    ids = tf.constant([[4, 9, -1]], tf.int64)
    mask = hf.history_mask(ids)
    feats = hf.entry_features(
        tf.constant([[20000, 1000, 50000]]), tf.constant([[10000.0, 30000.0, 1.0]]), mask
    )
    # entry 0: ratio 2, click (20 s > 7 s), long view (≥ 18 s); entry 1: ratio 1/30, no flags.
    np.testing.assert_allclose(feats[0, 0], [2.0, 1.0, 1.0])
    np.testing.assert_allclose(feats[0, 1], [1 / 30, 0.0, 0.0], rtol=1e-5)
    np.testing.assert_allclose(feats[0, 2], [0.0, 0.0, 0.0])
    assert hf.session_position(mask).numpy().tolist() == [2.0]
