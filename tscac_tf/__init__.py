"""tscac: Two-Stage Constrained Actor-Critic (Cai et al., WWW 2023) for short-video feeds.

Importing this package pins the Keras 2 API (tf-keras) that TF-Agents and TFRS need: it
sets ``TF_USE_LEGACY_KERAS=1`` when TensorFlow has not been imported yet, and refuses to
load when TensorFlow was already imported with Keras 3 active, because that cannot be
undone inside a running process.
"""

import os
import sys

__version__ = "0.1.0"

_FIX = (
    "set TF_USE_LEGACY_KERAS=1 in the environment before the process starts "
    "(or import tscac_tf before tensorflow)"
)


def _keras3_active() -> bool:
    """True when the already-imported TensorFlow resolved `tf.keras` to Keras 3."""
    tf = sys.modules["tensorflow"]
    keras_module = getattr(tf, "keras", None)
    if keras_module is None:  # TensorFlow is mid-import; it reads the variable later
        return os.environ.get("TF_USE_LEGACY_KERAS") not in ("1", "true", "True")
    # tf-keras registers as `tf_keras...`; Keras 3 as `keras...`.
    return not getattr(keras_module, "__name__", "").startswith("tf_keras")


def _guard_keras() -> None:
    if "tensorflow" not in sys.modules:
        os.environ["TF_USE_LEGACY_KERAS"] = "1"
        os.environ.setdefault(
            "TF_CPP_MIN_LOG_LEVEL", "2"
        )  # keep C++ start-up chatter out of CLI output
        return
    if _keras3_active():
        raise ImportError(
            "tscac_tf needs the Keras 2 API (tf-keras), but TensorFlow was imported before "
            f"tscac_tf with Keras 3 active (TF_USE_LEGACY_KERAS={os.environ.get('TF_USE_LEGACY_KERAS')!r}). "
            f"Fix: {_FIX}."
        )


_guard_keras()
