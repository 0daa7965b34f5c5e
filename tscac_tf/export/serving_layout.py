"""The TF Serving directory layout of an export: versions, atomic publishing, warmup.

ARCHITECTURE §4 (the serving contract). A model base path holds one directory per model
name, and that one directory per integer version:

    <base>/tscac/<version>/saved_model.pb
                          /variables/
                          /assets/
                          /assets.extra/tf_serving_warmup_requests

`tensorflow_model_server --model_base_path=<base>/tscac` and `tscac serve
--model-base-path <base>` both watch `<base>/tscac` and serve the newest version. A version
is written to a hidden temporary directory next to its final place and renamed into place,
so a server polling the directory never sees a half-written version (the rename is atomic
on a local POSIX filesystem). Versions are immutable: publishing onto an existing version
is an error.

The warmup file is a TFRecord of `tensorflow.serving.PredictionLog` protos; a server
replays them after loading a version and before it takes traffic, so the first real
request does not pay for graph tracing and kernel initialisation.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import uuid
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import tensorflow as tf
from tensorflow_serving.apis import model_pb2, predict_pb2, prediction_log_pb2

from tscac_tf.specs import session_schema as ss

MODEL_NAME = "tscac"
SAVED_MODEL_FILE = "saved_model.pb"
WARMUP_FILE = os.path.join("assets.extra", "tf_serving_warmup_requests")
MAX_WARMUP_RECORDS = 1000  # tensorflow_model_server reads at most this many
RANK_SIGNATURE = "rank"
RECOMMEND_SIGNATURE = "recommend"
RECOMMEND_EXCLUDING_SIGNATURE = "recommend_excluding"
_TEMP_PREFIX = ".tmp-"
WARMUP_EXCLUDED = 100  # E of the warmed `recommend_excluding` requests


@dataclasses.dataclass(frozen=True)
class WarmupRequest:
    """One request replayed at load time: a signature name and its {input: array}."""

    signature_name: str
    inputs: Mapping[str, np.ndarray]


def model_dir(base_path: str, model_name: str = MODEL_NAME) -> str:
    """`<base>/<model_name>`: the directory TF Serving calls the model's base path."""
    return os.path.join(base_path, model_name)


def version_dir(model_directory: str, version: int) -> str:
    """`<model_dir>/<version>`."""
    return os.path.join(model_directory, str(int(version)))


def list_versions(model_directory: str) -> list[int]:
    """The published versions under a model directory, ascending.

    A version is a directory whose name is a non-negative integer and that holds a
    saved_model.pb; temporary directories of unfinished publishes are ignored. Works on
    any filesystem tf.io.gfile reads (local, gs://).
    """
    if not tf.io.gfile.isdir(model_directory):
        return []
    versions = []
    for name in tf.io.gfile.listdir(model_directory):
        name = name.rstrip("/")  # gfile lists cloud "directories" with a trailing slash
        if name.isdigit() and tf.io.gfile.exists(
            os.path.join(model_directory, name, SAVED_MODEL_FILE)
        ):
            versions.append(int(name))
    return sorted(versions)


def latest_version(model_directory: str) -> int | None:
    """The newest published version, or None when there is none."""
    versions = list_versions(model_directory)
    return versions[-1] if versions else None


def resolve_saved_model_dir(path: str, model_name: str = MODEL_NAME) -> str:
    """A SavedModel directory from a SavedModel dir, a model dir, or a base path.

    Args:
      path: `<base>/tscac/<v>` (used as is), `<base>/tscac` (newest version) or `<base>`
        (newest version of `<base>/<model_name>`).
      model_name: the model directory name under a base path.

    Raises:
      FileNotFoundError: no SavedModel at, or versions under, `path`.
    """
    if tf.io.gfile.exists(os.path.join(path, SAVED_MODEL_FILE)):
        return path
    for candidate in (path, model_dir(path, model_name)):
        newest = latest_version(candidate)
        if newest is not None:
            return version_dir(candidate, newest)
    raise FileNotFoundError(
        f"no SavedModel at {path}: expected {path}/{SAVED_MODEL_FILE}, integer version "
        f"directories under {path}, or under {model_dir(path, model_name)}"
    )


