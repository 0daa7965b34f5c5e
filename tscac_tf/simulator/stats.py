"""Response rates and main distributions of a KuaiRand-format directory, real or synthetic.

`tscac stats DIR` prints them beside the published KuaiRand-Pure figures
(kuairand_reference.py). Log files are found by kuairand_schema.LOG_FILE_PATTERN, so real
names (log_standard_4_08_to_4_21_pure.csv, log_standard_4_22_to_5_08_27k_part1.csv, ...) and
synthetic ones are read alike. The standard logs are summarised together (as the published
figures are); random-exposure logs, when present, get their own rates.

Sessions are a user's consecutive exposures with gaps of at most 30 minutes (ARCHITECTURE
§2); a return gap is the number of days between a user's consecutive active dates.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from tscac_tf.simulator import kuairand_reference as ref
from tscac_tf.specs import kuairand_schema as ks

SESSION_GAP_MS = 30 * 60 * 1000
RATE_COLUMNS = {
    "click": "is_click",
    "long_view": "long_view",
    "like": "is_like",
    "comment": "is_comment",
    "follow": "is_follow",
    "forward": "is_forward",
    "hate": "is_hate",
}
_NEEDED = (
    "user_id",
    "video_id",
    "date",
    "time_ms",
    "play_time_ms",
    "duration_ms",
    "is_rand",
    "tab",
)
_QUANTILES = {"p10": 10, "p25": 25, "p50": 50, "p75": 75, "p90": 90, "p99": 99}


def log_files(directory: str) -> dict[str, list[str]]:
    """{"standard": [names], "random": [names]} of the KuaiRand log files in a directory."""
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"stats: {directory} is not a directory")
    found: dict[str, list[str]] = {"standard": [], "random": []}
    for name in sorted(os.listdir(directory)):
        match = ks.LOG_FILE_PATTERN.match(name)
        if match:
            found[match.group("policy")].append(name)
    return found


def read_log(path: str) -> pd.DataFrame:
    """The columns the statistics need (and the propensity, when present) of one log file."""
    header = pd.read_csv(path, nrows=0).columns
    missing = [c for c in (*_NEEDED, *RATE_COLUMNS.values()) if c not in header]
    if missing:
        raise ValueError(
            f"{path}: missing KuaiRand log columns {missing}; expected {list(ks.LOG_COLUMN_NAMES)}"
        )
    wanted = [*_NEEDED, *RATE_COLUMNS.values()]
    if ks.PROPENSITY_COLUMN.name in header:
        wanted.append(ks.PROPENSITY_COLUMN.name)
    frame = pd.read_csv(path, usecols=wanted)
    for column in wanted:
        if not pd.api.types.is_numeric_dtype(frame[column]):
            raise ValueError(
                f"{path}: column {column!r} must be numeric, got {frame[column].dtype}"
            )
    return frame


def summary(values: np.ndarray) -> dict[str, float]:
    """min, quantiles, mean and max of a numeric array (NaNs dropped)."""
    values = np.asarray(values, np.float64)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return {}
    out = {"min": float(values.min())}
    out.update({k: float(np.percentile(values, q)) for k, q in _QUANTILES.items()})
    out.update({"mean": float(values.mean()), "max": float(values.max())})
    return out


def session_depths(user_id: np.ndarray, time_ms: np.ndarray, gap_ms: int = SESSION_GAP_MS):
    """Exposures per session [S]: a new session starts at a new user or after a gap > gap_ms."""
    order = np.lexsort((time_ms, user_id))
    user, time = np.asarray(user_id)[order], np.asarray(time_ms)[order]
    new = np.ones(user.size, bool)
    new[1:] = (user[1:] != user[:-1]) | (time[1:] - time[:-1] > gap_ms)
    return np.diff(np.append(np.nonzero(new)[0], user.size))


def return_gap_shares(user_id: np.ndarray, date: np.ndarray) -> dict[str, float]:
    """Shares of 1, 2, 3, 4 and 5+ days between a user's consecutive active dates."""
    pairs = pd.DataFrame({"user": user_id, "date": date}).drop_duplicates()
    day = pd.to_datetime(pairs["date"].astype(str), format="%Y%m%d")
    pairs = pairs.assign(day=(day - pd.Timestamp("2000-01-01")).dt.days)
    pairs = pairs.sort_values(["user", "day"])
    same_user = pairs["user"].to_numpy()[1:] == pairs["user"].to_numpy()[:-1]
    gaps = np.diff(pairs["day"].to_numpy())[same_user]
    if gaps.size == 0:
        return {}
    labels = ref.RETURN_GAP_DAYS
    counts = [np.sum(gaps == g) for g in range(1, len(labels))] + [np.sum(gaps >= len(labels))]
    return {label: float(c) / gaps.size for label, c in zip(labels, counts, strict=True)}


