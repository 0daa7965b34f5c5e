"""tscac."""
