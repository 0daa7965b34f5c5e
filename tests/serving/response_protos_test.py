"""Status and metadata answers, and their JSON as tensorflow_model_server prints it."""

import json

import grpc
import pytest
from tensorflow_serving.apis import get_model_metadata_pb2, get_model_status_pb2

from serving import response_protos
from serving.errors import ServingError
from serving.model_registry import VersionStatus
from serving.signature_spec import read_signature_defs
from tscac_tf.export import serving_layout

State = get_model_status_pb2.ModelVersionStatus.State


def test_status_json():
    statuses = [
        VersionStatus(1, State.END),
        VersionStatus(2, State.AVAILABLE),
        VersionStatus(3, State.END, grpc.StatusCode.UNKNOWN, "load failed: x"),
    ]
    body = json.loads(response_protos.status_json(response_protos.status_response(statuses)))
    assert body["model_version_status"][1] == {
        "version": "2",
        "state": "AVAILABLE",
        "status": {"error_code": "OK", "error_message": ""},
    }
    assert body["model_version_status"][2]["status"] == {
        "error_code": "UNKNOWN",
        "error_message": "load failed: x",
    }


def test_metadata_response_and_json(fake_base):
    defs = read_signature_defs(serving_layout.resolve_saved_model_dir(fake_base[0]))
    response = response_protos.metadata_response("tscac", 1, defs)
    unpacked = get_model_metadata_pb2.SignatureDefMap()
    assert response.metadata["signature_def"].Unpack(unpacked)
    assert unpacked.signature_def["rank"] == defs["rank"]
    body = json.loads(response_protos.metadata_json(response))
    assert body["model_spec"] == {"name": "tscac", "signature_name": "", "version": "1"}
    rank = body["metadata"]["signature_def"]["signature_def"]["rank"]
    assert rank["method_name"] == "tensorflow/serving/predict"
    assert rank["inputs"]["user_id"]["dtype"] == "DT_INT64"


@pytest.mark.parametrize("fields, message", [([], "at least one"), (["x"], "Metadata field x")])
def test_metadata_fields(fields, message):
    with pytest.raises(ServingError, match=message):
        response_protos.check_metadata_fields(fields)
    response_protos.check_metadata_fields(["signature_def"])
