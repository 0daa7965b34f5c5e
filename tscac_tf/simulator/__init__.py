"""The synthetic short-video world: KuaiRand-format logs and ground-truth evaluation.

See README.md in this folder. Importing the package imports nothing heavy; the TF-Agents
environment lives in `tscac_tf.simulator.environment`.
"""
