"""All Beam pipelines' options can be imported and parsed in one process."""

import argparse

import pytest
from apache_beam.options.pipeline_options import PipelineOptions

from beam_pipelines.candidates.options import CandidatesOptions
from beam_pipelines.pipeline_flags import add_flag
from beam_pipelines.preprocessing.options import PreprocessOptions
from beam_pipelines.scoring.pipeline import ScoringOptions


def test_every_pipeline_parses_its_flags_with_the_others_imported():
    argv = [
        "--data_dir",
        "/d",
        "--out",
        "/o",
        "--model_dir",
        "/m",
        "--output_dir",
        "/x",
        "--num_shards",
        "3",
    ]
    options = PipelineOptions(argv)
    assert options.view_as(PreprocessOptions).data_dir == "/d"
    assert options.view_as(CandidatesOptions).num_shards == 3
    assert options.view_as(ScoringOptions).out == "/o"


def test_a_flag_registered_twice_with_another_type_is_an_error():
    parser = argparse.ArgumentParser()
    add_flag(parser, "--num_shards", type=int, default=0)
    assert add_flag(parser, "--num_shards", type=int, default=5).default == 0  # the first one wins
    with pytest.raises(TypeError, match="--num_shards is registered twice with different types"):
        add_flag(parser, "--num_shards", type=float)
