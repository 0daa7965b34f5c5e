"""What retrieval is worth to the end result: policies played on candidates from our own index.

    python benchmarks/served_path.py --workdir workdir [--seeds 0,1,2,3] [--policies bc,tscac]

The main job's ground truth (ARCHITECTURE §3.1) lets every policy rank the candidates of
the world's own generator, the platform's retrieval that logged the data. In production
the policy ranks what *our* retrieval supplies instead: the served `recommend` path. This
script replays the main job's ground-truth protocol (the preset's users, sessions and
seeds, common random numbers) with the candidate sets of each step taken from:

- `world`: the world's generator (what the main job reports);
- `two_tower`: the main job's exported retrieval index, the best K videos the user was not
  shown before (the session's history and every earlier exposure of the rollout), as the
  candidates step and `recommend_excluding` do;
- `popularity`: the K most frequent train-split positives (long view or click) the user
  was not shown before, the baseline of issue 4's recall target;
- `random`: K uniformly drawn videos not shown before (a floor).

Each policy (by default every rank export of the main job) then ranks those K, and the
world plays the chosen video. For each source the script writes the main job's report
(OUT/seed_<S>/<source>/report.md: every metric's mean, 95% CI and % vs BC on that source, the
constraints with their paired significance, the blessing), and it prints per (source,
policy) the watch time, its % against the same policy on the world's candidates, and the
failed constraints. The `world` report reproduces the main job's own. It puts issue 4's
offline recall@50 (two-tower 1.7x popularity's since session 13, 1.5x before) beside
what the two sources give the policies that rank them.

`--seeds`: seed 0 is the main job's own policies; seed S >= 1 the policies
`benchmarks/seed_spread.py` retrained with seed S on the same candidates (run it first),
so the sources can be compared over training seeds; the summary gives, per (source,
policy), the mean and sd of % vs BC over the seeds, the seeds above BC, the seeds without
a significant constraint failure and the seeds blessed. Reports go to
OUT/seed_<S>/<source>/; figures to benchmarks/results/served_path.json.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import tscac_tf  # noqa: F401  (Keras 2 before anything imports TensorFlow)

# isort: split
import results_file  # benchmarks/results_file.py (this script's directory is on sys.path)
import seed_spread  # benchmarks/seed_spread.py: the main job's inputs

from tscac_tf.evaluation import candidate_sources, ground_truth, report
from tscac_tf.evaluation import evaluate as evaluation
from tscac_tf.evaluation import statistics as stats
from tscac_tf.evaluation.saved_model_policy import SavedModelPolicy
from tscac_tf.pipeline import runner, tscac_pipeline
from tscac_tf.retrieval import model_dir, retrieval_index
from tscac_tf.simulator.world import World

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results", "served_path.json")
SOURCES = ("world", "two_tower", "popularity", "random")


def _row(source: str, name: str, entry: dict, on_world: dict | None) -> dict:
    """One (source, policy) line of the results file, from that source's report entry."""
    truth = entry["ground_truth"]
    paired = entry.get("vs_bc_paired", {})
    row = {
        "source": source,
        "policy": name,
        **{m: {k: truth[m][k] for k in ("mean", "ci95", "pct_vs_bc")} for m in truth},
        "failed_constraints": {
            k: ("significant" if paired.get(k, {}).get("significant") else "within noise")
            for k, ok in entry["constraints"].items()
            if not ok
        },
        "blessed": entry["blessed"],
    }
    if on_world is not None:
        world_mean = on_world["ground_truth"]["watch_time"]["mean"]
        row["watch_time_pct_vs_world"] = 100 * (truth["watch_time"]["mean"] / world_mean - 1)
    return row


