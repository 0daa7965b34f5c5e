"""PreprocessOptions -> PreprocessConfig, beside Beam's own flags."""

import pytest
from apache_beam.options.pipeline_options import DirectOptions, PipelineOptions

from beam_pipelines.preprocessing.options import to_config


def test_flags_become_the_config_and_beam_flags_stay_beam_flags():
    options = PipelineOptions(
        [
            "--data_dir=in",
            "--out=out",
            "--session_gap_minutes=10",
            "--no_new_day_split",
            "--train_period=20220401-20220410",
            "--eval_period=20220411-20220420",
            "--skip_random_logs",
            "--num_user_buckets=4",
            "--num_shards=2",
            "--read_block_mb=0.5",
            "--direct_num_workers=2",
        ]
    )
    config = to_config(options)
    assert (config.data_dir, config.out_dir) == ("in", "out")
    assert config.session_gap_ms == 600_000 and not config.split_on_new_day
    assert config.train_period == (20220401, 20220410)
    assert config.eval_period == (20220411, 20220420)
    assert not config.include_random_logs
    assert (config.num_user_buckets, config.num_shards) == (4, 2)
    assert config.read_block_bytes == 512 * 1024
    assert options.view_as(DirectOptions).direct_num_workers == 2


def test_missing_required_flag_is_named():
    with pytest.raises(ValueError, match="--out is required"):
        to_config(PipelineOptions(["--data_dir=in"]))
