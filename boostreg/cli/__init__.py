"""Command line: parse, call the API, print; a user mistake (BoostregError) is one line and exit code 2.

The group and its error handling are in :mod:`.app`; each command is in its own module (``run``; ``summary``,
``report``, ``guide``, ``export`` read a run folder; ``recommend`` and ``datasets``), what they print in
:mod:`.console`. The console entry point is ``boostreg.cli:main``.
"""

from __future__ import annotations

import gc

from .signals import install_while_loading

install_while_loading()  # a SIGTERM while the commands' modules load is one line too (before pandas is imported)

from .app import (  # noqa: E402
    EXIT_FAILED_FITS,
    EXIT_INTERRUPTED,
    EXIT_IO,
    EXIT_TERMINATED,
    EXIT_USER_ERROR,
    Terminated,
    cli,
    stop_signal,
)
from .recommend_cmd import datasets, recommend  # noqa: E402
from .run_cmd import run  # noqa: E402
from .show import export, guide, report, summary  # noqa: E402

for _command in (run, summary, report, guide, recommend, export, datasets):
    cli.add_command(_command)

#: the handler ``boostreg run`` installs for SIGINT and SIGTERM (kept under its earlier name for callers)
_stop_signal = stop_signal


def main():
    """The ``boostreg`` console script."""
    try:
        cli()
    finally:
        # the process ends with the command: its objects are freed by reference counting as it exits, without
        # the collector's last full pass over them (0.5-0.7 s after `boostreg report` on the default study)
        gc.freeze()


__all__ = [
    "EXIT_FAILED_FITS",
    "EXIT_INTERRUPTED",
    "EXIT_IO",
    "EXIT_TERMINATED",
    "EXIT_USER_ERROR",
    "Terminated",
    "cli",
    "main",
    "stop_signal",
]
