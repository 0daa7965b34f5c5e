"""Networks shared by TSCAC and the baselines: state encoder, actor, candidate tower, critics."""
