"""Evaluation: ground-truth rollouts, NCIS off-policy estimates, constraint checks, reports."""