def _play_sources(world, sources, policies, config, names, seed, out_dir) -> list[dict]:
    """Plays the policies on each candidate source; writes a report per source; the rows."""
    reports, sessions = {}, {}
    for source in names:
        began = time.perf_counter()
        played = sessions[source] = ground_truth.evaluate_policies(
            world, policies, config, candidates=sources[source]
        )
        evaluations = [report.PolicyEvaluation(n, metrics) for n, metrics in played.items()]
        metadata = {"candidates": source, "training_seed": seed, "ground_truth": f"{config}"}
        reports[source] = report.build_report(evaluations, metadata)
        paths = report.write_report(reports[source], os.path.join(out_dir, f"seed_{seed}", source))
        print(f"seed {seed}, {source}: {time.perf_counter() - began:.0f} s, {paths['md']}")
    rows = []
    for source, built in reports.items():
        for name, entry in built["policies"].items():
            on_world = reports.get("world", {}).get("policies", {}).get(name)
            row = {"seed": seed, **_row(source, name, entry, on_world)}
            if source == "two_tower" and "popularity" in sessions:
                # the same users, sessions and world draws: a paired comparison of the sources
                difference, ci = stats.paired_difference_ci95(
                    sessions["two_tower"][name]["watch_time"],
                    sessions["popularity"][name]["watch_time"],
                )
                row["watch_time_vs_popularity_paired"] = {"difference": difference, "ci95": ci}
            rows.append(row)
            failed = ", ".join(f"{k} ({v})" for k, v in row["failed_constraints"].items())
            print(
                f"seed {seed} {source:11s} {name:15s} watch {row['watch_time']['mean']:6.1f} s "
                f"({row['watch_time']['pct_vs_bc']:+6.1f}% vs BC, "
                f"{row.get('watch_time_pct_vs_world', 0.0):+6.1f}% vs world)  "
                f"{'BLESSED' if row['blessed'] else 'fails: ' + (failed or '-')}",
                flush=True,
            )
    return rows


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", required=True, help="A finished `tscac run` workdir.")
    parser.add_argument("--policies", default="", help="rank exports to play (default: all)")
    parser.add_argument("--sources", default=",".join(SOURCES))
    parser.add_argument("--preset", default="default", help="the evaluation preset (users)")
    parser.add_argument("--seeds", default="0", help="training seeds (0: the main job's)")
    parser.add_argument("--out", default=None, help="reports (default: WORKDIR/served_path)")
    parser.add_argument("--output", default=RESULTS)
    args = parser.parse_args(argv)
    start = time.perf_counter()

    inputs = seed_spread.main_job_inputs(args.workdir)
    retrieval_run = runner.read_metadata(inputs["candidates"])["inputs"]["retrieval"]["uri"]
    world = World.from_json(os.path.join(inputs["world"], "world.json"))
    train_log = os.path.join(inputs["world"], "log_standard_4_08_to_4_21_synthetic.csv")
    library = candidate_sources.CandidateSources(
        world,
        retrieval_index.load(model_dir.index_path(retrieval_run)),
        candidate_sources.popularity_from_log(train_log, world),
    )
    sources = {
        "world": world.candidates,
        "two_tower": library.retrieval,
        "popularity": library.popularity,
        "random": library.random,
    }
    config = evaluation.preset(args.preset).ground_truth
    out_dir = args.out or os.path.join(args.workdir, "served_path")
    rows = []
    for seed in [int(s) for s in args.seeds.split(",")]:
        if seed == 0:
            train, baselines = inputs["train"], inputs["baselines"]
        else:
            run = os.path.join(args.workdir, "seed_spread", f"seed_{seed}")
            train, baselines = os.path.join(run, "train"), os.path.join(run, "baselines")
            if not os.path.isdir(train):
                raise SystemExit(f"no {train}: run benchmarks/seed_spread.py --seeds {seed} first")
        exports = tscac_pipeline.policy_exports(train, baselines)
        names = args.policies.split(",") if args.policies else sorted(exports)
        if "bc" not in names:
            names.insert(0, "bc")  # the reference of every report
        unknown = sorted(set(names) - set(exports))
        if unknown:
            raise SystemExit(f"no rank export for {unknown}; the run has {sorted(exports)}")
        policies = {name: SavedModelPolicy(exports[name]) for name in names}
        rows += _play_sources(
            world, sources, policies, config, args.sources.split(","), seed, out_dir
        )
    summary = {}
    for key in sorted({(r["source"], r["policy"]) for r in rows}):
        mine = [r for r in rows if (r["source"], r["policy"]) == key]
        pct = [r["watch_time"]["pct_vs_bc"] for r in mine]
        summary["/".join(key)] = {
            "seeds": len(mine),
            "watch_time_mean": statistics.fmean(r["watch_time"]["mean"] for r in mine),
            "pct_vs_bc_mean": statistics.fmean(pct),
            "pct_vs_bc_sd": statistics.stdev(pct) if len(pct) > 1 else 0.0,
            "seeds_above_bc": sum(p > 0 for p in pct),
            "seeds_without_significant_failure": sum(
                "significant" not in r["failed_constraints"].values() for r in mine
            ),
            "seeds_blessed": sum(r["blessed"] for r in mine),
        }
        paired = [
            r["watch_time_vs_popularity_paired"]
            for r in mine
            if "watch_time_vs_popularity_paired" in r
        ]
        if paired:
            summary["/".join(key)]["watch_time_vs_popularity_paired"] = {
                "mean_difference": statistics.fmean(p["difference"] for p in paired),
                "seeds_significantly_above": sum(p["difference"] > p["ci95"] for p in paired),
                "seeds_significantly_below": sum(p["difference"] < -p["ci95"] for p in paired),
            }
    if len({r["seed"] for r in rows}) > 1:
        print("\nover the seeds (% vs BC on the same candidates):")
        for key, v in summary.items():
            print(
                f"  {key:28s} {v['pct_vs_bc_mean']:+6.1f} ± {v['pct_vs_bc_sd']:4.1f}%  above BC "
                f"{v['seeds_above_bc']}/{v['seeds']}, no significant failure "
                f"{v['seeds_without_significant_failure']}/{v['seeds']}, blessed "
                f"{v['seeds_blessed']}/{v['seeds']}"
            )
    result = {
        "benchmark": "served_path",
        "workdir": os.path.abspath(args.workdir),
        "retrieval": retrieval_run,
        "ground_truth": {
            "users": config.num_users,
            "sessions_per_user": config.num_sessions,
            "seeds": list(config.seeds),
        },
        "reports": os.path.abspath(out_dir),
        "seeds": sorted({r["seed"] for r in rows}),
        "rows": rows,
        "summary": summary,
        "seconds": round(time.perf_counter() - start, 1),
    }
    return results_file.finish(args.output, result)


if __name__ == "__main__":
    main()
    sys.exit(0)
