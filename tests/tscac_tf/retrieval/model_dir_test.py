"""The retrieval model directory: the config round trip and a clear missing-file error."""

import pytest

from tscac_tf.retrieval import config, model_dir


def test_config_round_trip(tmp_path):
    cfg = config.preset("pure")
    model_dir.write_config(str(tmp_path), cfg)
    assert model_dir.read_config(str(tmp_path)) == cfg
    assert model_dir.index_path("/m") == "/m/index"


def test_missing_config_names_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="retrieval_config.json"):
        model_dir.read_config(str(tmp_path))
