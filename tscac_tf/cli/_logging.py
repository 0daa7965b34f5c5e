"""Progress logging of the long-running subcommands (train, baselines, ablate)."""

from __future__ import annotations

import logging
import sys


def log_progress_to_stderr() -> None:
    """INFO lines with a timestamp on stderr; TensorFlow's and absl's chatter only from WARNING."""
    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s: %(message)s"
    )
    for chatty in ("absl", "tensorflow"):  # checkpoint and SavedModel INFO lines
        logging.getLogger(chatty).setLevel(logging.WARNING)
