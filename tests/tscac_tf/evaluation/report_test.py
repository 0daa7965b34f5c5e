"""The report: summaries, % vs BC, constraints, NCIS error, files written."""

import json
import math

import numpy as np
import pytest

from tscac_tf.evaluation import report as report_lib
from tscac_tf.evaluation import statistics


def _gt(scale, hate=0.0):
    base = {"watch_time": [100.0, 120.0], "click": [5, 7], "like": [0, 1], "follow": [0, 0], "comment": [1, 0],
            "forward": [0, 1], "hate": [hate, 0], "depth": [10, 14]}  # fmt: skip
    return {
        k: list(np.asarray(v, float) * (scale if k == "watch_time" else 1.0))
        for k, v in base.items()
    }


def test_mean_ci95_by_hand():
    # mean 110, sd = sqrt(200) = 14.142, se = 10, t(1) = 12.706
    mean, ci = statistics.mean_ci95([100.0, 120.0])
    assert mean == 110.0 and ci == pytest.approx(127.06)
    assert statistics.pct_change(105.0, 100.0) == pytest.approx(5.0)
    assert math.isnan(statistics.pct_change(1.0, 0.0))


def test_report_rows_constraints_and_ncis_error(tmp_path):
    evaluations = [
        report_lib.PolicyEvaluation("bc", _gt(1.0)),
        report_lib.PolicyEvaluation("tscac", _gt(1.1), ncis={"watch_time": 9.0, "click": 0.5}),
        report_lib.PolicyEvaluation("greedy", _gt(1.2, hate=1.0)),
    ]
    report = report_lib.build_report(evaluations, {"preset": "small"})
    tscac = report["policies"]["tscac"]
    assert tscac["ground_truth"]["watch_time"]["mean"] == pytest.approx(121.0)
    assert tscac["ground_truth"]["watch_time"]["pct_vs_bc"] == pytest.approx(10.0)
    assert tscac["blessed"] and tscac["all_constraints_hold"]
    # per-step ground truth: 242 s over 24 steps; NCIS 9.0 -> relative error 9/10.0833 - 1
    assert tscac["ncis"]["watch_time"]["ground_truth_per_step"] == pytest.approx(242 / 24)
    assert tscac["ncis"]["watch_time"]["relative_error"] == pytest.approx(9.0 / (242 / 24) - 1)
    greedy = report["policies"]["greedy"]
    assert greedy["constraints"]["hate"] is False and not greedy["blessed"]
    assert report["policies"]["bc"]["blessed"] is False
    report["ncis_health"] = {
        "bc": {"match_rate": 0.0285, "effective_sample_size": 4383.2, "capped_share": 0.775,
               "entropy": 3.7891, "uniform_entropy": 3.912, "top_share": 0.058},
        "tscac": {"match_rate": 0.0, "effective_sample_size": None, "capped_share": None},
    }  # fmt: skip
    paths = report_lib.write_report(report, str(tmp_path), sweep=[{"lambda": 1.0, "watch_time": 1, "interactions": 2}],
                                    curves={"stage_two": {"actor": [(1, 0.5), (2, 0.4)]}})  # fmt: skip
    assert json.load(open(paths["json"]))["policies"]["tscac"]["blessed"] is True
    markdown = open(paths["md"]).read()
    assert "| tscac |" in markdown and "(+10.00%)" in markdown and "fail: hate" in markdown
    # NCIS health, below its table, with how sharp each policy's choice is
    assert "| bc | 2.85% | 4,383 | 78% | 3.79 (3.91) | 5.8% |" in markdown
    assert "| tscac | 0.00% | - | - | - | - |" in markdown  # a report written before them
    assert markdown.index("NCIS health") > markdown.index("## Off-policy NCIS")
    assert "<table>" in open(paths["html"]).read()
    for name in ("tradeoff.png", "lambda_sweep.png", "learning_curves.png"):
        assert open(paths[name], "rb").read(8) == b"\x89PNG\r\n\x1a\n"


def test_paired_differences_tell_a_real_shortfall_from_noise():
    # Paired difference by hand: values − reference = [1, 3] -> mean 2, sd sqrt(2),
    # se 1, t(1) 12.706
    difference, ci = statistics.paired_difference_ci95([11.0, 13.0], [10.0, 10.0])
    assert difference == 2.0 and ci == pytest.approx(12.706)
    with pytest.raises(ValueError, match="same shape"):
        statistics.paired_difference_ci95([1.0, 2.0], [1.0])
    rng = np.random.default_rng(0)
    n = 2000
    session = rng.gamma(2.0, 50.0, n)  # what every policy shares on session i (CRN)
    likes = rng.binomial(1, 0.05, n).astype(float)
    likes[:2] = 1.0
    bc = {"watch_time": session, "click": np.full(n, 2.0), "like": likes, "follow": np.zeros(n),
          "comment": np.zeros(n), "forward": np.zeros(n), "hate": rng.binomial(1, 0.01, n),
          "depth": np.full(n, 5.0)}  # fmt: skip
    # One policy loses a tenth of every session's watch time and 2 of ~100 likes (noise);
    # the other loses half the likes (real).
    small = dict(bc, watch_time=0.9 * session, like=np.where(np.arange(n) < 2, 0.0, likes))
    large = dict(bc, like=np.where(np.arange(n) % 2 == 0, 0.0, likes))
    report = report_lib.build_report(
        [
            report_lib.PolicyEvaluation(k, v)
            for k, v in (("bc", bc), ("small", small), ("large", large))
        ]
    )
    small_paired = report["policies"]["small"]["vs_bc_paired"]
    assert small_paired["watch_time"]["significant"]  # 0.9x on every pair: far outside
    assert small_paired["watch_time"]["difference"] == pytest.approx(-0.1 * session.mean())
    assert not report["policies"]["small"]["constraints"]["like"]
    assert not small_paired["like"]["significant"]
    assert report["policies"]["large"]["vs_bc_paired"]["like"]["significant"]
    assert "vs_bc_paired" not in report["policies"]["bc"]
    markdown = report_lib.render_markdown(report)
    assert "fail: like (within noise)" in markdown and "fail: like (significant)" in markdown
    assert "## Paired difference from BC" in markdown


