"""``python -m scoring SCENARIO.json [--out RESULT.json]``: see ``scoring.cli``."""
import sys

from .cli import main

sys.exit(main())
