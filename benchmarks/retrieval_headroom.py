"""How far retrieval can get past popularity in the synthetic world: a count model and the oracle.

    .venv/bin/python benchmarks/retrieval_headroom.py --preset default --seed 0 \
        [--users 200] [--model-dir RETRIEVAL_DIR --data-dir PREPROCESSED_DIR]

Issue 4 asks for a two-tower recall@50 at least twice the popularity baseline's. This
benchmark generates the world's logs itself and asks whether that ratio is within reach of
any retrieval model, on the eval period's positive steps (long view or click, 04-22..05-08;
one query per positive step, the logged video the one relevant item), with every method's
ranking cleared of the videos the user was already shown (all earlier exposures), since
the world's feed never shows a video twice:

- popularity: the train period's most frequent positives;
- count model: s(u, v) = β · P̂(v) + (1 − β) · Σ_t P̂(t | u) · P̂(v | t), from the train
  period's positives (P̂(v) with +0.1 smoothing; P̂(t | u) the user's tag shares smoothed
  towards the global ones with weight a; P̂(v | t) ∝ P̂(v) over the videos of tag t), the
  best (β, a) of a small grid chosen on the eval queries themselves (optimistic);
- oracles: the world's own probability that a step shows video v and the user clicks
  it, P(v) · P(click | v), with P(v) estimated from `--samples` replays of the candidate
  generator and the logging ranker on the user's true state at that step. `oracle_full`
  replays the ranker exactly, including its persistent error per (user, video) pair;
  `oracle_state` draws that error afresh in each replay. No model of the logs can know
  more than the true state, and since the world never shows a pair twice, nothing in the
  logs reveals the ranker's error on a pair before it is shown: `oracle_state` is the
  realistic ceiling, `oracle_full` a looser one. `oracle_static` replays `state` on the
  user's lasting state only (base interests and follows; no interest drift, saturation,
  satisfaction or annoyance), with what was shown still dropped: what a perfect model of
  each user's tastes could know without the step's dynamics, so `state` − `static` is
  what the dynamics are worth. With finite replays the oracles are underestimated (the
  top 50 of a noisy P(v)), so they are scored after each replay count of `--samples`
  (nested replays; default 64, 256 and 1,024) to show how far they have converged. They
  are computed for the steps of `--users` sampled users (about 35 minutes for 200 users up
  to 1,024 replays); popularity and the count model are reported on the same queries as
  well as on all;
- the two-tower model of `--model-dir` (optional), ranked as `tscac retrieval evaluate`
  ranks it, on `--data-dir`, the same world's preprocessed logs (`tscac generate` with the
  same preset and seed, then `tscac preprocess`; the queries are checked to be the
  same), on all queries and on the sampled users'.

Prints the figures and writes benchmarks/results/retrieval_headroom.json.
"""

from __future__ import annotations

import argparse
import json
import os
import time

import tscac_tf  # noqa: F401  (TF_USE_LEGACY_KERAS before TensorFlow)

# isort: split
import numpy as np
import results_file  # benchmarks/results_file.py (this script's directory is on sys.path)

from tscac_tf.simulator import log_generator
from tscac_tf.simulator import random_streams as rs
from tscac_tf.simulator.behavior_policy import BehaviorPolicy
from tscac_tf.simulator.world import World
from tscac_tf.simulator.world_config import WorldConfig

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS = os.path.join(REPO, "benchmarks", "results", "retrieval_headroom.json")
EVAL_START = 20220422
BETAS = (0.0, 0.1, 0.2, 0.4)
SMOOTHING = (1.0, 5.0)
K = 50
ORACLES = ("full", "state", "static")


