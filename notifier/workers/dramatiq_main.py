"""The process `notifier worker` becomes: dramatiq's own command, with every line of its main
process (and of the worker processes it starts) as our masked JSON, not dramatiq's plain format.

dramatiq is told `--skip-logging`, so it leaves the root logger to us.
"""

from __future__ import annotations

import sys

import dramatiq.cli

from notifier.logs import configure_logging


def main() -> int:
    """Run dramatiq's command line (sys.argv) with our logging."""
    configure_logging()
    return int(dramatiq.cli.main() or 0)  # type: ignore[no-untyped-call]


if __name__ == "__main__":
    sys.exit(main())
