"""`tscac ablate`: the λ sweep, per-response vs shared γ, multi-critic vs joint critic,
fixed vs dual λ.

    tscac ablate --world DIR --data DIR --train-dir DIR --out DIR [--preset default]
                 [--lambdas 0.01,0.03,0.1,0.3,1] [--skip sweep,gamma,critics,dual]
                 [--critic-interactions click,like] [--critic-steps N]
                 [--policy NAME=DIR ...] [train flags: --steps, --stage-two-steps, ...]

TRAIN-DIR is a finished `tscac train --out` (its behaviour model and stage-one policies
are reused, so only the ablated part differs); use the same preset and flags it was
trained with. Its own policy is the sweep's point at its λ only when the flags train stage
two as it was trained; with another --seed or --advantage-critic, say, that point is
retrained too. OUT receives one training run per variant (lambda=<λ>/, shared_gamma/,
dual_lambda/: stage two with λ_i moved by dual ascent from the run's, StageTwoConfig.
lagrange_update),
critics.json, report/ (report.md/.html/.json with lambda_sweep.png, every variant
judged like every other policy, BC = TRAIN-DIR's behaviour model unless --policy bc=DIR
is given) and ablations.json. See tscac_tf/evaluation/ablations.py.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from tscac_tf.cli import train as train_cli
from tscac_tf.cli._logging import log_progress_to_stderr
from tscac_tf.cli.evaluate import parse_policies

COMMAND = "ablate"
HELP = "Ablations on a trained run: shared-λ sweep, shared γ, multi-critic vs joint critic."
PARTS = ("sweep", "gamma", "critics", "dual")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    train_cli.add_arguments(parser)  # --data, --out, --preset and the step/λ/seed flags
    parser.add_argument("--world", required=True, help="Directory with world.json.")
    parser.add_argument("--train-dir", required=True, help="A finished `tscac train --out`.")
    parser.add_argument(
        "--lambdas",
        default="0.01,0.03,0.1,0.3,1",
        help="Shared λ values of the sweep (comma list; see ablations.DEFAULT_LAMBDAS).",
    )
    parser.add_argument("--skip", default="", help=f"Parts to skip, from {','.join(PARTS)}.")
    parser.add_argument(
        "--critic-interactions", default="click,like",
        help="Interactions paired with watch time in the critic ablation.",
    )  # fmt: skip
    parser.add_argument(
        "--critic-steps", type=int, help="TD steps per critic (default: stage-two steps)."
    )
    parser.add_argument(
        "--critic-eval-steps", type=int, default=100_000, help="Eval steps the critics score."
    )
    parser.add_argument(
        "--policy", action="append", default=[], metavar="NAME=DIR",
        help="Further exported policies to judge beside the variants (e.g. rcpo=DIR).",
    )  # fmt: skip
    parser.add_argument("--eval-preset", help="Evaluation preset (default: --preset).")


def _floats(text: str, flag: str) -> list[float]:
    try:
        values = [float(v) for v in text.split(",") if v.strip()]
    except ValueError as e:
        raise ValueError(f"{flag} expects comma-separated numbers, got {text!r}") from e
    if not values or any(v <= 0 for v in values):
        raise ValueError(f"{flag} needs positive values, got {text!r}")
    return values


def run(args: argparse.Namespace) -> int:
    log_progress_to_stderr()
    try:
        config = train_cli.build_config(args)
        lambdas = _floats(args.lambdas, "--lambdas")
        skip = {s for s in args.skip.split(",") if s}
        unknown = sorted(skip - set(PARTS))
        if unknown:
            raise ValueError(f"--skip: unknown parts {unknown}; the parts are {list(PARTS)}")
        extra = parse_policies(args.policy)
    except (KeyError, ValueError) as e:
        print(f"tscac ablate: {e}", file=sys.stderr)
        return 2
    behavior_export = os.path.join(args.train_dir, "export", "behavior")
    for path in (os.path.join(args.world, "world.json"), behavior_export, args.data):
        if not os.path.exists(path):
            print(f"tscac ablate: {path} does not exist", file=sys.stderr)
            return 2

    from tscac_tf.agents.tscac.tscac_training import infer_num_candidates
    from tscac_tf.evaluation import ablations, evaluate
    from tscac_tf.evaluation import report as report_lib
    from tscac_tf.simulator.world import World

    os.makedirs(args.out, exist_ok=True)
    exports = {"bc": behavior_export, "tscac": os.path.join(args.train_dir, "export", "rank")}
    exports.update(extra)
    summary: dict = {"train_dir": args.train_dir, "config": {"preset": args.preset}}
    # The run itself is the sweep's point at its own λ, unless these flags train stage two
    # otherwise (--seed, --advantage-critic, --stage-two-steps, ...): then it is retrained.
    base_lambdas = set(config.lagranges.values())
    run_is_config = ablations.stage_two_matches(args.train_dir, config)
    sweep_names = {}
    if "sweep" not in skip:
        for lam in lambdas:
            name = f"{report_lib.SWEEP_PREFIX}{lam:g}"
            if base_lambdas == {lam} and run_is_config:
                sweep_names[lam] = "tscac"
                continue
            out = os.path.join(args.out, f"lambda={lam:g}")
            exports[name] = ablations.retrain(
                args.data, args.train_dir, out, ablations.lambda_sweep_config(config, lam),
                reuse=("behavior", "stage_one"),
            )  # fmt: skip
            sweep_names[lam] = name
    if "gamma" not in skip:
        out = os.path.join(args.out, "shared_gamma")
        exports["tscac_shared_gamma"] = ablations.retrain(
            args.data, args.train_dir, out, ablations.shared_discount_config(config),
            reuse=("behavior",),
        )  # fmt: skip
    if "dual" not in skip:
        out = os.path.join(args.out, "dual_lambda")
        exports[ablations.DUAL_POLICY] = ablations.retrain(
            args.data, args.train_dir, out, ablations.dual_lambda_config(config),
            reuse=("behavior", "stage_one"),
        )  # fmt: skip
        summary["dual_lambda"] = ablations.read_lagranges(out)
    if "critics" not in skip:
        critics = ablations.critic_correlations(
            args.data,
            config,
            interactions=[s for s in args.critic_interactions.split(",") if s],
            num_steps=args.critic_steps,
            max_eval_steps=args.critic_eval_steps,
        )
        ablations.write_json(critics, os.path.join(args.out, "critics.json"))
        summary["critics"] = critics

    world = World.from_json(os.path.join(args.world, "world.json"))
    eval_config = evaluate.preset(
        args.eval_preset or args.preset, num_candidates=infer_num_candidates(args.data)
    )
    report_dir = os.path.join(args.out, "report")
    report = evaluate.evaluate(
        world, args.data, exports, report_dir, eval_config,
        metadata={"ablations": "tscac ablate (tscac_tf/evaluation/ablations.py)"},
    )  # fmt: skip
    if sweep_names:
        sweep = report_lib.sweep_points(report, sweep_names)
        report_lib.write_report(report, report_dir, sweep=sweep)
        summary["lambda_sweep"] = sweep
    summary["policies"] = {
        name: {
            "watch_time": p["ground_truth"]["watch_time"]["mean"],
            "watch_time_pct_vs_bc": p["ground_truth"]["watch_time"]["pct_vs_bc"],
            "constraints_failed": p["not_blessed_because"],
        }
        for name, p in report["policies"].items()
        if p["group"] != "oracle"
    }
    summary["report"] = os.path.join(report_dir, "report.md")
    path = ablations.write_json(summary, os.path.join(args.out, "ablations.json"))
    print(json.dumps({"ablations": path, "report": summary["report"]}, indent=1))
    return 0
