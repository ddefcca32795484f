"""``python -m collabsim``: the same as the ``collabsim`` command."""

import sys

from .cli import main

sys.exit(main())
