"""Supervised multi-task response models (Wide&Deep, DeepFM) ranked by a fused score."""
