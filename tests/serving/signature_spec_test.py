"""Signature specs read from saved_model.pb match the serving contract."""

import numpy as np
import pytest

from serving.signature_spec import (
    INIT_OP_SIGNATURE,
    read_signature_defs,
    read_signature_specs,
)
from tscac_tf.export import serving_layout


def test_specs_of_the_fake_export(fake_base):
    path = serving_layout.resolve_saved_model_dir(fake_base[0])
    assert INIT_OP_SIGNATURE in read_signature_defs(path)  # hash tables need the init op
    specs = read_signature_specs(path)
    assert sorted(specs) == ["rank", "recommend", "recommend_excluding", "serving_default"]
    assert specs["recommend_excluding"].inputs["exclude_video_ids"].describe() == "int64 [?, ?]"
    assert specs["recommend_excluding"].outputs == specs["recommend"].outputs
    rank = specs["rank"]
    assert rank.method_name == "tensorflow/serving/predict"
    assert rank.inputs["history_video_ids"].shape == (None, 20)
    assert rank.inputs["candidate_video_ids"].dtype == np.int64
    assert rank.inputs["candidate_video_ids"].describe() == "int64 [?, ?]"
    assert rank.outputs["preference"].describe() == "float [?, 8]"
    assert specs["serving_default"].outputs == specs["recommend"].outputs


def test_missing_saved_model(tmp_path):
    with pytest.raises(Exception, match="saved_model.pb"):
        read_signature_defs(str(tmp_path))