class OracleWorld(World):
    """A World that, before each logged request of a sampled user, scores every video by
    the world's own P(shown) · P(click) and keeps that user's top K, in request order.

    Three oracles: `full` replays the logging ranker exactly, including its persistent
    error per (user, video) pair; `state` draws that error afresh in every replay, i.e.
    knows the user's true state but not the ranker's idiosyncratic per-pair mistakes, which
    no model can learn from logs in which a pair is never shown twice; `static` is `state`
    replayed on the user's lasting state only (static_state): what a perfect model of each
    user's tastes and each video's responses could know, without the step's dynamics.
    """

    def __init__(self, config, sampled_users, samples: tuple[int, ...]):
        super().__init__(config)
        self._sampled = np.isin(np.arange(self.population.users.ids.size), sampled_users)
        # The oracles' top K after the first m replays, for each m in `samples`: the
        # replays are nested, so one pass shows how far the estimate has converged.
        self._checkpoints = tuple(sorted(set(samples)))
        self._rankers = [
            BehaviorPolicy(config.behavior, config.seed + 1 + m, self.population.videos.ids.size)
            for m in range(self._checkpoints[-1])
        ]
        self.top = {
            (kind, m): {int(u): [] for u in self.population.users.ids[sampled_users]}
            for kind in ORACLES
            for m in self._checkpoints
        }

    def candidates(self, state, rows, base):
        chosen = self._sampled[state.user[rows]]
        if chosen.any():
            self._score(state, rows[chosen], base[chosen])
        return super().candidates(state, rows, base)

    def _draw(self, state, rows, replay):
        """(candidates, their expected raw responses) of one replay of the generator."""
        cand = super().candidates(state, rows, replay)
        return cand, self.expected_raw(state, rows, cand)

    def _score(self, state, rows, base):
        users = self.population.users.ids[state.user[rows]]
        scores = {kind: np.zeros((rows.size, self.population.videos.ids.size)) for kind in ORACLES}
        lane = np.arange(rows.size)[:, None]
        static, static_rows = static_state(state, rows), np.arange(rows.size)
        for m in range(self._checkpoints[-1]):
            replay = rs.extend(base, rs.Stream.CANDIDATE_POPULAR, np.uint64(1_000_003 + m))
            # one draw of candidates from the true state (full and state share it), one
            # from the lasting state
            true_draw = self._draw(state, rows, replay)
            static_draw = self._draw(static, static_rows, replay)
            replays = (
                ("full", self.behavior, true_draw),
                ("state", self._rankers[m], true_draw),
                ("static", self._rankers[m], static_draw),
            )
            for kind, ranker, (cand, expected) in replays:
                ids = self.video_ids(cand)
                probs = ranker.rank_probabilities(expected, users, ids, replay)
                # Σ_m P_m(shown = v) · P(click | v) (the 1/M does not change the order);
                # P(click | v) does not depend on m
                np.add.at(scores[kind], (lane, cand), probs * expected["click"])
            if m + 1 in self._checkpoints:
                for kind, score in scores.items():
                    top = self.video_ids(np.argsort(-score, axis=1, kind="stable")[:, :K])
                    for user, ids in zip(users.tolist(), top, strict=True):
                        self.top[kind, m + 1][user].append(ids)


def static_state(state, rows):
    """A copy of the lanes `rows` with only what lasts: the base interests and the follows.

    The session's dynamics are taken out (interest drift, saturation, satisfaction,
    annoyance at their neutral values); what was shown (the session's history and the
    already-seen bitmap) is kept, since every ranking here drops it as well.
    """
    lanes = state.select(rows)
    lanes.interest = lanes.base_interest.copy()
    lanes.saturation = np.zeros_like(lanes.saturation)
    lanes.satisfaction = np.zeros_like(lanes.satisfaction)
    lanes.annoyance = np.zeros_like(lanes.annoyance)
    return lanes


def earlier_exposures(user: np.ndarray, video: np.ndarray):
    """For each row of a (user, time)-sorted log: the set of videos that user saw before."""
    seen, before = {}, []
    for u, v in zip(user.tolist(), video.tolist(), strict=True):
        mine = seen.setdefault(u, set())
        before.append(frozenset(mine))
        mine.add(v)
    return before


