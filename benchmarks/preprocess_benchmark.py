"""ExampleGen throughput: the Beam pipeline on the DirectRunner vs plain pandas, same data.

    .venv/bin/python benchmarks/preprocess_benchmark.py                  # generates `default`
    .venv/bin/python benchmarks/preprocess_benchmark.py --data-dir DIR   # an existing dir
    .venv/bin/python benchmarks/preprocess_benchmark.py --stand-in-rows 300000

Data: by default the synthetic world's `default` preset (~300K rows), written by
`tscac generate --preset default`; `--stand-in-rows N` writes N random exposures over the
real KuaiRand-Pure tables instead (for when the generator is not available).

Runs, in one process, one after the other on the same files:
  beam-1: pipeline.run on the DirectRunner (FnApiRunner, in memory, one worker);
  beam-N: the same with --direct_num_workers N --direct_running_mode multi_processing;
  pandas: a straightforward single-process pandas version of the same transformation
          (read, validate against the schema, join, de-duplicate, sessionise, encode the
          same SequenceExamples with the same encoder, write gzip TFRecords and JSON).
Checks both produce the same sessions and steps per split, prints rows/s and the ratios,
and writes benchmarks/results/preprocess.json. Targets: default preset < 120 s on the
DirectRunner, and within 5x of pandas.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time

import tscac_tf  # noqa: F401  (TF_USE_LEGACY_KERAS before TensorFlow)

# isort: split
import numpy as np
import pandas as pd
import tensorflow as tf

from beam_pipelines.preprocessing import pipeline
from beam_pipelines.preprocessing.config import PreprocessConfig
from beam_pipelines.preprocessing.encode_sessions import serialize_session, watch_ratio
from beam_pipelines.preprocessing.input_files import find_input_files
from tscac_tf.features.feature_tables import FeatureTables
from tscac_tf.specs import kuairand_schema as ks
from tscac_tf.specs import responses
from tscac_tf.specs import session_schema as ss

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS = os.path.join(REPO, "benchmarks", "results", "preprocess.json")
PURE = os.path.join(REPO, "tscac_tf", "datasets", "kuairand_pure")


# --- data -------------------------------------------------------------------------------


def generate_default_preset(out: str) -> str:
    """`tscac generate --out OUT --preset default`; RuntimeError when it is not available."""
    if not os.path.exists(os.path.join(REPO, "tscac_tf", "cli", "generate.py")):
        raise RuntimeError(
            "the synthetic world generator (`tscac generate`, tscac_tf/cli/generate.py) is not "
            "available yet; pass --data-dir DIR or --stand-in-rows N"
        )
    env = dict(os.environ, TF_USE_LEGACY_KERAS="1")
    cmd = [sys.executable, "-m", "tscac_tf.cli", "generate", "--out", out, "--preset", "default"]
    subprocess.run(cmd, check=True, env=env, cwd=REPO)
    return out


def write_stand_in(out: str, rows: int, seed: int = 0) -> str:
    """Random sessions of 5,000 real users over the real tables, in the synthetic layout."""
    rng = np.random.default_rng(seed)
    os.makedirs(out, exist_ok=True)
    shutil.copy(
        os.path.join(PURE, "user_features_pure.csv"), os.path.join(out, "user_features.csv")
    )
    shutil.copy(
        os.path.join(PURE, "video_features_basic_pure.csv"),
        os.path.join(out, "video_features_basic.csv"),
    )
    users = pd.read_csv(os.path.join(PURE, "user_features_pure.csv"), usecols=["user_id"])
    videos = pd.read_csv(os.path.join(PURE, "video_features_basic_pure.csv"), usecols=["video_id"])
    lengths = rng.integers(1, 20, rows // 10 + 1)
    lengths = lengths[: np.searchsorted(np.cumsum(lengths), rows) + 1]
    n = int(lengths.sum())
    day = np.repeat(rng.integers(0, 31, len(lengths)), lengths)
    start = np.repeat(rng.integers(8 * 3_600_000, 22 * 3_600_000, len(lengths)), lengths)
    first = np.repeat(np.cumsum(lengths) - lengths, lengths)
    gaps = rng.integers(5_000, 120_000, n)
    offset = np.cumsum(gaps) - np.concatenate([[0], np.cumsum(gaps)])[first]
    ms_of_day = np.minimum(start + offset, 86_399_999)
    time_ms = 1_649_347_200_000 + day * 86_400_000 + ms_of_day  # 2022-04-08 00:00 UTC+8
    dates = pd.to_datetime("2022-04-08") + pd.to_timedelta(day, unit="D")
    duration = rng.integers(3_000, 200_000, n)
    play = (duration * rng.random(n) * 1.2).astype(np.int64)
    log = pd.DataFrame(
        {
            "user_id": np.repeat(
                rng.choice(users.user_id.to_numpy()[:5000], len(lengths)), lengths
            ),
            "video_id": rng.choice(videos.video_id.to_numpy(), n),
            "date": dates.strftime("%Y%m%d").astype(int),
            "hourmin": ms_of_day // 3_600_000 * 100,
            "time_ms": time_ms,
        }
    )
    for name, rate in (("is_like", 0.02), ("is_follow", 0.001), ("is_comment", 0.003)):
        log[name] = (rng.random(n) < rate).astype(int)
    log["is_forward"] = (rng.random(n) < 0.001).astype(int)
    log["is_hate"] = (rng.random(n) < 0.0005).astype(int)
    log["is_click"] = ks.is_click(play, duration).astype(int)
    log["long_view"] = ks.is_long_view(play, duration).astype(int)
    log["play_time_ms"], log["duration_ms"] = play, duration
    for name in ("profile_stay_time", "comment_stay_time", "is_profile_enter", "is_rand"):
        log[name] = 0
    log["tab"] = 1
    log["behavior_propensity"] = np.round(rng.random(n), 4)
    log = log[list(ks.LOG_COLUMN_NAMES) + ["behavior_propensity"]].sample(frac=1, random_state=seed)
    train = log.date <= ks.TRAIN_PERIOD[1]
    log[train].to_csv(os.path.join(out, ks.TRAIN_LOG_NAME.format(version="synthetic")), index=False)
    log[~train].to_csv(os.path.join(out, ks.EVAL_LOG_NAME.format(version="synthetic")), index=False)
    return out


# --- the pandas baseline ----------------------------------------------------------------


def _invalid(frame: pd.DataFrame, columns) -> pd.Series:
    """True for rows failing kuairand_schema: missing, not a number, range, date, hhmm."""
    bad = pd.Series(False, index=frame.index)
    for c in columns:
        if c.kind == "str":
            if c.required:
                bad |= frame[c.name].isna()
            continue
        v = pd.to_numeric(frame[c.name], errors="coerce")
        missing = v.isna() | v.isin(c.missing_codes)
        bad |= (v.isna() & c.required) | (frame[c.name].notna() & v.isna())
        if c.kind != "float":
            bad |= ~missing & (v % 1 != 0)
        if c.low is not None:
            bad |= ~missing & (v < c.low)
        if c.high is not None:
            bad |= ~missing & (v > c.high)
        if c.kind == "date":
            text = v.where(v % 1 == 0).astype("Int64").astype(str)
            bad |= pd.to_datetime(text, format="%Y%m%d", errors="coerce").isna()
        if c.kind == "hourmin":
            bad |= (v // 100 > 23) | (v % 100 > 59)
    return bad


def _table(path: str, columns, key: str) -> tuple[pd.DataFrame, int]:
    frame = pd.read_csv(path)
    bad = _invalid(frame, columns)
    if "user_active_degree" in frame:
        bad |= ~frame.user_active_degree.isin(ks.USER_ACTIVE_DEGREES)
    good = frame[~bad]
    return good[~good[key].duplicated()], int(bad.sum() + good[key].duplicated().sum())


def pandas_preprocess(config: PreprocessConfig) -> dict:
    """The same transformation in one process with pandas; returns sessions/steps/rejected."""
    files = find_input_files(config.data_dir, config.include_random_logs)
    users, rejected = _table(files.user_file, ks.USER_COLUMNS, "user_id")
    videos, rejected_videos = _table(files.video_file, ks.VIDEO_COLUMNS, "video_id")
    tables = FeatureTables.from_frames(users, videos)
    tables.save(config.out_dir)
    logs = pd.concat(
        [
            pd.read_csv(f).assign(_file=i, _line=lambda d: d.index + 2)
            for i, f in enumerate(files.log_files)
        ],
        ignore_index=True,
    )
    if ks.PROPENSITY_COLUMN.name not in logs:
        logs[ks.PROPENSITY_COLUMN.name] = ss.NO_PROPENSITY
    logs[ks.PROPENSITY_COLUMN.name] = logs[ks.PROPENSITY_COLUMN.name].fillna(ss.NO_PROPENSITY)
    bad = _invalid(logs, [*ks.LOG_COLUMNS, ks.PROPENSITY_COLUMN])
    in_train = logs.date.between(*config.train_period)
    bad |= ~(in_train | logs.date.between(*config.eval_period))
    bad |= ~logs.user_id.isin(users.user_id) | ~logs.video_id.isin(videos.video_id)
    logs = logs[~bad].sort_values(["user_id", "time_ms", "_file", "_line"], ignore_index=True)
    dup = logs.duplicated(["user_id", "video_id", "time_ms"])
    logs = logs[~dup].reset_index(drop=True)
    logs[list(ks.LOG_COLUMN_NAMES)] = logs[list(ks.LOG_COLUMN_NAMES)].astype(np.int64)
    new = (
        (logs.user_id != logs.user_id.shift())
        | (logs.time_ms.diff() > config.session_gap_ms)
        | (config.split_on_new_day & (logs.date != logs.date.shift()))
    )
    starts = np.flatnonzero(new.to_numpy())
    heads = logs.iloc[starts]
    index = heads.groupby(["user_id", "date"]).cumcount().to_numpy()
    split = np.where(heads.date.between(*config.train_period), ss.TRAIN_SPLIT, ss.EVAL_SPLIT)
    _write_sessions(logs, starts, index, split, tables, config.out_dir)
    _write_statistics(logs, starts, split, config.out_dir)
    lengths = np.diff(np.append(starts, len(logs)))
    return {
        "sessions": {s: int((split == s).sum()) for s in (ss.TRAIN_SPLIT, ss.EVAL_SPLIT)},
        "steps": {s: int(lengths[split == s].sum()) for s in (ss.TRAIN_SPLIT, ss.EVAL_SPLIT)},
        "rejected": int(bad.sum() + dup.sum()) + rejected + rejected_videos,
    }


def _write_sessions(logs, starts, index, split, tables: FeatureTables, out_dir: str) -> None:
    columns = {n: logs[n].tolist() for n in (*ss.STEP_INT64, *ss.STEP_FLOAT)}
    video_rows = tables.video_rows(logs.video_id.to_numpy())
    video_cat = tables.video_categorical[video_rows].tolist()
    video_num = tables.video_numeric[video_rows].tolist()
    ratios = watch_ratio(logs.play_time_ms, logs.duration_ms).tolist()
    user_rows = tables.user_rows(logs.user_id.to_numpy())
    user_ids, dates = logs.user_id.tolist(), logs.date.tolist()
    ends = np.append(starts[1:], len(logs))
    writers = {}
    for name in (ss.TRAIN_SPLIT, ss.EVAL_SPLIT):
        os.makedirs(os.path.join(out_dir, name), exist_ok=True)
        path = os.path.join(out_dir, name, "sessions-00000-of-00001.tfrecord.gz")
        writers[name] = tf.io.TFRecordWriter(path, "GZIP")
    for s, (begin, end) in enumerate(zip(starts.tolist(), ends.tolist(), strict=True)):
        user, date = user_ids[begin], dates[begin]
        context = {
            "user_id": user,
            "date": date,
            "session_index": int(index[s]),
            "session_id": f"{user}-{date}-{index[s]}",
        }
        row = user_rows[begin]
        writers[split[s]].write(
            serialize_session(
                context,
                {n: v[begin:end] for n, v in columns.items()},
                (tables.user_categorical[row].tolist(), tables.user_numeric[row].tolist()),
                (video_cat[begin:end], video_num[begin:end]),
                ratios[begin:end],
            )
        )
    for writer in writers.values():
        writer.close()


def _write_statistics(logs, starts, split, out_dir: str) -> None:
    lengths = np.diff(np.append(starts, len(logs)))
    logs = logs.assign(_split=np.repeat(split, lengths))
    stats = {}
    for name, group in logs.groupby("_split"):
        stats[name] = {
            r.name: {
                "mean_raw": float(group[r.log_column].mean()),
                "std": float(group[r.log_column].std(ddof=0)),
            }
            for r in responses.RESPONSES
        }
    with open(os.path.join(out_dir, "statistics.json"), "w") as f:
        json.dump(stats, f)


# --- the runs ---------------------------------------------------------------------------


def _timed(fn):
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def count_rows(data_dir: str) -> int:
    files = find_input_files(data_dir)
    total = 0
    for path in files.log_files:
        with open(path, "rb") as f:
            total += sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 24), b"")) - 1
    return total


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", help="an existing KuaiRand-format directory")
    parser.add_argument("--stand-in-rows", type=int, help="write N random rows instead")
    parser.add_argument("--data-note", default="", help="what --data-dir holds (for the JSON)")
    parser.add_argument("--workers", type=int, default=2, help="processes of the beam-N run")
    parser.add_argument("--results", default=RESULTS)
    args = parser.parse_args(argv)
    scratch = tempfile.mkdtemp(prefix="tscac_preprocess_bench_")
    try:
        if args.data_dir:
            data_dir, source = args.data_dir, f"given: {args.data_dir} {args.data_note}".strip()
        elif args.stand_in_rows:
            data_dir = write_stand_in(os.path.join(scratch, "data"), args.stand_in_rows)
            source = f"stand-in: {args.stand_in_rows} random rows over the KuaiRand-Pure tables"
        else:
            data_dir = generate_default_preset(os.path.join(scratch, "data"))
            source = "synthetic world, preset default (tscac generate)"
        rows = count_rows(data_dir)
        print(f"data: {source}; {rows} log rows")
        runs = {}
        beam_args = {
            "beam_1_worker": [],
            f"beam_{args.workers}_workers": [
                f"--direct_num_workers={args.workers}",
                "--direct_running_mode=multi_processing",
            ],
        }
        for name, extra in beam_args.items():
            out = os.path.join(scratch, name)
            summary, seconds = _timed(
                lambda out=out, extra=extra: pipeline.run(
                    [f"--data_dir={data_dir}", f"--out={out}", *extra]
                )
            )
            runs[name] = {
                "seconds": seconds,
                "sessions": summary["sessions"],
                "steps": summary["steps"],
            }
            print(f"{name}: {seconds:.1f} s, {rows / seconds:,.0f} rows/s")
        config = PreprocessConfig(data_dir=data_dir, out_dir=os.path.join(scratch, "pandas"))
        result, seconds = _timed(lambda: pandas_preprocess(config))
        runs["pandas"] = {
            "seconds": seconds,
            "sessions": result["sessions"],
            "steps": result["steps"],
        }
        print(f"pandas: {seconds:.1f} s, {rows / seconds:,.0f} rows/s")
        for name in beam_args:
            same = (
                runs[name]["sessions"] == runs["pandas"]["sessions"]
                and runs[name]["steps"] == runs["pandas"]["steps"]
            )
            if not same:
                raise AssertionError(
                    f"{name} and pandas disagree: {runs[name]} vs {runs['pandas']}"
                )
            runs[name]["ratio_to_pandas"] = runs[name]["seconds"] / runs["pandas"]["seconds"]
            print(f"{name} / pandas time ratio: {runs[name]['ratio_to_pandas']:.2f} (target <= 5)")
        for run in runs.values():
            run["rows_per_second"] = rows / run["seconds"]
        document = {
            "benchmark": "preprocess (Beam ExampleGen vs pandas)",
            "data": source,
            "rows": rows,
            "runs": runs,
            "targets": {"beam_seconds": 120, "ratio_to_pandas": 5},
            "machine": {
                "cpus": os.cpu_count(),
                "python": platform.python_version(),
                "load_average": os.getloadavg(),
            },
            "command": "benchmarks/preprocess_benchmark.py "
            + " ".join(argv if argv is not None else sys.argv[1:]),
        }
        os.makedirs(os.path.dirname(args.results), exist_ok=True)
        with open(args.results, "w") as f:
            json.dump(document, f, indent=1, sort_keys=True)
        print(f"wrote {args.results}")
        return 0
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