def publish_version(
    write_saved_model: Callable[[str], None],
    base_path: str,
    version: int | None = None,
    model_name: str = MODEL_NAME,
    warmup_requests: Sequence[WarmupRequest] = (),
) -> str:
    """Writes a new version atomically: into a temporary directory, then renamed into place.

    Args:
      write_saved_model: writes a SavedModel into the directory it is given, e.g.
        `lambda d: tf.saved_model.save(module, d, signatures=...)`.
      base_path: the base path (`<base>`, which holds `<model_name>/`).
      version: the integer version; None means one more than the newest (1 when none).
      model_name: the model directory name.
      warmup_requests: written to assets.extra/tf_serving_warmup_requests when given.

    Returns:
      The final version directory.

    Raises:
      FileExistsError: the version is already published.
      ValueError: version is negative, or the written directory holds no saved_model.pb.
    """
    directory = model_dir(base_path, model_name)
    os.makedirs(directory, exist_ok=True)
    if version is None:
        version = (latest_version(directory) or 0) + 1
    if int(version) < 0:
        raise ValueError(f"a version must be a non-negative integer, got {version}")
    final = version_dir(directory, version)
    if os.path.exists(final):
        raise FileExistsError(
            f"version {version} already exists at {final}; versions are immutable"
        )
    temp = os.path.join(directory, f"{_TEMP_PREFIX}{version}-{uuid.uuid4().hex}")
    try:
        write_saved_model(temp)
        if not os.path.isfile(os.path.join(temp, SAVED_MODEL_FILE)):
            raise ValueError(f"write_saved_model wrote no {SAVED_MODEL_FILE} into {temp}")
        if warmup_requests:
            write_warmup_requests(temp, warmup_requests, model_name)
        # os.rename refuses a non-empty target, so two racing publishers cannot both win.
        os.rename(temp, final)
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    return final


def copy_saved_model(source_dir: str) -> Callable[[str], None]:
    """A `write_saved_model` for publish_version that copies an existing SavedModel dir."""

    def write(target: str) -> None:
        shutil.copytree(source_dir, target)

    return write


def write_warmup_requests(
    saved_model_dir: str, requests: Sequence[WarmupRequest], model_name: str = MODEL_NAME
) -> str:
    """Writes assets.extra/tf_serving_warmup_requests (TFRecord of PredictionLog).

    Raises:
      ValueError: no requests, or more than MAX_WARMUP_RECORDS.
    """
    if not requests or len(requests) > MAX_WARMUP_RECORDS:
        raise ValueError(f"expected 1 to {MAX_WARMUP_RECORDS} warmup requests, got {len(requests)}")
    path = os.path.join(saved_model_dir, WARMUP_FILE)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with tf.io.TFRecordWriter(path) as writer:
        for request in requests:
            writer.write(_prediction_log(request, model_name).SerializeToString())
    return path


def _prediction_log(request: WarmupRequest, model_name: str) -> prediction_log_pb2.PredictionLog:
    predict = predict_pb2.PredictRequest(
        model_spec=model_pb2.ModelSpec(name=model_name, signature_name=request.signature_name)
    )
    for name, value in request.inputs.items():
        predict.inputs[name].CopyFrom(tf.make_tensor_proto(np.asarray(value)))
    return prediction_log_pb2.PredictionLog(
        predict_log=prediction_log_pb2.PredictLog(request=predict)
    )


def read_warmup_requests(saved_model_dir: str) -> list[prediction_log_pb2.PredictionLog]:
    """The PredictionLogs of a version's warmup file; [] when it has none."""
    path = os.path.join(saved_model_dir, WARMUP_FILE)
    if not os.path.isfile(path):
        return []
    logs = []
    for record in tf.data.TFRecordDataset(path).as_numpy_iterator():
        logs.append(prediction_log_pb2.PredictionLog.FromString(record))
    return logs


def contract_warmup_requests(
    history_length: int = ss.DEFAULT_HISTORY_LENGTH,
    batch_sizes: Sequence[int] = (1, 32),
    num_candidates: Sequence[int] = (ss.DEFAULT_NUM_CANDIDATES, 500),
    excluding: bool = True,
) -> list[WarmupRequest]:
    """Representative `rank`, `recommend` and `recommend_excluding` requests for the warmup file.

    Ids are small non-negative integers (known or unknown, both valid) with the last
    history slot, the last candidate and the last excluded video padded, so the padding
    paths are traced too.

    Args:
      history_length: H of the export.
      batch_sizes: the B values to warm.
      num_candidates: the K values to warm for `rank`.
      excluding: warm `recommend_excluding` too (False for an export without it).
    """
    requests = []
    for batch in batch_sizes:
        history = np.arange(batch * history_length, dtype=np.int64).reshape(batch, history_length)
        history[:, -1] = ss.PADDING_ID
        play = np.where(history >= 0, 1000, 0).astype(np.int64)
        base = {
            "user_id": np.arange(batch, dtype=np.int64),
            "history_video_ids": history,
            "history_play_time_ms": play,
        }
        requests.append(WarmupRequest(RECOMMEND_SIGNATURE, base))
        if excluding:
            excluded = np.arange(batch * WARMUP_EXCLUDED, dtype=np.int64).reshape(batch, -1)
            excluded[:, -1] = ss.PADDING_ID - 1000
            excluded += 1000
            requests.append(
                WarmupRequest(
                    RECOMMEND_EXCLUDING_SIGNATURE, {**base, "exclude_video_ids": excluded}
                )
            )
        for k in num_candidates:
            candidates = np.arange(batch * k, dtype=np.int64).reshape(batch, k)
            candidates[:, -1] = ss.PADDING_ID
            requests.append(
                WarmupRequest(RANK_SIGNATURE, {**base, "candidate_video_ids": candidates})
            )
    return requests