def model_hits(model_dir: str, data_dir: str) -> dict:
    """{(user id, video id): hit} of an exported retrieval index on data_dir's eval queries.

    A hit: the logged video is in the index's top K after the already-seen filter, as
    `tscac retrieval evaluate` ranks it (the same functions). A (user, video) pair is one
    query, since the world never shows a pair twice.
    """
    from tscac_tf.features.feature_tables import FeatureTables
    from tscac_tf.retrieval import eval_queries, evaluation, retrieval_index
    from tscac_tf.retrieval import model_dir as model_dir_lib
    from tscac_tf.specs import session_schema as ss

    config = model_dir_lib.read_config(model_dir)
    index = retrieval_index.load(model_dir_lib.index_path(model_dir))
    queries = eval_queries.read(data_dir, ss.EVAL_SPLIT, config.towers.history_length)
    num_videos = len(FeatureTables.load(data_dir).video_ids) - 1
    wide = min(K + int(queries.shown_counts().max(initial=0)), num_videos)
    users, videos = queries.inputs["user_id"], queries.inputs["video_id"]
    hits = {}
    for part, ranked in evaluation.model_ranking(index, queries.inputs, wide):
        ranks = evaluation.hit_ranks(queries.without_shown(ranked, part, K), videos[part])
        for u, v, r in zip(
            users[part].tolist(), videos[part].tolist(), ranks.tolist(), strict=True
        ):
            hits[u, v] = r >= 0
    return hits


