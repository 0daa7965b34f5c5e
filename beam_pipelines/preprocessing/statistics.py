"""ComputeStatistics: numeric moments and every response's rate per split -> statistics.json.

Each SessionBatch contributes partial moments (count, mean, M2) per (split, quantity);
partials merge exactly (Chan et al. 1979), so the result does not depend on how users are
bucketed. Responses are reported one by one, never summed:

  responses[name] = {"mean_raw": E[raw log column],       (the rate, for 0/1 signals)
                     "mean_reward": sign * scale * E[raw],
                     "std_reward": scale * std(raw)}
"""

from __future__ import annotations

import apache_beam as beam
import numpy as np

from beam_pipelines.preprocessing import event_batch as eb
from beam_pipelines.preprocessing import output_files
from beam_pipelines.preprocessing.encode_sessions import watch_ratio
from beam_pipelines.preprocessing.sessionize import SPLIT_CODES
from beam_pipelines.preprocessing.sessionize_events import SessionBatch
from tscac_tf.specs import responses
from tscac_tf.specs import session_schema as ss

NUMERIC = ("play_time_ms", "duration_ms", "profile_stay_time", "comment_stay_time")
Moments = tuple[int, float, float]  # (count, mean, M2 = sum of squared deviations)


def moments_of(values: np.ndarray) -> Moments:
    """(n, mean, M2) of a 1-D array; (0, 0, 0) when empty."""
    values = np.asarray(values, np.float64)
    if not len(values):
        return 0, 0.0, 0.0
    mean = float(values.mean())
    return len(values), mean, float(((values - mean) ** 2).sum())


def merge_moments(a: Moments, b: Moments) -> Moments:
    """Moments of the union of two samples.

    n = n_a + n_b;  δ = mean_b − mean_a;  mean = mean_a + δ n_b / n;
    M2 = M2_a + M2_b + δ² n_a n_b / n
    """
    (na, ma, sa), (nb, mb, sb) = a, b
    n = na + nb
    if n == 0:
        return 0, 0.0, 0.0
    delta = mb - ma
    return n, ma + delta * nb / n, sa + sb + delta * delta * na * nb / n


def batch_moments(batch: SessionBatch) -> dict:
    """{(split, quantity): Moments} of one SessionBatch."""
    events = batch.events
    split_of_row = np.repeat(batch.split, batch.lengths)
    quantities = {name: events[name] for name in NUMERIC}
    quantities["watch_ratio"] = watch_ratio(events["play_time_ms"], events["duration_ms"])
    for spec in responses.RESPONSES:
        quantities[f"response/{spec.name}"] = events[spec.log_column]
    known = events[eb.PROPENSITY] != ss.NO_PROPENSITY
    out = {}
    for code, split in SPLIT_CODES.items():
        rows = split_of_row == code
        sessions = batch.split == code
        for name, values in quantities.items():
            out[(split, name)] = moments_of(values[rows])
        out[(split, "behavior_propensity")] = moments_of(events[eb.PROPENSITY][rows & known])
        out[(split, "session_length")] = moments_of(batch.lengths[sessions])
        users = events["user_id"][batch.starts[sessions]]
        out[(split, "users")] = (len(np.unique(users)), 0.0, 0.0)  # buckets split users
    return out


class MomentsCombineFn(beam.CombineFn):
    """Merges {(split, quantity): Moments} dicts."""

    def create_accumulator(self):
        return {}

    def add_input(self, accumulator, element):
        return self.merge_accumulators([accumulator, element])

    def merge_accumulators(self, accumulators):
        merged = {}
        for acc in accumulators:
            for key, value in acc.items():
                merged[key] = merge_moments(merged.get(key, (0, 0.0, 0.0)), value)
        return merged

    def extract_output(self, accumulator):
        return accumulator


def _mean_std(m: Moments) -> dict:
    n, mean, m2 = m
    return {"count": n, "mean": mean, "std": float(np.sqrt(m2 / n)) if n else 0.0}


def statistics_json(merged: dict) -> dict:
    """The statistics.json document from merged moments."""
    out = {}
    for split in SPLIT_CODES.values():

        def get(name: str, split: str = split) -> Moments:
            return merged.get((split, name), (0, 0.0, 0.0))

        length = get("session_length")
        steps = get("play_time_ms")[0]
        resp = {}
        for spec in responses.RESPONSES:
            n, mean, m2 = get(f"response/{spec.name}")
            std = float(np.sqrt(m2 / n)) if n else 0.0
            resp[spec.name] = {
                "mean_raw": mean,
                "mean_reward": float(spec.reward_from_raw(mean)),
                "std_reward": spec.scale * std,
            }
        out[split] = {
            "steps": steps,
            "sessions": length[0],
            "users": get("users")[0],
            "session_length": _mean_std(length),
            "numeric": {
                n: _mean_std(get(n)) for n in (*NUMERIC, "watch_ratio", "behavior_propensity")
            },
            "responses": resp,
        }
    return out


def _write(merged: dict, out_dir: str) -> dict:
    document = statistics_json(merged)
    output_files.write_json(
        output_files.output_path(out_dir, output_files.STATISTICS_FILE), document
    )
    return document


def _tallies(document: dict):
    for split, values in document.items():
        yield ("sessions", split), values["sessions"]
        yield ("steps", split), values["steps"]


class ComputeStatistics(beam.PTransform):
    """SessionBatch -> OUT/statistics.json; outputs (("sessions"|"steps", split), n) tallies."""

    def __init__(self, out_dir: str):
        super().__init__()
        self._out_dir = out_dir

    def expand(self, sessions):
        return (
            sessions
            | "PartialMoments" >> beam.Map(batch_moments)
            | "MergeMoments" >> beam.CombineGlobally(MomentsCombineFn())
            | "WriteStatistics" >> beam.Map(_write, self._out_dir)
            | "SessionTallies" >> beam.FlatMap(_tallies)
        )
