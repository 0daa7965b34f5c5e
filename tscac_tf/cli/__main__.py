"""`python -m tscac_tf.cli` is `tscac`."""

import sys

from tscac_tf.cli import program

sys.exit(program())
