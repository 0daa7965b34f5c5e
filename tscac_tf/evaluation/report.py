"""The evaluation report: report.json, report.md, report.html and PNG plots.

One row per policy (and per oracle reference), the paper's Table 2 layout: each metric's
mean, 95% CI and % change versus behaviour cloning (BC), whether each auxiliary
constraint holds, and whether the policy is blessed (ARCHITECTURE §3).

The constraint check and the blessing compare means, as ARCHITECTURE §3.3 defines them.
Because the rare interactions make those means noisy (a few hates per thousand
sessions), the report also gives each policy's paired difference from BC per metric
(`vs_bc_paired`: mean and 95% CI over the common-random-number session pairs) and says,
for every failed constraint and for the watch-time comparison, whether the difference is
outside that interval ("significant") or within the noise.
"""

from __future__ import annotations

import dataclasses
import html
import json
import math
import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from tscac_tf.evaluation import constraints, statistics
from tscac_tf.specs import responses

SESSION_METRICS = (*responses.RESPONSE_NAMES, "depth")
REFERENCE = "bc"
# Policies of a shared-λ sweep are named "tscac_lambda=<λ>" (`tscac ablate`).
SWEEP_PREFIX = "tscac_lambda="
# The sparse interactions summed on the x axis of the trade-off plots.
INTERACTIONS = ("like", "follow", "comment", "forward")


@dataclasses.dataclass
class PolicyEvaluation:
    """Everything measured about one policy.

    Attributes:
      name: row label ("bc", "tscac", "rcpo", "oracle_a=0.5", ...).
      ground_truth: {metric: [sessions] raw per-session totals} from the synthetic world
        (metrics: SESSION_METRICS; hate as a count), pooled over evaluation seeds.
      ncis: {response: per-step NCIS estimate} on the evaluation log, or None.
      group: "policy" for learned policies, "oracle" for references that know the world.
    """

    name: str
    ground_truth: Mapping[str, Sequence[float]]
    ncis: Mapping[str, float] | None = None
    group: str = "policy"


def _summaries(evaluation: PolicyEvaluation) -> dict[str, dict[str, float]]:
    out = {}
    depth_total = float(np.sum(evaluation.ground_truth["depth"]))
    for metric in SESSION_METRICS:
        if metric not in evaluation.ground_truth:
            raise KeyError(f"policy {evaluation.name!r}: ground truth has no {metric!r}")
        values = np.asarray(evaluation.ground_truth[metric], np.float64)
        mean, ci = statistics.mean_ci95(values)
        out[metric] = {
            "mean": mean,
            "ci95": ci,
            "per_step": float(values.sum() / max(depth_total, 1.0)),
        }
    return out


def _paired(evaluation: PolicyEvaluation, reference: PolicyEvaluation) -> dict | None:
    """{metric: {difference, ci95, significant}} vs the reference, session by session;
    None when the two were not played on the same sessions (different counts)."""
    out = {}
    for metric in SESSION_METRICS:
        values = np.asarray(evaluation.ground_truth[metric], np.float64)
        base = np.asarray(reference.ground_truth[metric], np.float64)
        if values.shape != base.shape or values.size < 2:
            return None
        difference, ci = statistics.paired_difference_ci95(values, base)
        out[metric] = {
            "difference": difference,
            "ci95": ci,
            "significant": bool(abs(difference) > ci),
        }
    return out


def _verdicts(policy: Mapping[str, Any]) -> str:
    """The constraints cell: which fail, each marked significant or within noise."""
    failed = [k for k, ok in policy["constraints"].items() if not ok]
    if not failed:
        return "all hold"
    paired = policy.get("vs_bc_paired")
    if paired is None:
        return "fail: " + ", ".join(failed)
    marks = [
        f"{k} ({'significant' if paired[k]['significant'] else 'within noise'})" for k in failed
    ]
    return "fail: " + ", ".join(marks)


