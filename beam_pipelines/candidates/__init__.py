"""The candidates step: attach retrieval's top-K candidates to every logged step (Beam).

Importing the package imports tscac_tf first, which sets TF_USE_LEGACY_KERAS before any
module of the step (or a Beam worker unpickling one of its DoFns) imports TensorFlow.
"""

import tscac_tf  # noqa: F401
