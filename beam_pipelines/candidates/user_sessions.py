"""GroupUserSessions: the sessions of each user, in time order, with what they had seen.

The candidates step retrieves per user, not per session:

- **Already-seen videos.** The feed that wrote the logs (a production feed, and the
  simulator with `BehaviorConfig.filter_seen`) never shows a user a video twice, so a
  retrieved video the user was already shown can never be the logged one. The step drops
  them (CandidatesConfig.exclude_seen), which needs, for each session, every video of the
  same user's earlier sessions in both splits (the eval split follows the train split).
- **Reproducibility.** The index's float scores for a query depend in the last bits on
  the other rows of the model call, so near-tied videos can swap places when the queries
  are batched differently (RunInference's batches vary from run to run). The model is
  called on one user's steps at a time, in a fixed order, so reruns write the same
  candidates.

Sessions are ordered by (date, session_index, session_id), the order ExampleGen numbered
them in. A user's sessions are held together on one worker: a few thousand at most for
KuaiRand's heaviest users.
"""

from __future__ import annotations

import dataclasses

import apache_beam as beam
import numpy as np

from beam_pipelines.candidates.session_record import SessionRecord

NO_VIDEOS = np.zeros([0], np.int64)


@dataclasses.dataclass
class UserSessions:
    """One user's sessions, in time order.

    Attributes:
      splits: the split each session was read from (and is written to).
      records: the sessions.
      seen_before: per session, int64 [S] sorted distinct videos the user was shown in
        the earlier sessions.
    """

    splits: list[str]
    records: list[SessionRecord]
    seen_before: list[np.ndarray]

    @property
    def num_steps(self) -> int:
        return sum(r.num_steps for r in self.records)


def session_order(record: SessionRecord) -> tuple:
    """The sort key of a user's sessions: when they happened."""
    context = record.context
    return (context["date"], context["session_index"], context["session_id"])


def user_sessions(split_records) -> UserSessions:
    """[(split, SessionRecord)] of one user -> UserSessions in time order."""
    ordered = sorted(split_records, key=lambda split_record: session_order(split_record[1]))
    seen, shown = [], NO_VIDEOS
    for _, record in ordered:
        seen.append(shown)
        shown = np.union1d(shown, np.asarray(record.steps["video_id"], np.int64))
    return UserSessions([s for s, _ in ordered], [r for _, r in ordered], seen)


class GroupUserSessions(beam.PTransform):
    """(split, SessionRecord) pairs -> one UserSessions per user."""

    def expand(self, sessions):
        return (
            sessions
            | "KeyByUser" >> beam.Map(lambda pair: (pair[1].context["user_id"], pair))
            | "GroupByUser" >> beam.GroupByKey()
            | "InTimeOrder" >> beam.MapTuple(lambda _, pairs: user_sessions(pairs))
        )
