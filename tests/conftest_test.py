"""The slow-first list of tests/conftest.py names files that exist."""

import os

from tests.conftest import SLOW_FILES_FIRST

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_every_slow_file_listed_exists():
    missing = [p for p in SLOW_FILES_FIRST if not os.path.isfile(os.path.join(ROOT, p))]
    assert not missing, f"tests/conftest.py SLOW_FILES_FIRST names missing files: {missing}"
