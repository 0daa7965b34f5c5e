"""How often each video is a training positive: the log-Q correction and the popularity baseline.

In-batch negatives are the other positives of the batch, so a video is drawn as a negative
with probability q(v) = count(v) / Σ_u count(u). The retrieval loss subtracts log q(v) from
its score (Yi et al., RecSys 2019, "sampling-bias-corrected neural modeling"), and
the popularity baseline ranks videos by count(v).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from tscac_tf.features.feature_tables import FeatureTables


@dataclasses.dataclass(frozen=True)
class VideoFrequencies:
    """Positive counts per video.

    Attributes:
      video_ids: int64 [n], distinct ids, ascending.
      counts: int64 [n] >= 1.
    """

    video_ids: np.ndarray
    counts: np.ndarray

    @classmethod
    def from_ids(cls, video_ids: np.ndarray) -> VideoFrequencies:
        """Counts of the ids of all training positives (any order, repeats counted)."""
        ids, counts = np.unique(np.asarray(video_ids, np.int64), return_counts=True)
        return cls(ids, counts.astype(np.int64))

    @property
    def total(self) -> int:
        return int(self.counts.sum())

    # q(v) = count(v) / Σ_u count(u); videos never seen as a positive get the q of one count
    # (they are never in a training batch, so this only keeps log q finite).
    def sampling_probability_by_row(self, tables: FeatureTables) -> np.ndarray:
        """float32 [V+1]: q of the video in each row of the video table (row 0 unknown)."""
        if self.total == 0:
            raise ValueError("VideoFrequencies has no positives: cannot form q(v)")
        counts = np.ones(len(tables.video_ids), np.float64)
        rows = tables.video_rows(self.video_ids)
        known = rows > 0
        counts[rows[known]] = self.counts[known]
        return (counts / self.total).astype(np.float32)

    def most_popular(self, k: int) -> np.ndarray:
        """int64 [min(k, n)]: the k most frequent ids, by descending count then id."""
        order = np.lexsort((self.video_ids, -self.counts))
        return self.video_ids[order[:k]]
