"""Retrieval evaluation queries, each with every video its user had been shown before it.

One query per positive step (a long view or a click) of the evaluated split: the step's
retrieval query (tscac_tf/retrieval/session_queries.py, the in-session history before it)
with its logged video as the single relevant item.

For the already-seen filter a query also carries what its user had been shown before the
step: every video of the user's earlier sessions, in either split, and the session's
earlier steps. Sessions are put in time order by (date, session_index, session_id), the
order ExampleGen numbered them in and the candidates step uses
(beam_pipelines/candidates/user_sessions.py), so evaluation drops exactly what the
candidates step drops.
"""

from __future__ import annotations

import collections
import dataclasses

import numpy as np
import tensorflow as tf

from tscac_tf.data import session_io
from tscac_tf.retrieval import candidate_set, session_queries
from tscac_tf.specs import session_schema as ss

_FIELDS = ("user_id", "date", "session_index", "session_id", "video_id", "play_time_ms")
_POSITIVE_FIELDS = ("long_view", "is_click")
QUERY_KEYS = (*session_queries.QUERY_KEYS, "video_id")


_SESSIONS_PER_READ = 4096


def read_sessions(data_dir: str, split: str) -> list[dict]:
    """The split's sessions as {field: numpy value}, only the fields evaluation needs.

    Parsed in ragged batches and split in NumPy: iterating the dataset one session at a
    time costs about a millisecond a session.
    """
    steps = ("video_id", "play_time_ms", *_POSITIVE_FIELDS)

    def parse(serialized):
        session = session_io.parse_session(serialized)
        return {name: session[name] for name in (*_FIELDS, *_POSITIVE_FIELDS)}

    files = session_io.session_files(data_dir, split)
    dataset = tf.data.TFRecordDataset(files, compression_type="GZIP")
    dataset = dataset.map(parse, num_parallel_calls=tf.data.AUTOTUNE)
    sessions = []
    for batch in dataset.ragged_batch(_SESSIONS_PER_READ).prefetch(1):
        context = {name: batch[name].numpy() for name in _FIELDS if name not in steps}
        ends = np.cumsum(batch["video_id"].row_lengths().numpy())[:-1]
        split_steps = {name: np.split(batch[name].flat_values.numpy(), ends) for name in steps}
        for i in range(len(ends) + 1):
            session = {name: values[i] for name, values in context.items()}
            session.update({name: values[i] for name, values in split_steps.items()})
            sessions.append(session)
    return sessions


def _time_order(session: dict) -> tuple:
    return (int(session["date"]), int(session["session_index"]), session["session_id"])


@dataclasses.dataclass
class EvalQueries:
    """N queries, grouped by session (a session's queries are contiguous, in step order).

    Attributes:
      inputs: {"user_id" [N], "history_video_ids" [N, H], "history_play_time_ms" [N, H],
        "video_id" [N] (the logged video, the target)}, int64.
      session: int64 [N], the index of each query's session in `session_videos`.
      step: int64 [N], each query's step in its session.
      session_videos: per session with queries, int64 [T] its logged videos.
      seen_before: per session with queries, int64 [S] the sorted distinct videos its user
        was shown in earlier sessions.
      train_positive_videos: int64 [P], the logged video of every positive step of the
        train split (what the popularity baseline counts), read in the same pass.
    """

    inputs: dict[str, np.ndarray]
    session: np.ndarray
    step: np.ndarray
    session_videos: list[np.ndarray]
    seen_before: list[np.ndarray]
    train_positive_videos: np.ndarray

    def __len__(self) -> int:
        return len(self.step)

    def _groups(self, rows: slice):
        """(positions within `rows`, session) for each session the rows touch."""
        sessions = self.session[rows]
        starts = np.flatnonzero(np.r_[True, sessions[1:] != sessions[:-1]])
        ends = np.r_[starts[1:], len(sessions)]
        for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
            yield slice(start, end), int(sessions[start])

    def without_shown(self, ranked: np.ndarray, rows: slice, top_k: int) -> np.ndarray:
        """int64 [n, top_k]: each ranking of the queries `rows` without the videos its user
        had been shown, best top_k, -1 padded (candidate_set.without_shown)."""
        ranked = np.asarray(ranked, np.int64)
        steps = self.step[rows]
        out = np.empty((len(steps), top_k), np.int64)
        for part, s in self._groups(rows):
            out[part] = candidate_set.without_shown(
                ranked[part], self.session_videos[s], self.seen_before[s], top_k, steps[part]
            )
        return out

    def shown_counts(self) -> np.ndarray:
        """int64 [N]: how many distinct videos each query's user had been shown."""
        return np.array(
            [
                len(np.union1d(self.seen_before[s], self.session_videos[s][:t]))
                for s, t in zip(self.session.tolist(), self.step.tolist(), strict=True)
            ],
            np.int64,
        )

    def target_shown(self) -> np.ndarray:
        """bool [N]: the query's target was among the videos its user had been shown."""
        target = self.inputs["video_id"]
        return np.array(
            [
                v in self.session_videos[s][:t] or v in self.seen_before[s]
                for v, s, t in zip(
                    target.tolist(), self.session.tolist(), self.step.tolist(), strict=True
                )
            ],
            bool,
        )


def read(data_dir: str, split: str, history_length: int) -> EvalQueries:
    """The positive steps of `split` as queries, with what their users had been shown.

    Reads the train split too when evaluating another split (the users' earlier sessions);
    either way its positive steps' videos come back as `train_positive_videos`, so the
    evaluation reads each split once.

    Raises:
      FileNotFoundError: a split has no session files.
    """
    splits = [split] if split == ss.TRAIN_SPLIT else [ss.TRAIN_SPLIT, split]
    by_user = collections.defaultdict(list)
    for name in splits:
        for session in read_sessions(data_dir, name):
            by_user[int(session["user_id"])].append((name == split, session))
    parts: dict[str, list] = {key: [] for key in QUERY_KEYS}
    session_of, step_of, session_videos, seen_before, train_positives = [], [], [], [], []
    for user in sorted(by_user):
        shown = np.zeros([0], np.int64)
        for evaluated, session in sorted(by_user[user], key=lambda pair: _time_order(pair[1])):
            videos = np.asarray(session["video_id"], np.int64)
            positive = np.flatnonzero((session["long_view"] > 0) | (session["is_click"] > 0))
            if evaluated == (split == ss.TRAIN_SPLIT):
                train_positives.append(videos[positive])
            if evaluated and positive.size:
                queries = session_queries.session_queries(session, history_length)
                for key in session_queries.QUERY_KEYS:
                    parts[key].append(queries[key][positive])
                parts["video_id"].append(videos[positive])
                session_of.append(np.full(positive.size, len(session_videos), np.int64))
                step_of.append(positive.astype(np.int64))
                session_videos.append(videos)
                seen_before.append(shown)
            shown = np.union1d(shown, videos)
    if not session_of:
        raise ValueError(
            f"no positive steps to evaluate: the {split} split has no long views or clicks"
        )
    return EvalQueries(
        inputs={key: np.concatenate(values) for key, values in parts.items()},
        session=np.concatenate(session_of),
        step=np.concatenate(step_of),
        session_videos=session_videos,
        seen_before=seen_before,
        train_positive_videos=np.concatenate([np.zeros([0], np.int64), *train_positives]),
    )
