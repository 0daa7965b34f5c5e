"""A TF-Serving-compatible model server, its client and its configs (ARCHITECTURE §4).

Importing any `serving` module pins Keras 2 first (tscac_tf's import guard), because the
tensorflow_serving protos import TensorFlow.
"""

import tscac_tf  # noqa: F401  (sets TF_USE_LEGACY_KERAS before TensorFlow is imported)
