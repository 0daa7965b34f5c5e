"""Policies over the candidate set."""
