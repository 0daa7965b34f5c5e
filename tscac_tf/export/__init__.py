"""Exports: the SavedModel signatures and their TF Serving layout (ARCHITECTURE §4)."""
