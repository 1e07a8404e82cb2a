"""The ``szwatch`` command: a thin shell over the library, one module per group of commands.

Each command opens the store, calls one library function and renders its result (``szwatch.app.cli_text``);
expected failures become one line on stderr and an exit code (0 good, 1 finished with problems, 2 bad usage
or unreachable site). Importing this package registers every command on the group ``cli``.
"""

from szwatch.app.cli import alerts, crawl, detect, ops, read, scrapyd, sources  # noqa: F401  (each registers its commands)
from szwatch.app.cli.base import cli, main

__all__ = ["cli", "main"]
