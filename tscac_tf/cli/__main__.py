"""`python -m tscac_tf.cli` is `tscac`."""

import sys

from tscac_tf.cli import main

sys.exit(main())
