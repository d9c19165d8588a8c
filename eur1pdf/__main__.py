"""``python -m eur1pdf``: the same as the ``eur1pdf`` command."""

import sys

from eur1pdf.cli import main

sys.exit(main())