def build_report(
    evaluations: Sequence[PolicyEvaluation], metadata: Mapping[str, Any] | None = None
) -> dict:
    """The report as a JSON-able dict (see module docstring).

    Raises:
      ValueError: no evaluation is named "bc" (the reference every % change is against).
    """
    by_name = {e.name: e for e in evaluations}
    if REFERENCE not in by_name:
        raise ValueError(
            f"the report needs a {REFERENCE!r} policy as reference; got {sorted(by_name)}"
        )
    summaries = {e.name: _summaries(e) for e in evaluations}
    ref = {m: s["mean"] for m, s in summaries[REFERENCE].items()}
    policies = {}
    for e in evaluations:
        means = {m: s["mean"] for m, s in summaries[e.name].items()}
        for metric, s in summaries[e.name].items():
            s["pct_vs_bc"] = statistics.pct_change(s["mean"], ref[metric])
        status = constraints.constraint_status(means, ref)
        blessed, reasons = constraints.blessing(means, ref)
        paired = _paired(e, by_name[REFERENCE]) if e.name != REFERENCE else None
        entry = {
            "group": e.group,
            "sessions": len(e.ground_truth["depth"]),
            "ground_truth": summaries[e.name],
            "constraints": status,
            "all_constraints_hold": all(status.values()),
            "blessed": blessed if e.name != REFERENCE else False,
            "not_blessed_because": reasons if e.name != REFERENCE else ["reference policy"],
        }
        if paired is not None:
            entry["vs_bc_paired"] = paired
        if e.ncis is not None:
            entry["ncis"] = {
                name: {
                    "estimate": value,
                    "ground_truth_per_step": summaries[e.name][name]["per_step"],
                    "relative_error": statistics.pct_change(
                        value, summaries[e.name][name]["per_step"]
                    )
                    / 100.0,
                }
                for name, value in e.ncis.items()
                if name in summaries[e.name]
            }
        policies[e.name] = entry
    return {"reference": REFERENCE, "metadata": dict(metadata or {}), "policies": policies}


def build_ncis_report(
    ncis_values: Mapping[str, Mapping[str, float]], metadata: Mapping[str, Any] | None = None
) -> dict:
    """The report of logs without a ground truth (real KuaiRand): judged by NCIS alone.

    Each policy's per-step NCIS estimates stand in for its ground truth: constraints hold
    when an estimate is at least BC's (hate: at most), and the blessing asks the same as
    ARCHITECTURE §3.3 of them. They are estimates, so the report says so.

    Args:
      ncis_values: {policy: {response: per-step NCIS estimate, raw units; other keys
        (match_rate, effective_sample_size) are carried along}}; must contain "bc".

    Raises:
      ValueError: no "bc" policy, or a policy without an estimate for a response.
    """
    if REFERENCE not in ncis_values:
        raise ValueError(
            f"the report needs a {REFERENCE!r} policy as reference; got {sorted(ncis_values)}"
        )
    for name, values in ncis_values.items():
        missing = [r for r in responses.RESPONSE_NAMES if r not in values]
        if missing:
            raise ValueError(f"policy {name!r} has no NCIS estimate for {missing}")
    ref = {r: float(ncis_values[REFERENCE][r]) for r in responses.RESPONSE_NAMES}
    policies = {}
    for name, values in ncis_values.items():
        estimates = {r: float(values[r]) for r in responses.RESPONSE_NAMES}
        status = constraints.constraint_status(estimates, ref)
        blessed, reasons = constraints.blessing(estimates, ref)
        policies[name] = {
            "group": "policy",
            "ncis": {
                r: {"estimate": v, "pct_vs_bc": statistics.pct_change(v, ref[r])}
                for r, v in estimates.items()
            },
            "constraints": status,
            "all_constraints_hold": all(status.values()),
            "blessed": blessed if name != REFERENCE else False,
            "not_blessed_because": reasons if name != REFERENCE else ["reference policy"],
        }
    return {
        "reference": REFERENCE,
        "judged_by": "ncis",
        "metadata": dict(metadata or {}),
        "policies": policies,
    }


def _render_ncis_only(report: Mapping[str, Any], lines: list[str]) -> None:
    names = list(responses.RESPONSE_NAMES)
    header = ["policy", *names, "constraints", "blessed"]
    lines += [
        "",
        "## Off-policy NCIS on the evaluation logs (per step, % vs BC)",
        "",
        "There is no ground truth for these logs: every figure is an NCIS estimate, and "
        "the constraints and the blessing are judged on the estimates.",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
    ]
    for name, p in report["policies"].items():
        cells = []
        for r in names:
            entry = p["ncis"][r]
            text = f"{entry['estimate']:.4g}"
            if name != report["reference"] and not math.isnan(entry["pct_vs_bc"]):
                text += f" ({entry['pct_vs_bc']:+.2f}%)"
            cells.append(text)
        failed = [k for k, ok in p["constraints"].items() if not ok]
        held = "all hold" if not failed else "fail: " + ", ".join(failed)
        lines.append(
            f"| {name} | " + " | ".join(cells) + f" | {held} | {'yes' if p['blessed'] else 'no'} |"
        )


