"""Behaviour cloning over the candidate set (π_β and the BC baseline)."""
