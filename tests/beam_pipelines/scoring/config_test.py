"""ScoringConfig validation."""

import pytest

from beam_pipelines.scoring.config import ScoringConfig


def test_defaults_and_validation():
    config = ScoringConfig("m", "d", "o")
    assert (config.top_n, config.split, config.output_format) == (10, "eval", "jsonl")
    with pytest.raises(ValueError, match="top_n and batch_size must be >= 1"):
        ScoringConfig("m", "d", "o", top_n=0)
    with pytest.raises(ValueError, match="output_format must be one of"):
        ScoringConfig("m", "d", "o", output_format="xml")
