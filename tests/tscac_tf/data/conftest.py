"""Imports tscac_tf before any test module here imports TensorFlow (sets TF_USE_LEGACY_KERAS)."""

import tscac_tf  # noqa: F401
