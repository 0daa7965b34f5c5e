"""Baselines of the TSCAC comparison (BC, single-objective ACs, RCPO, RCPO-MC, Pareto)."""