def _rates(frame: pd.DataFrame) -> dict[str, float]:
    return {name: float(frame[column].mean()) for name, column in RATE_COLUMNS.items()}


def concentration(user: np.ndarray, video: np.ndarray) -> dict[str, float]:
    """How concentrated exposure is: the most-shown video's share of rows, the 50 most-shown
    videos' share, and the share of rows that repeat a (user, video) pair shown before."""
    counts = np.sort(np.unique(video, return_counts=True)[1])[::-1]
    pairs = np.unique(np.stack([user, video]), axis=1).shape[1]
    rows = max(len(video), 1)
    return {
        "top_video_share": float(counts[:1].sum() / rows),
        "top_50_videos_share": float(counts[:50].sum() / rows),
        "repeated_pair_share": float(1.0 - pairs / rows) if len(video) else 0.0,
    }


def compute_stats(directory: str) -> dict:
    """Every figure `tscac stats` prints, as a JSON-able dict (see format_report)."""
    files = log_files(directory)
    names = files["standard"] or files["random"]
    if not names:
        raise FileNotFoundError(
            f"stats: no KuaiRand log files in {directory} (expected names like "
            "log_standard_4_08_to_4_21_pure.csv or log_standard_4_22_to_5_08_synthetic.csv)"
        )
    frames = {name: read_log(os.path.join(directory, name)) for name in names}
    frame = pd.concat(frames.values(), ignore_index=True)
    user, video = frame["user_id"].to_numpy(), frame["video_id"].to_numpy()
    depths = session_depths(user, frame["time_ms"].to_numpy())
    out = {
        "directory": os.path.abspath(directory),
        "files": {name: int(len(f)) for name, f in frames.items()},
        "rows": int(len(frame)),
        "users": int(np.unique(user).size),
        "videos": int(np.unique(video).size),
        "rates": _rates(frame),
        "rows_per_user": summary(np.unique(user, return_counts=True)[1]),
        "rows_per_video": summary(np.unique(video, return_counts=True)[1]),
        "concentration": concentration(user, video),
        "session_depth": summary(depths),
        "sessions": int(depths.size),
        "play_time_s": summary(frame["play_time_ms"].to_numpy() / 1000.0),
        "duration_s": summary(frame["duration_ms"].to_numpy() / 1000.0),
        "tab_shares": {
            str(t): float(c) / len(frame)
            for t, c in sorted(frame["tab"].value_counts().items(), key=lambda kv: -kv[1])
        },
        "return_gap_shares": return_gap_shares(user, frame["date"].to_numpy()),
        "is_rand_rate": float(frame["is_rand"].mean()),
        "propensity": summary(frame[ks.PROPENSITY_COLUMN.name].to_numpy())
        if ks.PROPENSITY_COLUMN.name in frame
        else None,
    }
    if files["standard"] and files["random"]:
        randoms = [read_log(os.path.join(directory, n)) for n in files["random"]]
        random_frame = pd.concat(randoms, ignore_index=True)
        out["random_log"] = {"rows": int(len(random_frame)), "rates": _rates(random_frame)}
    out["reference"] = reference_figures()
    return out


