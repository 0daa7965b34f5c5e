"""The `tscac` command line (placeholder until subcommands land)."""


def main(argv=None) -> int:
    raise SystemExit("tscac: no subcommands yet")
