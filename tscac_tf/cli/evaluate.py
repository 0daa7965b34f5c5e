"""`tscac evaluate`: judge exported policies by ground truth, NCIS and the oracle frontier.

tscac evaluate --world DIR --data DIR --policy bc=DIR --policy tscac=DIR --out DIR

Without --world (real logs, no synthetic world to play in) the policies are judged by
NCIS on the evaluation split alone, and the report says so. With --world and
--retrieval-index (the exported index the candidates step used), the report adds the
served path: the same policies played on that index's candidates.
"""

from __future__ import annotations

import json
import os

COMMAND = "evaluate"
HELP = (
    "Ground-truth rollouts, NCIS and the oracle frontier for exported policies; writes the report."
)


def add_arguments(parser) -> None:
    parser.add_argument(
        "--world",
        help="Directory with world.json (tscac generate output); without it (real logs) "
        "the policies are judged by NCIS alone.",
    )
    parser.add_argument(
        "--data", required=True, help="Candidates-step output (its eval split feeds NCIS)."
    )
    parser.add_argument(
        "--policy", action="append", required=True, metavar="NAME=DIR",
        help="An exported policy (SavedModel with `rank`, or a serving base path); 'bc' is required.",
    )  # fmt: skip
    parser.add_argument("--out", required=True, help="Report directory.")
    parser.add_argument(
        "--retrieval-index",
        help="An exported retrieval index (`tscac retrieval train` output's index/): with "
        "--world, the policies are also played on its candidates (the served path).",
    )
    parser.add_argument(
        "--preset", default="default", help="small, default or pure (users, sessions, seeds)."
    )
    parser.add_argument(
        "--propensity", choices=("model", "logged"), default="model", help="π_b for NCIS."
    )
    parser.add_argument(
        "--history-length", type=int, default=20, help="H of the logged eval transitions."
    )
    parser.add_argument(
        "--train-dir", action="append", default=[], metavar="DIR",
        help="A training output (`tscac train --out`) whose loss summaries become the "
        "report's learning curves; repeatable.",
    )  # fmt: skip


def parse_policies(values: list[str]) -> dict[str, str]:
    """['bc=/a', 'tscac=/b'] -> {'bc': '/a', 'tscac': '/b'}; ValueError naming a bad entry."""
    out = {}
    for value in values:
        name, sep, path = value.partition("=")
        if not sep or not name or not path:
            raise ValueError(f"--policy expects NAME=DIR, got {value!r}")
        if name in out:
            raise ValueError(f"--policy {name} given twice")
        out[name] = path
    return out


def run(args) -> int:
    from tscac_tf.agents.tscac.tscac_training import infer_num_candidates
    from tscac_tf.evaluation import evaluate, learning_curves
    from tscac_tf.simulator.world import World

    if args.retrieval_index and not args.world:
        raise ValueError("--retrieval-index needs --world (the served path is played in it)")
    policies = parse_policies(args.policy)
    world = World.from_json(os.path.join(args.world, "world.json")) if args.world else None
    config = evaluate.preset(
        args.preset,
        propensity=args.propensity,
        history_length=args.history_length,
        num_candidates=infer_num_candidates(args.data),
    )
    for train_dir in args.train_dir:
        if not os.path.isdir(train_dir):
            raise FileNotFoundError(f"--train-dir {train_dir}: no such directory")
    curves = learning_curves.read_curves(args.train_dir) if args.train_dir else None
    report = evaluate.evaluate(
        world,
        args.data,
        policies,
        args.out,
        config,
        curves=curves,
        retrieval_index_dir=args.retrieval_index,
    )
    judged = "ncis" if world is None else "ground_truth"
    summary = {
        name: {
            "blessed": p["blessed"],
            "watch_time_pct_vs_bc": p[judged]["watch_time"]["pct_vs_bc"],
        }
        for name, p in report["policies"].items()
    }
    print(
        json.dumps({"report": os.path.join(args.out, "report.md"), "policies": summary}, indent=1)
    )
    return 0
