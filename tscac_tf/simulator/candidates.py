"""The world's candidate generator: K videos per request, from the user's tags and the popular.

Like a production retrieval stage: a share `interest_share` of the K·oversample draw slots
(spread evenly through the draw order) are interest draws (a tag ∝ exp(interest /
tag_temperature) over the user's current, drifted interests, then a video of that tag ∝
popularity), the others popular draws (a video ∝ popularity; both by alias tables). Draws are de-duplicated, videos already in the
session's history are dropped, and so (`BehaviorConfig.filter_seen`, as a production feed
does) are the videos the user was shown in any earlier session; the first K distinct ones
are the candidates, in draw order. In the rare case fewer than K remain, the most popular
remaining videos fill the set, so a candidate set never holds padding or duplicates (if
the user has seen nearly the whole pool, seen videos fill the rest).
"""

from __future__ import annotations

import numpy as np

from tscac_tf.simulator import alias_table
from tscac_tf.simulator import random_streams as rs
from tscac_tf.simulator.population import Videos
from tscac_tf.simulator.world_config import BehaviorConfig


def _searchsorted_rows(cumulative: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Per-row inverse CDF: index j with cum[r, j-1] <= u[r, i] < cum[r, j], [n, m]."""
    n, width = cumulative.shape
    offsets = np.arange(n)[:, None]
    flat = (cumulative / cumulative[:, -1:] + offsets).ravel()
    idx = np.searchsorted(flat, (u + offsets).ravel(), side="right").reshape(u.shape)
    return np.minimum(idx - offsets * width, width - 1)


class CandidateGenerator:
    """Draws candidate sets (world video indices) for batches of user lanes."""

    def __init__(self, videos: Videos, config: BehaviorConfig):
        if videos.ids.size < config.num_candidates:
            raise ValueError(
                f"candidate generator: K = {config.num_candidates} candidates need at least "
                f"that many videos, the world has {videos.ids.size}"
            )
        self._config = config
        self._num_tags = videos.num_tags
        self._num_videos = videos.ids.size
        self._popular = alias_table.build(videos.popularity)
        self._popular_order = np.argsort(-videos.popularity, kind="stable")
        # Slot j is an interest draw when ⌊(j + 1)·share⌋ > ⌊j·share⌋: the two sources
        # interleave evenly through the draw order.
        self._num_slots = config.num_candidates * config.oversample
        j = np.arange(self._num_slots)
        interest = np.floor((j + 1) * config.interest_share) > np.floor(j * config.interest_share)
        self._interest_slots = np.nonzero(interest)[0]
        self._popular_slots = np.nonzero(~interest)[0]
        # Per-tag member lists back to back (tag-major), each with its own alias table
        # over the members' popularity.
        video, slot = np.nonzero(videos.tag_weight > 0)
        tag = videos.tag_index[video, slot]
        order = np.lexsort((video, tag))
        tag, self._tag_members = tag[order], video[order]
        counts = np.bincount(tag, minlength=self._num_tags)
        self._tag_has_videos = counts > 0
        self._tag_offset = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
        self._tag_count = np.maximum(counts, 1)
        prob = np.ones(tag.size)
        alias = np.arange(tag.size, dtype=np.int64)
        for t in np.nonzero(counts)[0]:
            lo, hi = self._tag_offset[t], self._tag_offset[t] + counts[t]
            p, a = alias_table.build(videos.popularity[self._tag_members[lo:hi]])
            prob[lo:hi], alias[lo:hi] = p, a + lo
        self._tag_alias = (prob, alias)

    def _interest_draws(self, interest, u_tag, u_bin, u_coin):
        logits = interest[:, : self._num_tags] / self._config.tag_temperature
        logits = np.where(self._tag_has_videos, logits, -np.inf)
        p = np.exp(logits - logits.max(axis=1, keepdims=True))
        tag = _searchsorted_rows(np.cumsum(p, axis=1), u_tag)
        position = alias_table.draw(
            *self._tag_alias, u_bin, u_coin, self._tag_offset[tag], self._tag_count[tag]
        )
        return self._tag_members[position]

    def generate(self, interest, exclude, base, seen=None):
        """Candidate sets for n lanes.

        Args:
          interest: float64 [n, T + 1] current tag interest of each lane.
          exclude: int64 [n, H] world video indices not to offer (the session history, -1 pad).
          base: uint64 [n] per-request hash (random_streams); the draws derive from it.
          seen: optional uint8 [n, ⌈V / 8⌉] bitmaps (UserState.seen) of videos not to offer
            either, unless too few others remain.

        Returns:
          int64 [n, K] distinct world video indices.
        """
        k = self._config.num_candidates
        base = base[:, None]
        h = rs.extend(base, rs.Stream.CANDIDATE_INTEREST, self._interest_slots)
        u_tag, u_bin, u_coin = rs.to_uniform_triple(h)
        draws = np.empty((base.shape[0], self._num_slots), np.int64)
        draws[:, self._interest_slots] = self._interest_draws(interest, u_tag, u_bin, u_coin)
        h = rs.extend(base, rs.Stream.CANDIDATE_POPULAR, self._popular_slots)
        draws[:, self._popular_slots] = alias_table.draw(*self._popular, *rs.to_uniform_pair(h))
        return self._first_distinct(draws, exclude, k, seen)

    def _first_distinct(self, draws, exclude, k, seen=None) -> np.ndarray:
        """The first k draws per row that are neither repeats nor excluded nor seen."""
        both = np.concatenate([exclude, draws], axis=1)
        order = np.argsort(both, axis=1, kind="stable")
        ranked = np.take_along_axis(both, order, axis=1)
        repeat_ranked = np.zeros_like(ranked, bool)
        repeat_ranked[:, 1:] = ranked[:, 1:] == ranked[:, :-1]
        repeat = np.empty_like(repeat_ranked)
        np.put_along_axis(repeat, order, repeat_ranked, axis=1)
        keep = ~repeat
        keep[:, : exclude.shape[1]] = False
        if seen is not None:
            keep[:, exclude.shape[1] :] &= ~_bits(seen, draws)
        columns = np.argsort(~keep, axis=1, kind="stable")[:, :k]
        out = np.take_along_axis(both, columns, axis=1)
        valid = np.take_along_axis(keep, columns, axis=1)
        for row in np.nonzero(~valid.all(axis=1))[0]:
            seen_row = None if seen is None else seen[row]
            out[row] = self._fill(out[row][valid[row]], exclude[row], k, seen_row)
        return out

    def _fill(self, have, exclude, k, seen_row=None) -> np.ndarray:
        """have + the most popular videos not in have or exclude, unseen ones first."""
        order = self._popular_order
        free = ~np.isin(order, np.concatenate([have, exclude]))
        if seen_row is not None:
            unseen = ~_bits(seen_row[None, :], order[None, :])[0]
            order = np.concatenate([order[free & unseen], order[free & ~unseen]])
        else:
            order = order[free]
        return np.concatenate([have, order[: k - have.size]])


def _bits(bitmap: np.ndarray, video: np.ndarray) -> np.ndarray:
    """bool [n, m]: bit video[i, j] of bitmap row i (uint8 [n, ⌈V / 8⌉])."""
    byte = np.take_along_axis(bitmap, video >> 3, axis=1)
    return ((byte >> (video & 7).astype(np.uint8)) & 1).astype(bool)
