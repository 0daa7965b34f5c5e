"""Imports tscac_tf before any test module imports TensorFlow (sets TF_USE_LEGACY_KERAS=1),
and starts the slowest test files first.

The suite runs on pytest-xdist workers, a file to a worker, and a free worker takes the
next file in collection order (pyproject.toml: `--no-loadscope-reorder`, without which
xdist orders the files by their number of tests). Collected alphabetically, the two
end-to-end jobs come last and one worker runs them alone at the end; started first, the
short files fill the other worker meanwhile.
"""

import tscac_tf  # noqa: F401

# The files whose tests took the longest (--durations, RESULTS.md "Speed"), longest first.
SLOW_FILES_FIRST = (
    "tests/tscac_tf/pipeline/main_job_test.py",
    "tests/tscac_tf/pipeline/real_format_job_test.py",
    "tests/tscac_tf/cli/train_test.py",
    "tests/tscac_tf/agents/baselines/training_test.py",
    "tests/tscac_tf/agents/baselines/rcpo_agent_test.py",
    "tests/tscac_tf/agents/baselines/workers_test.py",
    "tests/tscac_tf/cli/retrieval_test.py",
)


def pytest_collection_modifyitems(config, items):
    rank = {path: i for i, path in enumerate(SLOW_FILES_FIRST)}
    # A stable sort: every other test keeps its place, and a file's tests their order.
    items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(rank)))
