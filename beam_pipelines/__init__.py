"""Beam pipelines of tscac (ExampleGen in `preprocessing`).

Importing any module of this package first imports `tscac_tf`, which sets
TF_USE_LEGACY_KERAS=1 before TensorFlow loads: Beam workers (separate processes, or
remote machines) unpickle the transforms through these modules, so they get Keras 2 too.
"""

import tscac_tf  # noqa: F401
