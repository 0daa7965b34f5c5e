"""Servable: one loaded version of a model, callable from many threads at once.

The unit TF Serving loads, warms, serves and unloads. Its lifetime is tracked here: a
request holds it (acquire/release) for the duration of one call, and `retire` waits until
no request holds it before the SavedModel is dropped, so unloading an old version after a
swap never fails a request that was already running on it.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Mapping

import grpc
import numpy as np
import tensorflow as tf

from serving import tensor_codec, validation
from serving.errors import ServingError, invalid_argument
from serving.signature_spec import DEFAULT_SIGNATURE, read_signature_defs, read_signature_specs
from tscac_tf.export import serving_layout

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
        self._loaded = tf.saved_model.load(path)
        self._functions = {name: self._loaded.signatures[name] for name in self.specs}
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
        try:
            outputs = self._functions[name](**{k: tf.constant(v) for k, v in inputs.items()})
        except tf.errors.OpError as e:
            raise ServingError(
                _STATUS_BY_NUMBER.get(e.error_code, grpc.StatusCode.INTERNAL), e.message
            ) from e
        keep = output_filter or outputs.keys()
        return {k: outputs[k].numpy() for k in keep}

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
                self._functions = {}
                self._loaded = None
            return drained
