"""Servable: one loaded version of a model, callable from many threads at once.

The unit TF Serving loads, warms, serves and unloads. Its lifetime is tracked here: a
request holds it (acquire/release) for the duration of one call, and `retire` waits until
no request holds it before the SavedModel is dropped, so unloading an old version after a
swap never fails a request that was already running on it.

Like tensorflow_model_server (a SavedModelBundle and Session::Run), it runs the
SavedModel's `serve` MetaGraph in a session, one `Session.make_callable` per signature,
instead of calling the signatures of `tf.saved_model.load`. The answers are the same; the
eager call spends about 0.2 ms more per request on Python argument binding and tensor
conversion, a fifth of the `rank` call at B = 1, K = 500 on the default preset, and over
gRPC the change took that case's p50 from about 2.4 to 2.1 ms (RESULTS.md, Speed).
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import threading
from collections.abc import Callable, Collection, Mapping

import grpc
import numpy as np
import tensorflow as tf
from tensorflow.core.protobuf import config_pb2

from serving import tensor_codec, validation
from serving.errors import ServingError, invalid_argument
from serving.signature_spec import DEFAULT_SIGNATURE, read_signature_defs, read_signature_specs
from tscac_tf.export import serving_layout

# A request's graph runs on the thread that serves it (TF's "caller thread" inter-op pool):
# these graphs are small, and handing their ops to the inter-op pool costs more than it
# gains; with the gRPC and REST threads and the client on the same cores, the hand-offs
# are where the latency tail came from (RESULTS.md, Speed). Intra-op parallelism stays.
_RUN_OPTIONS = config_pb2.RunOptions(inter_op_thread_pool=-1)

# tf.errors codes are the canonical status codes; grpc.StatusCode.value is (int, name).
_STATUS_BY_NUMBER = {code.value[0]: code for code in grpc.StatusCode}


class Servable:
    """One SavedModel version: signatures, metadata, predict, and in-flight tracking.

    Args:
      model_name: the name clients address it by.
      version: its integer version.
      path: the SavedModel directory.
    """

    def __init__(self, model_name: str, version: int, path: str):
        self.model_name = model_name
        self.version = int(version)
        self.path = path
        self.signature_defs = read_signature_defs(path)  # GetModelMetadata returns these
        self.specs = read_signature_specs(path)
        self._session, self._calls = _load_session(path, self.specs)
        self._condition = threading.Condition()
        self._in_flight = 0
        self._retired = False

    def signature(self, name: str) -> str:
        """The signature a request names ('' is serving_default); INVALID_ARGUMENT if unknown."""
        name = name or DEFAULT_SIGNATURE
        if name not in self.specs:
            raise invalid_argument(
                f'Serving signature name: "{name}" not found in signature def; '
                f"model {self.model_name} version {self.version} has {sorted(self.specs)}"
            )
        return name

    def predict(
        self,
        signature_name: str,
        inputs: Mapping[str, np.ndarray],
        limits: validation.ServingLimits | None,
        output_filter: Collection[str] = (),
    ) -> dict[str, np.ndarray]:
        """Validates the inputs and runs one signature.

        Args:
          signature_name: a signature of this model ('' for serving_default).
          inputs: {input name: array} with the signature's dtypes, [B, ...] each.
          limits: size limits, or None to skip them (warmup).
          output_filter: the outputs to return; empty returns all.

        Returns:
          {output name: array}.

        Raises:
          ServingError: INVALID_ARGUMENT for a request that does not fit the signature; the
            model's own error code when TensorFlow rejects it at run time.
        """
        name = self.signature(signature_name)
        validation.validate_inputs(self.specs[name], inputs, limits, output_filter)
        call = self._calls[name]
        try:
            values = call.run(*(inputs[k] for k in call.inputs))
        except tf.errors.OpError as e:
            raise ServingError(
                _STATUS_BY_NUMBER.get(e.error_code, grpc.StatusCode.INTERNAL), e.message
            ) from e
        outputs = dict(zip(call.outputs, values, strict=True))
        return {k: outputs[k] for k in (output_filter or call.outputs)}

    def warmup(self) -> int:
        """Replays assets.extra/tf_serving_warmup_requests; returns how many ran.

        Raises:
          ValueError: a record is not a PredictLog, or its request fails.
        """
        logs = serving_layout.read_warmup_requests(self.path)
        for i, log in enumerate(logs):
            if not log.HasField("predict_log"):
                raise ValueError(f"warmup record {i} of {self.path} is not a predict_log")
            request = log.predict_log.request
            inputs = {k: tensor_codec.to_ndarray(v, k) for k, v in request.inputs.items()}
            try:
                self.predict(request.model_spec.signature_name, inputs, None, request.output_filter)
            except ServingError as e:
                raise ValueError(f"warmup record {i} of {self.path} failed: {e}") from e
        return len(logs)

    # --- lifetime ---------------------------------------------------------------------

    def acquire(self) -> bool:
        """Marks one more request in flight; False once the servable is retired."""
        with self._condition:
            if self._retired:
                return False
            self._in_flight += 1
            return True

    def release(self) -> None:
        """Ends one request started by a successful acquire."""
        with self._condition:
            self._in_flight -= 1
            if self._in_flight == 0:
                self._condition.notify_all()

    @property
    def in_flight(self) -> int:
        with self._condition:
            return self._in_flight

    def retire(self, timeout: float | None = None) -> bool:
        """Refuses new requests, waits for the running ones, then drops the model.

        Returns:
          True when every request finished (and the model was dropped) within timeout.
        """
        with self._condition:
            self._retired = True
            drained = self._condition.wait_for(lambda: self._in_flight == 0, timeout)
            if drained:
                self._calls = {}
                self._session.close()
            return drained


@dataclasses.dataclass(frozen=True)
class _SignatureCall:
    """One signature as a session callable: run(*arrays in `inputs` order) -> arrays."""

    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    run: Callable[..., list[np.ndarray]]


def session_config() -> tf.compat.v1.ConfigProto:
    """The sessions' config: TensorFlow's thread settings of this process (`tscac serve
    --intra-op-threads/--inter-op-threads` set them; 0 is TF's default), and soft placement,
    so that an export whose ops carry device strings runs on a CPU-only server."""
    return tf.compat.v1.ConfigProto(
        allow_soft_placement=True,
        intra_op_parallelism_threads=tf.config.threading.get_intra_op_parallelism_threads(),
        inter_op_parallelism_threads=tf.config.threading.get_inter_op_parallelism_threads(),
    )


def _drop_loader_deprecation(record: logging.LogRecord) -> bool:
    """Drops TensorFlow's notice that the TF1 loader is deprecated (it stays in TF 2.x's
    tf.compat.v1, and the stack is pinned); every other log record passes."""
    return "loader_impl) is deprecated" not in record.getMessage()


def _load_session(path: str, specs) -> tuple[tf.compat.v1.Session, dict]:
    """The `serve` MetaGraph in its own graph and session, and a callable per signature.

    The graph is private to this version, so versions load, serve and close independently.
    """
    graph = tf.Graph()
    session = tf.compat.v1.Session(graph=graph, config=session_config())
    log = tf.get_logger()
    log.addFilter(_drop_loader_deprecation)
    try:
        with graph.as_default():
            meta_graph = tf.compat.v1.saved_model.loader.load(
                session, [tf.saved_model.SERVING], path
            )
    except BaseException:
        session.close()
        raise
    finally:
        log.removeFilter(_drop_loader_deprecation)
    calls = {}
    for name in specs:
        signature = meta_graph.signature_def[name]
        inputs, outputs = tuple(sorted(signature.inputs)), tuple(sorted(signature.outputs))
        tensor = graph.get_tensor_by_name
        run = session.make_callable(
            [tensor(signature.outputs[k].name) for k in outputs],
            [tensor(signature.inputs[k].name) for k in inputs],
            accept_options=True,
        )
        calls[name] = _SignatureCall(inputs, outputs, functools.partial(run, options=_RUN_OPTIONS))
    return session, calls
