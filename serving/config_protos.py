"""The TF Serving config protos of serving/configs/, for parsing and checking them.

ModelServerConfig ships with tensorflow-serving-api. BatchingParameters
(tensorflow_serving/servables/tensorflow/session_bundle_config.proto) and MonitoringConfig
(tensorflow_serving/config/monitoring_config.proto) do not, so their schemas are declared
here, field for field with the same names, types and numbers as tensorflow_model_server
reads them, in a private descriptor pool.
"""

from __future__ import annotations

from google.protobuf import (
    descriptor_pb2,
    descriptor_pool,
    message_factory,
    text_format,
    wrappers_pb2,
)
from tensorflow_serving.config import model_server_config_pb2

_PACKAGE = "tensorflow.serving"
_F = descriptor_pb2.FieldDescriptorProto

# (name, number, type, label, message type) per field.
_BATCHING_FIELDS = (
    ("max_batch_size", 1, _F.TYPE_MESSAGE, _F.LABEL_OPTIONAL, ".google.protobuf.Int64Value"),
    ("batch_timeout_micros", 2, _F.TYPE_MESSAGE, _F.LABEL_OPTIONAL, ".google.protobuf.Int64Value"),
    ("max_enqueued_batches", 3, _F.TYPE_MESSAGE, _F.LABEL_OPTIONAL, ".google.protobuf.Int64Value"),
    ("num_batch_threads", 4, _F.TYPE_MESSAGE, _F.LABEL_OPTIONAL, ".google.protobuf.Int64Value"),
    ("thread_pool_name", 5, _F.TYPE_MESSAGE, _F.LABEL_OPTIONAL, ".google.protobuf.StringValue"),
    ("allowed_batch_sizes", 6, _F.TYPE_INT64, _F.LABEL_REPEATED, None),
    ("pad_variable_length_inputs", 7, _F.TYPE_BOOL, _F.LABEL_OPTIONAL, None),
)
_PROMETHEUS_FIELDS = (
    ("enable", 1, _F.TYPE_BOOL, _F.LABEL_OPTIONAL, None),
    ("path", 2, _F.TYPE_STRING, _F.LABEL_OPTIONAL, None),
)
_MONITORING_FIELDS = (
    ("prometheus_config", 1, _F.TYPE_MESSAGE, _F.LABEL_OPTIONAL, f".{_PACKAGE}.PrometheusConfig"),
)


def _message(name: str, fields) -> descriptor_pb2.DescriptorProto:
    message = descriptor_pb2.DescriptorProto(name=name)
    for field_name, number, kind, label, type_name in fields:
        field = message.field.add(name=field_name, number=number, type=kind, label=label)
        if type_name:
            field.type_name = type_name
    return message


def _build_pool() -> descriptor_pool.DescriptorPool:
    pool = descriptor_pool.DescriptorPool()
    pool.Add(descriptor_pb2.FileDescriptorProto.FromString(wrappers_pb2.DESCRIPTOR.serialized_pb))
    schema = descriptor_pb2.FileDescriptorProto(
        name="tscac/tf_serving_configs.proto",
        package=_PACKAGE,
        syntax="proto3",
        dependency=["google/protobuf/wrappers.proto"],
    )
    schema.message_type.extend(
        [
            _message("BatchingParameters", _BATCHING_FIELDS),
            _message("PrometheusConfig", _PROMETHEUS_FIELDS),
            _message("MonitoringConfig", _MONITORING_FIELDS),
        ]
    )
    pool.Add(schema)
    return pool


_POOL = _build_pool()
BatchingParameters = message_factory.GetMessageClass(
    _POOL.FindMessageTypeByName(f"{_PACKAGE}.BatchingParameters")
)
MonitoringConfig = message_factory.GetMessageClass(
    _POOL.FindMessageTypeByName(f"{_PACKAGE}.MonitoringConfig")
)
ModelServerConfig = model_server_config_pb2.ModelServerConfig


def parse_config_file(path: str, message_class):
    """Parses a text-proto config file into `message_class`; ValueError names the file."""
    with open(path) as f:
        try:
            return text_format.Parse(f.read(), message_class())
        except text_format.ParseError as e:
            raise ValueError(f"{path} is not a valid {message_class.DESCRIPTOR.name}: {e}") from e