def _render_ncis_health(report: Mapping[str, Any], lines: list[str]) -> None:
    """What each NCIS estimate rests on (report["ncis_health"], when evaluate set it)."""
    health = report.get("ncis_health")
    if not health:
        return

    def figure(value, text):
        return "-" if value is None else text.format(value)

    lines += [
        "",
        "NCIS health: the share of logged steps where the policy's first choice is the "
        "logged video (the only steps it counts), their effective number, and the share of "
        "their weights at the cap. Near 100% at the cap, the estimate is the plain mean of "
        "those steps' responses; and per step it cannot see a policy that shortens sessions. "
        "The last two columns say how sharp the policy's softmax over the candidates is on "
        "those steps: its mean entropy (a uniform choice's in brackets) and the median "
        "probability of its top candidate, the one it serves. Near uniform, the served "
        "choice rests on small score differences, and what training estimated for the "
        "distribution holds only weakly for it. (A ranker whose scores are not logits, "
        "such as a fused prediction in seconds, has no such distribution: for it the "
        "columns only say how far its top score stands above the rest.)",
        "",
        "| policy | logged video first | effective steps | weights at the cap "
        "| entropy (uniform) | top candidate's probability |",
        "|---|---|---|---|---|---|",
    ]
    for name, h in health.items():
        entropy = "-"
        if h.get("entropy") is not None and h.get("uniform_entropy") is not None:
            entropy = f"{h['entropy']:.2f} ({h['uniform_entropy']:.2f})"
        lines.append(
            f"| {name} | {figure(h.get('match_rate'), '{:.2%}')} | "
            f"{figure(h.get('effective_sample_size'), '{:,.0f}')} | "
            f"{figure(h.get('capped_share'), '{:.0%}')} | {entropy} | "
            f"{figure(h.get('top_share'), '{:.1%}')} |"
        )


def sweep_policies(names) -> dict[float, str]:
    """{λ: policy name} of the names that follow the sweep's naming, SWEEP_PREFIX + λ."""
    out = {}
    for name in names:
        if name.startswith(SWEEP_PREFIX):
            try:
                out[float(name[len(SWEEP_PREFIX) :])] = name
            except ValueError:
                continue
    return out


def sweep_points(report: Mapping[str, Any], names_by_lambda: Mapping[float, str]) -> list[dict]:
    """[{lambda, policy, watch_time, interactions}] of a sweep's policies, by λ.

    Watch time and the summed sparse interactions are ground-truth means per session.
    """
    points = []
    for lam, name in sorted(names_by_lambda.items()):
        gt = report["policies"][name]["ground_truth"]
        points.append(
            {
                "lambda": float(lam),
                "policy": name,
                "watch_time": gt["watch_time"]["mean"],
                "interactions": sum(gt[m]["mean"] for m in INTERACTIONS),
            }
        )
    return points


def _cell(summary: Mapping[str, float], reference: bool) -> str:
    text = f"{summary['mean']:.4g} ± {summary['ci95']:.2g}"
    if not reference and not math.isnan(summary["pct_vs_bc"]):
        text += f" ({summary['pct_vs_bc']:+.2f}%)"
    return text


def _ncis_cell(entry: Mapping[str, float]) -> str:
    error = entry["relative_error"]
    return f"{entry['estimate']:.4g}" + ("" if math.isnan(error) else f" ({error:+.1%})")


def render_markdown(report: Mapping[str, Any], plots: Sequence[str] = ()) -> str:
    """The paper-style table (per-session ground truth) and the NCIS table."""
    lines = ["# tscac evaluation report", ""]
    for key, value in report["metadata"].items():
        lines.append(f"- **{key}**: {value}")
    if report.get("judged_by") == "ncis":
        _render_ncis_only(report, lines)
        _render_ncis_health(report, lines)
        for plot in plots:
            lines += ["", f"![{os.path.basename(plot)}]({plot})"]
        return "\n".join(lines) + "\n"
    lines += ["", "## Ground truth (per session: mean ± 95% CI, % vs BC)", ""]
    _ground_truth_tables(report, lines)
    ncis_rows = [(n, p["ncis"]) for n, p in report["policies"].items() if "ncis" in p]
    if ncis_rows:
        names = [r.name for r in responses.RESPONSES]
        lines += ["", "## Off-policy NCIS (per step; relative error vs ground truth per step)", ""]
        lines += ["| policy | " + " | ".join(names) + " |", "|" + "---|" * (len(names) + 1)]
        for name, ncis in ncis_rows:
            cells = [_ncis_cell(ncis[r]) if r in ncis else "-" for r in names]
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
        _render_ncis_health(report, lines)
    if "served_path" in report:
        served = report["served_path"]
        lines += [
            "",
            "## Served path (per session: mean ± 95% CI, % vs BC on the same candidates)",
            "",
            f"The same policies, users, sessions and seeds, on other candidates: "
            f"{served['metadata']['candidates']}. This is the path the export serves and the "
            "candidate distribution the policies were trained on; the constraints and the "
            "blessing above are judged on the world's own candidates (ARCHITECTURE §3), so "
            "this table is information beside them.",
            "",
        ]
        _ground_truth_tables(served, lines, level="###")
    for plot in plots:
        lines += ["", f"![{os.path.basename(plot)}]({plot})"]
    return "\n".join(lines) + "\n"


