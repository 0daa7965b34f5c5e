"""TFX-style pipeline: components, caching, lineage, resume."""
