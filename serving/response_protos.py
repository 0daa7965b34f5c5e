"""The status and metadata answers, built once as the TF Serving protos both APIs return.

gRPC sends these protos as they are; REST prints them to JSON the way
tensorflow_model_server does (http_rest_api_util.cc), so the two never drift apart.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from google.protobuf import json_format
from tensorflow.core.protobuf import meta_graph_pb2
from tensorflow_serving.apis import (
    get_model_metadata_pb2,
    get_model_status_pb2,
    model_pb2,
    status_pb2,
)

from serving.errors import invalid_argument
from serving.model_registry import VersionStatus

SIGNATURE_DEF_FIELD = "signature_def"


def model_spec(name: str, version: int, signature_name: str | None = None) -> model_pb2.ModelSpec:
    spec = model_pb2.ModelSpec(name=name)
    spec.version.value = int(version)
    if signature_name is not None:
        spec.signature_name = signature_name
    return spec


def status_response(
    statuses: Sequence[VersionStatus],
) -> get_model_status_pb2.GetModelStatusResponse:
    response = get_model_status_pb2.GetModelStatusResponse()
    for s in statuses:
        entry = response.model_version_status.add(version=s.version, state=s.state)
        entry.status.CopyFrom(
            status_pb2.StatusProto(error_code=s.error_code.value[0], error_message=s.error_message)
        )
    return response


def check_metadata_fields(fields: Sequence[str]) -> None:
    """TF Serving serves one metadata field, signature_def; INVALID_ARGUMENT otherwise."""
    if not fields:
        raise invalid_argument("GetModelMetadataRequest must specify at least one metadata_field")
    for field in fields:
        if field != SIGNATURE_DEF_FIELD:
            raise invalid_argument(f"Metadata field {field} is not supported")


def metadata_response(
    name: str, version: int, signature_defs: Mapping[str, meta_graph_pb2.SignatureDef]
) -> get_model_metadata_pb2.GetModelMetadataResponse:
    response = get_model_metadata_pb2.GetModelMetadataResponse(model_spec=model_spec(name, version))
    signature_map = get_model_metadata_pb2.SignatureDefMap()
    for key, signature in signature_defs.items():
        signature_map.signature_def[key].CopyFrom(signature)
    response.metadata[SIGNATURE_DEF_FIELD].Pack(signature_map)
    return response


def status_json(response: get_model_status_pb2.GetModelStatusResponse) -> bytes:
    """`{"model_version_status": [{"version": "3", "state": "AVAILABLE", "status": {...}}]}`."""
    return json_format.MessageToJson(
        response, always_print_fields_with_no_presence=True, indent=1
    ).encode()


def metadata_json(response: get_model_metadata_pb2.GetModelMetadataResponse) -> bytes:
    """`{"model_spec": {...}, "metadata": {"signature_def": {"signature_def": {...}}}}`."""
    signature_map = get_model_metadata_pb2.SignatureDefMap()
    response.metadata[SIGNATURE_DEF_FIELD].Unpack(signature_map)
    options = {"preserving_proto_field_name": True, "always_print_fields_with_no_presence": True}
    body = {
        "model_spec": json_format.MessageToDict(response.model_spec, **options),
        "metadata": {SIGNATURE_DEF_FIELD: json_format.MessageToDict(signature_map, **options)},
    }
    return json.dumps(body, indent=1).encode()
