"""Shared fixtures of the ExampleGen tests.

Imports tscac_tf first (sets TF_USE_LEGACY_KERAS before any test module imports
TensorFlow).
"""

import os

import tscac_tf  # noqa: F401

# isort: split
import numpy as np
import pytest

from beam_pipelines.preprocessing import event_batch as eb
from beam_pipelines.preprocessing.read_feature_tables import USERS, VIDEOS, read_table
from tscac_tf.features.feature_tables import FeatureTables
from tscac_tf.specs import kuairand_schema as ks

FIXTURE = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "kuairand_format")


@pytest.fixture(scope="session")
def fixture_dir() -> str:
    """The tiny KuaiRand-format directory of tests/fixtures/kuairand_format."""
    return FIXTURE


@pytest.fixture(scope="session")
def fixture_tables() -> FeatureTables:
    """FeatureTables of the fixture's real user and video rows."""
    users, _, _ = read_table(os.path.join(FIXTURE, "user_features.csv"), USERS)
    videos, _, _ = read_table(os.path.join(FIXTURE, "video_features_basic.csv"), VIDEOS)
    return FeatureTables.from_frames(users, videos)


def make_events(**columns) -> eb.EventBatch:
    """An EventBatch: the given columns, zeros elsewhere, lines 2.. of file 0."""
    n = len(next(iter(columns.values())))
    batch = {c: np.zeros(n, np.int64) for c in ks.LOG_COLUMN_NAMES}
    batch[eb.PROPENSITY] = np.full(n, 0.5)
    batch[eb.FILE_INDEX] = np.zeros(n, np.int64)
    batch[eb.LINE] = np.arange(2, n + 2, dtype=np.int64)
    batch.update({k: np.asarray(v) for k, v in columns.items()})
    return batch


@pytest.fixture
def events():
    return make_events