def _ground_truth_tables(report: Mapping[str, Any], lines: list[str], level: str = "##") -> None:
    """Appends the per-policy ground-truth table and the paired differences from BC (under
    a heading of `level`)."""
    header = ["policy", *SESSION_METRICS, "constraints", "blessed"]
    lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for name, p in report["policies"].items():
        cells = [_cell(p["ground_truth"][m], name == report["reference"]) for m in SESSION_METRICS]
        held = _verdicts(p)
        label = name if p["group"] == "policy" else f"{name} (oracle)"
        lines.append(
            f"| {label} | " + " | ".join(cells) + f" | {held} | {'yes' if p['blessed'] else 'no'} |"
        )
    paired_rows = [
        (n, p["vs_bc_paired"]) for n, p in report["policies"].items() if "vs_bc_paired" in p
    ]
    if paired_rows:
        lines += [
            "",
            f"{level} Paired difference from BC (per session: mean ± 95% CI over the same "
            "sessions; * = outside the interval)",
            "",
            "| policy | " + " | ".join(SESSION_METRICS) + " |",
            "|" + "---|" * (len(SESSION_METRICS) + 1),
        ]
        for name, paired in paired_rows:
            cells = [
                f"{paired[m]['difference']:+.3g} ± {paired[m]['ci95']:.2g}"
                + (" *" if paired[m]["significant"] else "")
                for m in SESSION_METRICS
            ]
            lines.append(f"| {name} | " + " | ".join(cells) + " |")


def render_html(markdown_text: str) -> str:
    """A self-contained HTML page: the Markdown tables as HTML tables, images inline by path."""
    body, table = [], []

    def flush():
        if table:
            rows = [r for r in table if not set(r.replace("|", "")) <= {"-"}]
            cells = [[html.escape(c.strip()) for c in r.strip("|").split("|")] for r in rows]
            body.append("<table><tr>" + "".join(f"<th>{c}</th>" for c in cells[0]) + "</tr>")
            body.extend(
                "<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in cells[1:]
            )
            body.append("</table>")
            table.clear()

    for line in markdown_text.splitlines():
        if line.startswith("|"):
            table.append(line)
            continue
        flush()
        if line.startswith("# "):
            body.append(f"<h1>{html.escape(line[2:])}</h1>")
        elif line.startswith("## "):
            body.append(f"<h2>{html.escape(line[3:])}</h2>")
        elif line.startswith("!["):
            src = line[line.index("(") + 1 : -1]
            body.append(f'<p><img src="{html.escape(src)}" style="max-width:900px"></p>')
        elif line.startswith("### "):
            body.append(f"<h3>{html.escape(line[4:])}</h3>")
        elif line.startswith("- "):
            body.append(f"<p>{html.escape(line[2:]).replace('**', '')}</p>")
        elif line.strip():
            body.append(f"<p>{html.escape(line)}</p>")
    flush()
    style = "body{font-family:sans-serif}table{border-collapse:collapse}td,th{border:1px solid #999;padding:3px 6px}"
    return f"<!doctype html><html><head><meta charset='utf-8'><style>{style}</style></head><body>{''.join(body)}</body></html>\n"


def write_report(
    report: Mapping[str, Any],
    out_dir: str,
    sweep: Sequence[Mapping[str, float]] | None = None,
    curves: Mapping[str, Mapping[str, Sequence[tuple[int, float]]]] | None = None,
) -> dict[str, str]:
    """Writes report.json, report.md, report.html and plots/*.png; returns their paths."""
    from tscac_tf.evaluation import plots as plots_lib  # matplotlib only when writing

    os.makedirs(os.path.join(out_dir, "plots"), exist_ok=True)
    written = plots_lib.write_plots(
        report, os.path.join(out_dir, "plots"), sweep=sweep, curves=curves
    )
    relative = [os.path.relpath(p, out_dir) for p in written]
    paths = {"json": os.path.join(out_dir, "report.json"), "md": os.path.join(out_dir, "report.md")}
    paths["html"] = os.path.join(out_dir, "report.html")
    payload = dict(report, sweep=list(sweep or []))
    with open(paths["json"], "w") as f:
        json.dump(payload, f, indent=1, sort_keys=False, default=float)
    markdown_text = render_markdown(report, relative)
    with open(paths["md"], "w") as f:
        f.write(markdown_text)
    with open(paths["html"], "w") as f:
        f.write(render_html(markdown_text))
    return {**paths, **{os.path.basename(p): p for p in written}}