def test_served_path_section_follows_the_ground_truth(tmp_path):
    report = report_lib.build_report(
        [
            report_lib.PolicyEvaluation("bc", _gt(1.0)),
            report_lib.PolicyEvaluation("tscac", _gt(1.1)),
        ]
    )
    report["served_path"] = report_lib.build_report(
        [
            report_lib.PolicyEvaluation("bc", _gt(2.0)),
            report_lib.PolicyEvaluation("tscac", _gt(1.9)),
        ],
        {"candidates": "the index's best K"},
    )
    paths = report_lib.write_report(report, str(tmp_path))
    markdown = open(paths["md"]).read()
    main, served = markdown.split("## Served path")
    assert "(+10.00%)" in main and "(-5.00%)" not in main
    assert "the index's best K" in served and "| tscac | 209 ± 2.4e+02 (-5.00%)" in served
    assert "### Paired difference from BC" in served and "## Paired difference" in main
    page = open(paths["html"]).read()
    assert "<h2>Served path" in page and "<h3>Paired difference" in page
    assert json.load(open(paths["json"]))["served_path"]["policies"]["tscac"]["blessed"] is False


def test_report_needs_bc():
    with pytest.raises(ValueError, match="needs a 'bc' policy"):
        report_lib.build_report([report_lib.PolicyEvaluation("tscac", _gt(1.0))])


def _ncis(watch, click, hate, **rest):
    values = dict.fromkeys(("like", "follow", "comment", "forward"), 0.01)
    values.update(watch_time=watch, click=click, hate=hate, match_rate=0.5, **rest)
    return values


def test_ncis_only_report_judges_constraints_and_blessing_on_the_estimates(tmp_path):
    report = report_lib.build_ncis_report(
        {
            "bc": _ncis(10.0, 0.5, 0.002),
            "good": _ncis(11.0, 0.5, 0.002),
            "hateful": _ncis(12.0, 0.6, 0.003),
        },
        {"logs": "real"},
    )

    assert report["judged_by"] == "ncis"
    good, hateful = report["policies"]["good"], report["policies"]["hateful"]
    assert good["blessed"] and good["all_constraints_hold"]
    assert good["ncis"]["watch_time"]["pct_vs_bc"] == pytest.approx(10.0)
    assert not hateful["blessed"] and hateful["constraints"]["hate"] is False
    assert hateful["not_blessed_because"] == ["hate 0.003 > BC 0.002"]
    assert report["policies"]["bc"]["blessed"] is False

    report["ncis_health"] = {
        "good": {"match_rate": 0.5, "effective_sample_size": 12.0, "capped_share": 1.0}
    }
    paths = report_lib.write_report(report, str(tmp_path))
    text = open(paths["md"]).read()
    assert "There is no ground truth for these logs" in text
    assert "| good | 50.00% | 12 | 100% |" in text
    assert "| hateful | 12 (+20.00%)" in text and "fail: hate | no |" in text
    assert "tradeoff.png" not in paths  # no ground truth to plot
    assert json.load(open(paths["json"]))["judged_by"] == "ncis"


def test_ncis_only_report_names_a_missing_estimate():
    partial = _ncis(10.0, 0.5, 0.002)
    del partial["comment"]
    with pytest.raises(ValueError, match=r"policy 'tscac' has no NCIS estimate for \['comment'\]"):
        report_lib.build_ncis_report({"bc": _ncis(10.0, 0.5, 0.002), "tscac": partial})


def test_sweep_points_read_watch_time_and_summed_sparse_interactions():
    def policy(watch, like, follow, comment, forward):
        gt = {"watch_time": watch, "like": like, "follow": follow, "comment": comment}
        gt["forward"] = forward
        return {"ground_truth": {m: {"mean": v} for m, v in gt.items()}}

    report = {"policies": {"a": policy(10.0, 1.0, 2.0, 3.0, 4.0), "b": policy(20.0, 0, 0, 0, 1)}}

    points = report_lib.sweep_points(report, {3.0: "b", 0.1: "a"})

    assert points == [
        {"lambda": 0.1, "policy": "a", "watch_time": 10.0, "interactions": 10.0},
        {"lambda": 3.0, "policy": "b", "watch_time": 20.0, "interactions": 1.0},
    ]


def test_sweep_policies_are_found_by_name():
    names = ["bc", "tscac", "tscac_lambda=0.1", "tscac_lambda=3", "tscac_lambda=x"]

    assert report_lib.sweep_policies(names) == {0.1: "tscac_lambda=0.1", 3.0: "tscac_lambda=3"}
