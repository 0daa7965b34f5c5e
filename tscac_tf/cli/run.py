"""`tscac run`: the main job, from logs to a blessed, pushed model and its report.

    tscac run                                   # default synthetic world, preset default
    tscac run --preset small --workdir /tmp/w   # the quick one (tests use it)
    tscac run --data-dir ~/KuaiRand-Pure/data   # real KuaiRand-format logs

Components and their outputs are listed in tscac_tf/pipeline/tscac_pipeline.py. A rerun
with unchanged inputs reuses every cached output; after a failure the same command
resumes at the failed component. Unknown flags go to the Beam components.
"""

from __future__ import annotations

import json
import os
import sys

COMMAND = "run"
HELP = "The main job: generate/preprocess -> retrieval -> candidates -> π_β -> TSCAC | baselines -> evaluate -> export -> push."
PASSES_UNKNOWN_ARGS = True


def add_arguments(parser) -> None:
    parser.add_argument(
        "--data-dir", help="KuaiRand-format logs; default: generate the synthetic world."
    )
    parser.add_argument(
        "--workdir", default="workdir", help="Where every component writes (default ./workdir)."
    )
    parser.add_argument("--preset", default="default", help="small, default or pure.")
    parser.add_argument("--seed", type=int, default=0, help="World seed (synthetic data only).")
    parser.add_argument(
        "--force",
        action="append",
        default=[],
        metavar="COMPONENT",
        help="Rerun a cached component.",
    )
    parser.add_argument(
        "--no-baselines", action="store_true", help="Skip the baselines (faster, smaller report)."
    )
    parser.add_argument(
        "--parallel",
        type=int,
        default=2,
        metavar="N",
        help="Components run at once when their inputs are ready (default 2: TSCAC's stages "
        "and the baselines train side by side; 1: one by one).",
    )


def _summary(results, workdir: str) -> str:
    lines = ["", "== tscac run: summary =="]
    for name, result in results.items():
        lines.append(
            f"  {name:<11} {'cached' if result.cached else f'{result.seconds:7.1f}s'}  {result.output_dir}"
        )
    metrics = results["behavior"].metrics if "behavior" in results else {}
    heldout, training = metrics.get("behavior_heldout"), metrics.get("behavior_training")
    if heldout:
        worse = heldout["cross_entropy"] >= heldout["uniform_cross_entropy"]
        chosen = ""
        if training and "step" in heldout:
            stopped = "; stopped early" if training.get("stopped_early_at") is not None else ""
            chosen = f" (step {heldout['step']:,} of {training['steps']:,} trained{stopped})"
        lines += ["", f"π_β{chosen} on {heldout['transitions']:,} held-out steps: cross-entropy "
                  f"{heldout['cross_entropy']:.3f} against a uniform choice's "
                  f"{heldout['uniform_cross_entropy']:.3f}"
                  + (" (no better: its importance ratios and the BC reference are weak)" if worse else "")]  # fmt: skip
    if "evaluate" in results:
        report_md = os.path.join(results["evaluate"].output_dir, "report.md")
        with open(report_md) as f:  # the tables, under their headings
            table = [line for line in f if line.startswith(("|", "## ", "### "))]
        lines += ["", *[line.rstrip() for line in table if "oracle" not in line], "",
                  f"report: {report_md} (and report.html, report.json, plots/)"]  # fmt: skip
    if "push" in results:
        with open(os.path.join(results["push"].output_dir, "push.json")) as f:
            pushed = json.load(f)
        if pushed["pushed"]:
            base = os.path.dirname(os.path.dirname(pushed["version_dir"]))
            lines += [
                f"pushed: {pushed['version_dir']}",
                f"serve it: tscac serve --model-base-path {base}",
            ]
        else:
            lines += ["NOT pushed (not blessed): " + "; ".join(pushed["reasons"])]
            lines += [f"the export is kept at {results['export'].output_dir}"]
    return "\n".join(lines)


def run(args) -> int:
    from tscac_tf.pipeline import runner, tscac_pipeline

    try:
        config = tscac_pipeline.RunConfig(
            preset=args.preset,
            data_dir=args.data_dir,
            seed=args.seed,
            beam_args=tuple(getattr(args, "unknown_args", []) or []),
            with_baselines=not args.no_baselines,
            max_parallel=args.parallel,
        )
    except (ValueError, FileNotFoundError) as exc:
        print(f"tscac run: {exc}", file=sys.stderr)
        return 2
    pipeline = runner.PipelineRunner(
        args.workdir, force=args.force, max_parallel=config.max_parallel
    )
    try:
        results = pipeline.run(tscac_pipeline.components(config, args.workdir))
    except runner.PipelineError as exc:
        print(f"tscac run: {exc}", file=sys.stderr)
        return 1
    print(_summary(results, args.workdir))
    return 0
