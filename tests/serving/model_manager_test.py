"""The ModelManager resolves models and versions, decodes lazily, and polls in the background."""

import time

import grpc
import numpy as np
import pytest

from serving.errors import ServingError
from serving.model_manager import ModelManager, ModelRef
from serving.model_registry import ModelRegistry
from serving.server_config import ModelConfig
from serving.validation import ServingLimits
from tscac_tf.export import serving_layout
from tscac_tf.testing import fake_serving_model as fsm


def test_predict_metadata_status_and_unknown_model(fake_base):
    registry = ModelRegistry(ModelConfig("tscac", serving_layout.model_dir(fake_base[0])))
    manager = ModelManager([registry], ServingLimits())
    manager.poll_once()
    inputs = fsm.example_inputs("rank")
    seen = []

    def decode(spec):  # REST decodes with the signature's dtypes, after resolution
        seen.append(spec.name)
        return inputs

    result = manager.predict(ModelRef("tscac"), "rank", decode)
    assert (result.version, result.signature_name, seen) == (1, "rank", ["rank"])
    np.testing.assert_allclose(
        result.outputs["scores"], fake_base[1].rank(**inputs)["scores"].numpy(), rtol=1e-6
    )
    version, defs = manager.metadata(ModelRef("tscac", version=1))
    assert version == 1 and "recommend" in defs
    assert [s.version for s in manager.status(ModelRef("tscac"))] == [1]
    assert manager.signature_spec(ModelRef("tscac"), "").name == "serving_default"
    with pytest.raises(ServingError, match=r"Latest\(other\)") as error:
        manager.predict(ModelRef("other"), "rank", inputs)
    assert error.value.code == grpc.StatusCode.NOT_FOUND
    manager.unload_all()


def test_background_polling_picks_up_a_new_version(tmp_path):
    base = str(tmp_path)
    registry = ModelRegistry(ModelConfig("tscac", serving_layout.model_dir(base)))
    manager = ModelManager([registry], ServingLimits())
    manager.poll_once()
    assert registry.loaded_versions() == []
    manager.start_polling(0.05)
    try:
        fsm.publish_fake_serving_model(base)
        deadline = time.monotonic() + 20
        while registry.loaded_versions() != [1]:
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        manager.stop_polling()
        manager.unload_all()
