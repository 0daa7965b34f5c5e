"""PNG plots of the report: the watch-time/interaction trade-off, the λ sweep, learning curves."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402

from tscac_tf.evaluation.report import INTERACTIONS  # noqa: E402


def _interactions(ground_truth: Mapping[str, Mapping[str, float]]) -> float:
    return sum(ground_truth[m]["mean"] for m in INTERACTIONS)


def _save_tradeoff_axes(fig, ax, title: str, path: str) -> str:
    """Labels a watch-time-vs-interactions axes, writes the PNG, closes the figure."""
    ax.set_xlabel("like + follow + comment + forward per session")
    ax.set_ylabel("watch time per session (s)")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def tradeoff_plot(report: Mapping[str, Any], path: str) -> str:
    """Watch time vs summed sparse interactions per session, one point per policy."""
    fig, ax = plt.subplots(figsize=(7, 5))
    for name, p in report["policies"].items():
        gt = p["ground_truth"]
        marker = "*" if p["group"] == "oracle" else ("s" if name == report["reference"] else "o")
        ax.errorbar(
            _interactions(gt),
            gt["watch_time"]["mean"],
            yerr=gt["watch_time"]["ci95"],
            fmt=marker,
            capsize=3,
        )
        ax.annotate(name, (_interactions(gt), gt["watch_time"]["mean"]), fontsize=8, xytext=(4, 4),
                    textcoords="offset points")  # fmt: skip
    return _save_tradeoff_axes(fig, ax, "Watch time vs interactions (ground truth, 95% CI)", path)


def sweep_plot(sweep: Sequence[Mapping[str, float]], path: str) -> str:
    """The shared-λ sweep: watch time and interactions against λ (log x axis)."""
    points = sorted(sweep, key=lambda s: s["lambda"])
    fig, ax = plt.subplots(figsize=(7, 5))
    ax.plot([s["interactions"] for s in points], [s["watch_time"] for s in points], "o-")
    for s in points:
        ax.annotate(f"λ={s['lambda']:g}", (s["interactions"], s["watch_time"]), fontsize=8, xytext=(4, 4),
                    textcoords="offset points")  # fmt: skip
    return _save_tradeoff_axes(fig, ax, "TSCAC shared-λ sweep (Pareto view)", path)


def curves_plot(curves: Mapping[str, Mapping[str, Sequence[tuple[int, float]]]], path: str) -> str:
    """Learning curves: one panel per training stage, one line per loss term."""
    stages = list(curves)
    fig, axes = plt.subplots(len(stages), 1, figsize=(7, 2.6 * len(stages)), squeeze=False)
    for ax, stage in zip(axes[:, 0], stages, strict=True):
        for term, points in curves[stage].items():
            if points:
                steps, values = zip(*points, strict=True)
                ax.plot(steps, values, label=term)
        ax.set_title(stage, fontsize=9)
        # Critic losses (squared seconds) and actor losses (near 0, either sign) can differ
        # by orders of magnitude: then a symmetric log axis shows both.
        sizes = [max(abs(v) for _, v in p) for p in curves[stage].values() if p]
        if sizes and max(sizes) > 100 * max(min(sizes), 1e-2):
            ax.set_yscale("symlog", linthresh=1e-2)
        ax.legend(fontsize=7)
        ax.grid(alpha=0.3)
    axes[-1, 0].set_xlabel("training step")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def write_plots(report, out_dir, sweep=None, curves=None) -> list[str]:
    """Every plot the available data allows; returns the file paths."""
    written = []
    if all("ground_truth" in p for p in report["policies"].values()):
        written.append(tradeoff_plot(report, os.path.join(out_dir, "tradeoff.png")))
    if sweep:
        written.append(sweep_plot(sweep, os.path.join(out_dir, "lambda_sweep.png")))
    if curves:
        written.append(curves_plot(curves, os.path.join(out_dir, "learning_curves.png")))
    return written