def reference_figures() -> dict:
    """The published KuaiRand-Pure figures, in compute_stats' layout."""
    total = sum(ref.TAB_COUNTS.values())
    return {
        "source": ref.SOURCE,
        "rows": ref.NUM_ROWS,
        "users": ref.NUM_USERS,
        "videos": ref.NUM_VIDEOS,
        "rates": dict(ref.RATES),
        "rows_per_user": {"min": ref.ROWS_PER_USER_RANGE[0], "max": ref.ROWS_PER_USER_RANGE[1]},
        "rows_per_video": {"min": ref.ROWS_PER_VIDEO_RANGE[0], "max": ref.ROWS_PER_VIDEO_RANGE[1]},
        "concentration": {"top_video_share": ref.ROWS_PER_VIDEO_RANGE[1] / ref.NUM_ROWS},
        "play_time_s": {"max": ref.MAX_PLAY_TIME_HOURS * 3600},
        "duration_s": {"max": ref.MAX_DURATION_HOURS * 3600},
        "tab_shares": {str(t): c / total for t, c in ref.TAB_COUNTS.items()},
        "return_gap_shares": dict(zip(ref.RETURN_GAP_DAYS, ref.RETURN_GAP_SHARES, strict=True)),
        "is_rand_rate": ref.IS_RAND_SHARE,
    }


def _row(label: str, this: str, real: str = "") -> str:
    return f"  {label:<26}{this:>16}  {real:>16}"


def _percent(value) -> str:
    return "" if value is None else f"{100.0 * value:.3f}%"


def _number(value) -> str:
    if value is None:
        return ""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def _distribution(title: str, this: dict, real: dict) -> list[str]:
    lines = [f"{title}"]
    for key in ("min", *_QUANTILES, "mean", "max"):
        if key in this or key in real:
            lines.append(_row(key, _number(this.get(key)), _number(real.get(key))))
    return lines


def format_report(stats: dict) -> str:
    """The human-readable report of compute_stats, this directory beside KuaiRand-Pure."""
    real = stats["reference"]
    lines = [f"KuaiRand-format directory {stats['directory']}"]
    lines += [f"  {name}: {rows:,} rows" for name, rows in stats["files"].items()]
    lines += ["", _row("", "this directory", "KuaiRand-Pure")]
    for key in ("rows", "users", "videos", "sessions"):
        lines.append(_row(key, _number(stats.get(key)), _number(real.get(key))))
    lines.append("response rates")
    for name, rate in stats["rates"].items():
        lines.append(_row(name, _percent(rate), _percent(real["rates"].get(name))))
    lines.append(_row("is_rand", _percent(stats["is_rand_rate"]), _percent(real["is_rand_rate"])))
    sections = (
        ("rows per user", "rows_per_user"),
        ("rows per video", "rows_per_video"),
        ("session depth (30-min gap)", "session_depth"),
        ("play time (s)", "play_time_s"),
        ("duration (s)", "duration_s"),
    )
    for title, key in sections:
        lines += _distribution(title, stats[key], real.get(key, {}))
    lines.append("exposure concentration")
    labels = {
        "top_video_share": "most-shown video",
        "top_50_videos_share": "50 most-shown videos",
        "repeated_pair_share": "repeated (user, video)",
    }
    for key, label in labels.items():
        this, ref_value = stats["concentration"].get(key), real["concentration"].get(key)
        lines.append(_row(label, _percent(this), _percent(ref_value)))
    lines.append("return gap (days between active dates)")
    for gap, share in real["return_gap_shares"].items():
        lines.append(_row(gap, _percent(stats["return_gap_shares"].get(gap)), _percent(share)))
    lines.append("tab shares")
    for tab in sorted(set(stats["tab_shares"]) | set(real["tab_shares"]), key=int):
        this = stats["tab_shares"].get(tab)
        lines.append(
            _row(f"tab {tab}", _percent(this) or "-", _percent(real["tab_shares"].get(tab)))
        )
    if stats.get("propensity"):
        lines += _distribution("behavior_propensity (synthetic logs only)", stats["propensity"], {})
    if "random_log" in stats:
        lines.append(f"random-exposure logs: {stats['random_log']['rows']:,} rows")
        for name, rate in stats["random_log"]["rates"].items():
            lines.append(_row(name, _percent(rate)))
    lines += ["", f"reference: {real['source']}"]
    return "\n".join(lines)
