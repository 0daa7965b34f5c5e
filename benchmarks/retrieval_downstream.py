"""How the retrieval model's variant and training seed move BC's results downstream.

    python benchmarks/retrieval_downstream.py --workdir workdir \
        [--variants 0:fitted,0:counts,1:fitted,1:counts,2:fitted,2:counts]

Session 15 made the fitted tag profile the default and BC then lost watch time on the
world's candidates (RESULTS.md, All policies, "Session 15"). The main job trains
retrieval with one seed, so a change of variant can look like an effect when it is a draw
of the candidate sets. For each variant SEED:PROFILE this script retrains, on the main
job's preprocessed data, what the candidate sets depend on, as the main job does it:

  tscac retrieval train --seed SEED --tag-profile PROFILE   (then `retrieval evaluate`)
  tscac retrieval candidates                                 (top 50, without shown videos)
  tscac baselines --only bc                                  (BC on those candidates, seed 0)
  tscac evaluate --policy bc=... --retrieval-index ...       (the main job's 2,400 rollouts)

and reports BC's ground-truth watch time on the world's candidates (what the report's
blessing uses) and on the variant's own (the served path), with the variant's recall@50
against popularity's. Over the seeds, per profile: the means, and the paired differences
between the profiles at each seed. The rollouts use common random numbers fixed by the
preset, so the variants differ by retrieval (and BC's training on its candidates) alone.

Outputs go to WORKDIR/retrieval_downstream/<seed>_<profile>/ (a variant whose report
exists is read, not rerun); figures to benchmarks/results/retrieval_downstream.json.
About 4 minutes a variant on the default preset with 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

import tscac_tf  # noqa: F401  (Keras 2 before anything imports TensorFlow)

# isort: split
import results_file  # benchmarks/results_file.py (this script's directory is on sys.path)
import seed_spread  # benchmarks/seed_spread.py: the main job's inputs, running `tscac`

from tscac_tf.retrieval.config import PROFILE_METHODS

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS = os.path.join(REPO, "benchmarks", "results", "retrieval_downstream.json")
DEFAULT_VARIANTS = "0:fitted,0:counts,1:fitted,1:counts,2:fitted,2:counts"


def parse_variants(text: str) -> list[tuple[int, str]]:
    """'0:fitted,1:counts' -> [(0, 'fitted'), (1, 'counts')]; ValueError names a bad one."""
    variants = []
    for item in text.split(","):
        seed, _, profile = item.strip().partition(":")
        if not seed.isdigit() or profile not in PROFILE_METHODS:
            raise ValueError(
                f"--variants: {item!r} is not SEED:PROFILE with PROFILE in {PROFILE_METHODS}"
            )
        variants.append((int(seed), profile))
    return variants


def examples_dir(candidates_dir: str) -> str:
    """The preprocess output the main job's candidates step read."""
    with open(os.path.join(candidates_dir, "_metadata.json")) as f:
        return json.load(f)["inputs"]["examples"]["uri"]


def run_variant(inputs: dict, seed: int, profile: str, out: str, preset: str) -> dict:
    """Retrieval, candidates, BC and the evaluation of one variant; returns its figures."""
    report = os.path.join(out, "evaluate", "report.json")
    model, candidates = os.path.join(out, "retrieval"), os.path.join(out, "candidates")
    logs = os.path.join(out, "logs")
    if not os.path.exists(report):
        steps = [
            ("retrieval_train", ["retrieval", "train", "--data-dir", inputs["examples"],
                                 "--model-dir", model, "--preset", preset, "--seed", str(seed),
                                 "--tag-profile", profile]),
            ("retrieval_evaluate", ["retrieval", "evaluate", "--data-dir", inputs["examples"],
                                    "--model-dir", model]),
            ("candidates", ["retrieval", "candidates", "--data-dir", inputs["examples"],
                            "--model-dir", model, "--output-dir", candidates]),
            ("bc", ["baselines", "--data", candidates, "--out", os.path.join(out, "baselines"),
                    "--only", "bc", "--preset", preset]),
            ("evaluate", ["evaluate", "--world", inputs["world"], "--data", candidates,
                          "--policy", f"bc={os.path.join(out, 'baselines', 'bc', 'export', 'rank')}",
                          "--retrieval-index", os.path.join(model, "index"),
                          "--out", os.path.join(out, "evaluate"), "--preset", preset]),
        ]  # fmt: skip
        for name, argv in steps:
            log = os.path.join(logs, f"{name}.log")
            seed_spread._wait(seed_spread._tscac(argv, log), logs=[log])
    with open(report) as f:
        figures = json.load(f)
    with open(os.path.join(model, "evaluation_metrics.json")) as f:
        recall = json.load(f)["recall@50_vs_popularity"]

    def watch(policies: dict) -> dict:
        truth = policies["bc"]["ground_truth"]["watch_time"]
        return {"mean": round(truth["mean"], 2), "ci95": round(truth["ci95"], 2)}

    return {
        "seed": seed,
        "profile": profile,
        "recall@50_vs_popularity": round(recall, 4),
        "bc_world": watch(figures["policies"]),
        "bc_served_path": watch(figures["served_path"]["policies"]),
    }


def summarise(rows: list[dict]) -> dict:
    """Per profile the means over seeds; per pair of profiles the paired differences."""
    out = {}
    for profile in sorted({r["profile"] for r in rows}):
        mine = [r for r in rows if r["profile"] == profile]
        out[profile] = {
            "seeds": [r["seed"] for r in mine],
            "recall@50_vs_popularity": round(
                statistics.mean(r["recall@50_vs_popularity"] for r in mine), 4
            ),
            **{
                key: round(statistics.mean(r[key]["mean"] for r in mine), 2)
                for key in ("bc_world", "bc_served_path")
            },
        }
    by = {(r["seed"], r["profile"]): r for r in rows}
    seeds = sorted({s for s, p in by if (s, "fitted") in by and (s, "counts") in by})
    if seeds:
        for key in ("bc_world", "bc_served_path"):
            diffs = [by[s, "fitted"][key]["mean"] - by[s, "counts"][key]["mean"] for s in seeds]
            out[f"fitted_minus_counts_{key}"] = {
                "seeds": seeds,
                "by_seed": [round(d, 2) for d in diffs],
                "mean": round(statistics.mean(diffs), 2),
                "sd": round(statistics.stdev(diffs), 2) if len(diffs) > 1 else None,
                "seeds_lower": sum(d < 0 for d in diffs),
            }
    return out


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", default="workdir", help="A finished `tscac run` workdir.")
    parser.add_argument("--variants", default=DEFAULT_VARIANTS, help="SEED:PROFILE,...")
    parser.add_argument("--preset", default="default")
    parser.add_argument("--output", default=RESULTS)
    args = parser.parse_args(argv)
    variants = parse_variants(args.variants)
    inputs = seed_spread.main_job_inputs(args.workdir)
    inputs["examples"] = examples_dir(inputs["candidates"])
    start = time.perf_counter()
    rows = []
    for seed, profile in variants:
        out = os.path.join(args.workdir, "retrieval_downstream", f"{seed}_{profile}")
        rows.append(run_variant(inputs, seed, profile, out, args.preset))
        print(json.dumps(rows[-1]), flush=True)
    result = {
        "workdir": os.path.abspath(args.workdir),
        "examples": inputs["examples"],
        "variants": rows,
        "summary": summarise(rows),
        "seconds": round(time.perf_counter() - start, 1),
    }
    return results_file.finish(args.output, result)


if __name__ == "__main__":
    main()