def recall(scores_of, queries, before) -> float:
    """recall@K of a scorer (user -> np.ndarray [V] of scores) with seen videos dropped."""
    hits, orders = 0, {}
    for row, user, target in queries:
        if user not in orders:
            orders[user] = np.argsort(-scores_of(user), kind="stable")
        seen = before[row]
        top = [v for v in orders[user][: K + len(seen)].tolist() if v not in seen][:K]
        hits += target in top
    return hits / max(len(queries), 1)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="default")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--users", type=int, default=100, help="Users sampled for the oracles.")
    parser.add_argument(
        "--samples",
        default="64,256,1024",
        help="Replays per step for P(v), comma-separated: the oracles are scored after each "
        "count (the replays are nested), the largest is the headline figure.",
    )
    parser.add_argument(
        "--model-dir",
        help="A trained retrieval model dir (tscac retrieval train) to score on the same "
        "queries; needs --data-dir, this world's preprocessed data (tscac generate with the "
        "same preset and seed, then tscac preprocess).",
    )
    parser.add_argument("--data-dir", help="Preprocessed data of this world, for --model-dir.")
    parser.add_argument("--output", default=RESULTS)
    args = parser.parse_args(argv)
    if bool(args.model_dir) != bool(args.data_dir):
        parser.error("--model-dir and --data-dir go together")
    start = time.perf_counter()
    config = WorldConfig.preset(args.preset, args.seed)
    num_users = World(config).population.users.ids.size
    sampled_rows = np.random.default_rng(args.seed).choice(num_users, args.users, replace=False)
    samples = tuple(sorted({int(m) for m in args.samples.split(",")}))
    world = OracleWorld(config, sampled_rows, samples)
    log = log_generator.generate_log(world)
    sampled_ids = set(world.population.users.ids[sampled_rows].tolist())
    videos = world.population.videos
    row_of = {int(v): i for i, v in enumerate(videos.ids)}
    user, video = log["user_id"], np.array([row_of[int(v)] for v in log["video_id"]])
    positive = (log["is_click"] == 1) | (log["long_view"] == 1)
    train = log["date"] < EVAL_START
    before = earlier_exposures(user, video)

    # count model and popularity, from the train period's positives
    users, user_row = np.unique(user, return_inverse=True)
    tags = np.zeros((videos.ids.size, videos.num_tags + 1))
    np.add.at(tags, (np.arange(videos.ids.size)[:, None], videos.tag_index), videos.tag_weight)
    tags = tags[:, :-1]
    fit = train & positive
    popularity = np.bincount(video[fit], minlength=videos.ids.size) + 0.1
    popularity /= popularity.sum()
    user_tags = np.zeros((users.size, tags.shape[1]))
    np.add.at(user_tags, user_row[fit], tags[video[fit]])
    global_tags = user_tags.sum(axis=0) / user_tags.sum()
    video_given_tag = tags * popularity[:, None]
    video_given_tag /= video_given_tag.sum(axis=0, keepdims=True) + 1e-300
    index = {int(u): i for i, u in enumerate(users)}

    def count_model(beta, a):
        tag_given_user = (user_tags + a * global_tags) / (user_tags.sum(1, keepdims=True) + a)
        return lambda u: beta * popularity + (1 - beta) * video_given_tag @ tag_given_user[index[u]]

    # oracle: the i-th request of a sampled user is its i-th row in the (user, time) log
    oracle_top, seen_count = {}, {}
    for row, u in enumerate(user.tolist()):
        if u in sampled_ids:
            i = seen_count.get(u, 0)
            oracle_top[row] = {kind: set(world.top[kind][u][i].tolist()) for kind in world.top}
            seen_count[u] = i + 1
    queries = [(row, int(user[row]), int(video[row])) for row in np.nonzero(~train & positive)[0]]
    sampled = [q for q in queries if q[1] in sampled_ids]
    figures = {"all": {}, "sampled": {}}
    convergence = {kind: {} for kind in ORACLES}
    for kind, m in world.top:
        hits = sum(int(videos.ids[q[2]]) in oracle_top[q[0]][kind, m] for q in sampled)
        convergence[kind][str(m)] = hits / max(len(sampled), 1)
    for kind, by_replays in convergence.items():
        figures["sampled"][f"oracle_{kind}"] = by_replays[str(samples[-1])]
    for label, subset in (("all", queries), ("sampled", sampled)):
        figures[label]["popularity"] = recall(lambda u: popularity, subset, before)
        grid = {
            f"beta={b},a={a}": recall(count_model(b, a), subset, before)
            for b in BETAS
            for a in SMOOTHING
        }
        best = max(grid, key=grid.get)
        figures[label]["count_model_best"] = grid[best]
        figures[label]["count_model_best_params"] = best
    pop_all, pop_sampled = figures["all"]["popularity"], figures["sampled"]["popularity"]
    ratios = {
        f"oracle_{kind}_vs_popularity": figures["sampled"][f"oracle_{kind}"] / pop_sampled
        for kind in ORACLES
    }
    if args.model_dir:
        hits = model_hits(args.model_dir, args.data_dir)
        keys = {
            label: [(q[1], int(videos.ids[q[2]])) for q in subset]
            for label, subset in (("all", queries), ("sampled", sampled))
        }
        if set(hits) != set(keys["all"]):
            raise ValueError(
                f"--data-dir {args.data_dir}: its {len(hits)} eval queries are not this world's "
                f"{len(queries)} (generate it with --preset {args.preset} --seed {args.seed})"
            )
        for label, subset in keys.items():
            figures[label]["two_tower"] = float(np.mean([hits[key] for key in subset]))
        ratios["two_tower_vs_popularity"] = figures["all"]["two_tower"] / pop_all
        ratios["two_tower_vs_popularity_sampled"] = figures["sampled"]["two_tower"] / pop_sampled
    result = {
        "benchmark": "retrieval_headroom",
        "preset": args.preset,
        "seed": args.seed,
        "queries": len(queries),
        "sampled_users": args.users,
        "sampled_queries": len(sampled),
        "samples_per_step": samples[-1],
        "oracle_recall@50_by_replays": convergence,
        "recall@50": figures,
        "count_model_vs_popularity": figures["all"]["count_model_best"] / pop_all,
        **ratios,
        "count_model_vs_popularity_sampled": figures["sampled"]["count_model_best"] / pop_sampled,
        "note": "every ranking drops the user's earlier exposures; the count model's (beta, a)"
        " is chosen on the eval queries (optimistic)",
        "model_dir": args.model_dir,
        "seconds": round(time.perf_counter() - start, 1),
    }
    print(json.dumps(result, indent=1))
    results_file.write(args.output, result)
    return result


if __name__ == "__main__":
    main()
