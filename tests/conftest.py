"""Imports tscac_tf before any test module imports TensorFlow (sets TF_USE_LEGACY_KERAS=1)."""

import tscac_tf  # noqa: F401
