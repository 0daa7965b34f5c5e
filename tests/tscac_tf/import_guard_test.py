"""The import guard: tscac_tf pins Keras 2 or refuses to load under Keras 3."""

import os
import subprocess
import sys

import pytest


def _python(code: str, **env_overrides) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "TF_USE_LEGACY_KERAS"}
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300
    )


@pytest.mark.parametrize(
    "code, expect_ok, expect_text",
    [
        (
            "import tscac_tf, os, tensorflow as tf; "
            "print(os.environ['TF_USE_LEGACY_KERAS'], tf.keras.layers.Dense(1).__class__.__module__)",
            True,
            "1 tf_keras.",
        ),
        (
            "import tensorflow as tf; tf.keras.layers; import tscac_tf",
            False,
            "set TF_USE_LEGACY_KERAS=1",
        ),
    ],
    ids=["sets-flag-before-tensorflow", "refuses-keras-3"],
)
def test_import_guard(code, expect_ok, expect_text):
    result = _python(code)
    if expect_ok:
        assert result.returncode == 0, result.stderr[-2000:]
        assert expect_text in result.stdout
    else:
        assert result.returncode != 0
        assert "ImportError" in result.stderr and expect_text in result.stderr
