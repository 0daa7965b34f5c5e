"""Evaluation: ground-truth rollouts, NCIS off-policy estimates, constraint checks, reports."""

# What the evaluate component writes, for the main job's cache (a workdir evaluated by
# older code evaluates again; nothing upstream of it reruns): 2 = the report's NCIS health
# table and `ncis_health.capped_share` (session 17); 3 = the policies' entropy and top
# share in that table (session 22). Bump it when the report, the
# blessing or the figures behind them change. Kept free of TensorFlow, because the
# pipeline's orchestrator does not import it.
REPORT_VERSION = 3
