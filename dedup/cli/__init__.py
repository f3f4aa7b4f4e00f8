"""The command line: each command calls the library and prints; results on stdout, diagnostics and
progress on stderr.

``common`` holds what every command shares (the application, exit codes, outputs, progress, the
shared options); the commands are in ``jobs`` (cluster, compare, report, diff, evaluate),
``index_commands`` (index ...) and ``filter_command`` (filter), registered in that order.
"""

from . import jobs  # noqa: F401 (each module registers its commands, in this order)
from . import index_commands  # noqa: F401
from . import filter_command  # noqa: F401
from .common import (EXIT_DUPLICATE, EXIT_ENGINE, EXIT_INPUT, EXIT_OUTPUT, EXIT_VARIANT,  # noqa: F401
                     app)
from .index_commands import EXIT_BUSY, EXIT_FULL, EXIT_INDEX  # noqa: F401


def main() -> None:  # pragma: no cover
    app()
