"""CandidatesConfig and CandidatesOptions: validation and flag parsing."""

import pytest

from beam_pipelines.candidates.config import CandidatesConfig
from beam_pipelines.candidates.options import CandidatesOptions


def test_options_become_a_config():
    options = CandidatesOptions(
        ["--data_dir=/d", "--model_dir=/m", "--output_dir=/o", "--num_candidates=7", "--seed=2"]
    )
    cfg = options.to_config()
    assert (cfg.data_dir, cfg.model_dir, cfg.output_dir) == ("/d", "/m", "/o")
    assert cfg.num_candidates == 7 and cfg.seed == 2 and cfg.history_length is None
    assert cfg.splits == ("train", "eval")


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"output_dir": "/d/"}, "must differ from data_dir"),
        ({"num_candidates": 0}, "num_candidates must be >= 1"),
        ({"users_per_batch": 0}, "users_per_batch"),
        ({"num_shards": -1}, "num_shards"),
        ({"model_dir": ""}, "model_dir"),
    ],
)
def test_invalid_configs_name_the_field(kwargs, message):
    base = {"data_dir": "/d", "model_dir": "/m", "output_dir": "/o"}
    with pytest.raises(ValueError, match=message):
        CandidatesConfig(**(base | kwargs))


def test_missing_directory_flags_are_named():
    with pytest.raises(ValueError, match="data_dir: expected a directory"):
        CandidatesOptions(["--model_dir=/m", "--output_dir=/o"]).to_config()
