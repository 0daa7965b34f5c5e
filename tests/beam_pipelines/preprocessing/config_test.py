"""PreprocessConfig validation: every bad value is named with what was expected."""

import pytest

from beam_pipelines.preprocessing.config import PreprocessConfig, parse_period
from tscac_tf.specs import kuairand_schema as ks


def test_defaults_are_the_kuairand_split_and_30_minutes():
    config = PreprocessConfig(data_dir="d", out_dir="o")
    assert config.train_period == ks.TRAIN_PERIOD and config.eval_period == ks.EVAL_PERIOD
    assert config.session_gap_ms == 30 * 60_000 and config.split_on_new_day


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"data_dir": ""}, "data_dir"),
        ({"session_gap_minutes": 0}, "session_gap_minutes must be > 0"),
        ({"train_period": (20220408, 20220431)}, "train_period: expected a yyyymmdd date"),
        ({"train_period": (2022048, 20220421)}, "train_period: expected a yyyymmdd date"),
        ({"eval_period": (20220508, 20220422)}, "eval_period: first date 20220508 is after"),
        ({"eval_period": (20220420, 20220508)}, "overlap"),
        ({"num_user_buckets": 0}, "num_user_buckets must be >= 1"),
        ({"num_shards": -1}, "num_shards must be >= 0"),
        ({"read_block_bytes": 10}, "read_block_bytes"),
    ],
)
def test_invalid_values_are_rejected(overrides, message):
    with pytest.raises(ValueError, match=message):
        PreprocessConfig(**{"data_dir": "d", "out_dir": "o", **overrides})


def test_parse_period():
    assert parse_period("20220408-20220421") == (20220408, 20220421)
    with pytest.raises(ValueError, match="yyyymmdd-yyyymmdd"):
        parse_period("2022-04-08")
