"""Batch scoring: top-N recommendations for every user with Beam RunInference.

Importing it pins Keras 2 first (tscac_tf's import guard): the pipeline loads SavedModels.
"""

import tscac_tf  # noqa: F401  (sets TF_USE_LEGACY_KERAS before TensorFlow is imported)
