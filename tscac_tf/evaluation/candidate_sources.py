"""Candidate sets for ground-truth rollouts from other sources than the world's generator.

The ground truth (ARCHITECTURE §3.1) lets every policy rank the candidates of the world's
own generator, the platform retrieval that logged the data. In production the policy ranks
what our retrieval supplies: the served `recommend` path. These sources have
`World.candidates`' signature (lanes' state, rows, request hash -> int64 [n, K] world
video indices) and are passed to a rollout as its `candidates`:

- `retrieval`: an exported RetrievalIndex's ranking for the lane's (user, history, play
  times), without the videos the user was shown before, like the candidates step and
  `recommend_excluding`;
- `popularity`: one fixed ranking (e.g. the train split's positive counts), without the
  videos the user was shown before;
- `random`: K uniform draws among the videos the user was not shown, seeded by the request
  hash (so every policy meets the same draws).

"Shown before" is the world's own already-seen filter: every exposure of the lane's
earlier sessions (`UserState.seen`) and the current session's history.

    sources = CandidateSources(world, retrieval_index.load(index_dir), popularity_order)
    ground_truth.evaluate_policies(world, policies, config, candidates=sources.retrieval)
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import tensorflow as tf

from tscac_tf.simulator import user_state as us


def shown_before(state: us.UserState, rows: np.ndarray, num_videos: int) -> np.ndarray:
    """bool [n, V]: video v was shown to lane rows[i] in any session, or is in its history."""
    bits = np.unpackbits(state.seen[rows], axis=1, bitorder="little")[:, :num_videos]
    shown = bits.astype(bool)
    history = state.history_video[rows]
    lane, slot = np.nonzero(history >= 0)
    shown[lane, history[lane, slot]] = True
    return shown


def first_k_unshown(ranked: np.ndarray, shown: np.ndarray, k: int) -> np.ndarray:
    """Per row, the first k world indices of `ranked` [n, M] (−1 padding) not in `shown` [n, V].

    Raises:
      RuntimeError: a row has fewer than k (the ranking was cut too short).
    """
    out = np.empty((len(ranked), k), np.int64)
    for i, row in enumerate(ranked):
        row = row[row >= 0]
        kept = row[~shown[i, row]][:k]
        if len(kept) < k:
            raise RuntimeError(f"only {len(kept)} unshown videos among the {len(row)} ranked")
        out[i] = kept
    return out


class CandidateSources:
    """The candidate sources of the module docstring, for one world.

    Args:
      world: the simulator World (its K, videos and users).
      index: a RetrievalIndex (in memory or loaded) with `top_k(user_id, history_video_ids,
        history_play_time_ms, k)` over real ids; None leaves `retrieval` unusable.
      popularity_order: int64 [V] world video indices, most popular first.
    """

    def __init__(self, world, index=None, popularity_order: np.ndarray | None = None):
        self._world = world
        self._index = index
        self._k = world.num_candidates
        self._num_videos = world.population.videos.ids.size
        self._popularity_order = popularity_order

    def retrieval(self, state, rows, base) -> np.ndarray:
        """The index's best K videos not shown before."""
        if self._index is None:
            raise ValueError("CandidateSources has no retrieval index")
        shown = shown_before(state, rows, self._num_videos)
        wanted = self._k + int(shown.sum(axis=1).max(initial=0))
        out = self._index.top_k(
            tf.constant(self._world.population.users.ids[state.user[rows]], tf.int64),
            tf.constant(self._world.video_ids(state.history_video[rows]), tf.int64),
            tf.constant(state.history_play_ms[rows], tf.int64),
            tf.constant(wanted, tf.int32),
        )
        ranked = self._world.population.videos.index_of(out["video_ids"].numpy())
        return first_k_unshown(ranked, shown, self._k)

    def popularity(self, state, rows, base) -> np.ndarray:
        """The K most popular videos not shown before."""
        if self._popularity_order is None:
            raise ValueError("CandidateSources has no popularity order")
        shown = shown_before(state, rows, self._num_videos)
        ranked = np.broadcast_to(self._popularity_order, (len(rows), len(self._popularity_order)))
        return first_k_unshown(ranked, shown, self._k)

    def random(self, state, rows, base) -> np.ndarray:
        """K distinct videos drawn uniformly among those not shown before."""
        shown = shown_before(state, rows, self._num_videos)
        out = np.empty((len(rows), self._k), np.int64)
        for i, request in enumerate(np.asarray(base, np.uint64)):
            unshown = np.nonzero(~shown[i])[0]
            rng = np.random.default_rng(int(request))
            out[i] = rng.choice(unshown, size=self._k, replace=False)
        return out


def popularity_from_log(log_csv: str, world) -> np.ndarray:
    """World video indices by their count of positives (long view or click) in a KuaiRand-format
    log, most frequent first (ties by index).

    Raises:
      KeyError: the log names a video the world does not have (the message names the row).
    """
    log = pd.read_csv(log_csv, usecols=["video_id", "is_click", "long_view"])
    positive = log[(log["is_click"] == 1) | (log["long_view"] == 1)]
    index = world.population.videos.index_of(positive["video_id"].to_numpy(np.int64))
    if (index < 0).any():
        first = int(np.argmax(index < 0))
        line = int(positive.index[first]) + 2  # the header is line 1
        video = int(positive["video_id"].iloc[first])
        raise KeyError(f"{log_csv}, row {line}: video_id {video} is not in the world")
    counts = np.bincount(index, minlength=world.population.videos.ids.size)
    return np.argsort(-counts, kind="stable")
