"""SIGTERM outside a run's fitting: while the command loads (imports, before any file is written) and in the commands
that only read a run and write one file atomically (``report``, ``guide``, ``export``, a run's start-up before its
own handler). Each ends with one line and exit code 143, leaving nothing half-written.

This module imports nothing heavy: :mod:`boostreg.cli` installs :func:`stopped_while_loading` before it imports the
commands (pandas, the engines' registry), so that a SIGTERM during those imports is one line too.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

#: SIGTERM: the shell's 128 + 15
EXIT_TERMINATED = 143
#: what a command stopped by a signal says when it leaves nothing half-written (its files are written atomically)
STOPPED = "boostreg: stopped: nothing half-written is left; run the same command again."


def stopped_while_loading(signum, frame):
    """SIGTERM while the command's modules load: nothing is written yet, so end at once with the one line."""
    try:
        sys.stderr.write(STOPPED + "\n")
        sys.stderr.flush()
    finally:
        os._exit(EXIT_TERMINATED)


def install_while_loading() -> None:
    """Install :func:`stopped_while_loading` for SIGTERM when this process is the ``boostreg`` command (``boostreg``
    or ``python -m boostreg.cli``) and SIGTERM still has its default handler; a program that imports
    :mod:`boostreg.cli` keeps its own signal handling."""
    argv0 = sys.argv[0] if sys.argv else ""
    if not (argv0 == "-m" or Path(argv0).name == "boostreg"):
        return
    try:
        if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
            signal.signal(signal.SIGTERM, stopped_while_loading)
    except ValueError:  # not the main thread: signals cannot be handled here
        pass
