"""The command group: how every command's mistakes, interruptions and warnings reach the user.

A user mistake (BoostregError, or click's own usage errors) is one line on stderr and exit code 2; a warning is
one line; Ctrl-C and SIGTERM stop a run and keep what finished.
"""

from __future__ import annotations

import signal
import sys
import warnings

import click

from ..engines import default_engines
from ..errors import BoostregError
from .signals import EXIT_TERMINATED, STOPPED

EXIT_USER_ERROR = 2
#: a run whose every fit ran, but some failed (their records say why; the next run tries them again)
EXIT_FAILED_FITS = 3
#: the output folder could not be written (disk full, read-only): what finished is kept
EXIT_IO = 74
EXIT_INTERRUPTED = 130  # Ctrl-C


class Terminated(KeyboardInterrupt):
    """SIGTERM, handled like Ctrl-C: stop the workers, keep what finished, say how to resume."""


def stop_signal(signum, frame):
    """Ctrl-C (SIGINT) or SIGTERM during a run: remember it, then raise it here. A KeyboardInterrupt raised while
    Python runs an object's __del__ (pyarrow's ParquetWriter has one) is printed and dropped, and the run would go on
    to the end; the executor checks what was remembered between tasks, and the run command after the run."""
    from ..executors.local import STOP_REQUESTS

    stop = Terminated if signum == signal.SIGTERM else KeyboardInterrupt
    STOP_REQUESTS.append(stop)
    raise stop()


#: SIGTERMs :func:`terminate` saw (one raised inside an object's __del__ is printed and dropped by Python)
_TERMINATED: list[int] = []


def terminate(signum, frame):
    """SIGTERM in a command outside a run's fitting (which has its own handler, :func:`stop_signal`): stop it
    like Ctrl-C, with one line and exit code 143 (:class:`_Group`)."""
    _TERMINATED.append(signum)
    raise Terminated()


class _Stopped(Exception):
    """Ctrl-C or SIGTERM inside a command, carried past click (which would print an empty line for it)."""

    def __init__(self, terminated: bool):
        super().__init__("stopped")
        self.terminated = terminated


class _Group(click.Group):
    """Turns BoostregError (and click's own usage errors) into one line on stderr and exit code 2, and a SIGTERM
    or Ctrl-C outside a run's fitting into one line and exit code 143 or 130."""

    def main(self, *args, **kwargs):
        kwargs.setdefault("standalone_mode", False)
        _TERMINATED.clear()
        try:
            previous = signal.signal(signal.SIGTERM, terminate)
        except ValueError:  # not the main thread (an embedding program's worker): leave signals alone
            previous = None
        try:
            done = super().main(*args, **kwargs)
            if _TERMINATED:  # the SIGTERM was dropped (raised in a __del__): the command went on, but was stopped
                click.echo(STOPPED, err=True)
                sys.exit(EXIT_TERMINATED)
            return done
        except BoostregError as err:
            click.echo(f"boostreg: error: {err}", err=True)
            sys.exit(EXIT_USER_ERROR)
        except click.exceptions.Exit as err:
            sys.exit(err.exit_code)
        except click.ClickException as err:
            click.echo(f"boostreg: error: {err.format_message()} (see 'boostreg --help')", err=True)
            sys.exit(EXIT_USER_ERROR)
        except (_Stopped, click.exceptions.Abort, KeyboardInterrupt) as err:  # click: Ctrl-C while parsing -> Abort
            click.echo(STOPPED, err=True)
            terminated = bool(_TERMINATED) or getattr(err, "terminated", False) or isinstance(err, Terminated)
            sys.exit(EXIT_TERMINATED if terminated else EXIT_INTERRUPTED)
        finally:
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt as stop:
            raise _Stopped(isinstance(stop, Terminated)) from None


def _warn_one_line(message, category, filename, lineno, file=None, line=None):
    click.echo(f"boostreg: warning: {message}", err=True)


HELP = f"""Measure what reg_alpha (L1) and reg_lambda (L2) do to gradient boosting ({" and ".join(default_engines())}
by default, and every other registered engine).

\b
boostreg run                              the default quickstart study
boostreg run STUDY.toml --out runs/x      a study file
boostreg run --data my.csv --target y     your own CSV/Parquet on the default grid
boostreg summary runs/x [--format json]   per dataset and engine: the selected setting and its gain
boostreg report runs/x                    the HTML report of a run (run writes it too)
boostreg guide runs/x                     the reg_alpha / reg_lambda tuning guide of a run
boostreg recommend --data my.csv --target y   the guide's reg_alpha / reg_lambda for your data
boostreg export runs/x fits.parquet       a run's fit records as one Parquet file
boostreg datasets                         the built-in datasets
"""


@click.group(cls=_Group, help=HELP, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="boostreg")
def cli():
    warnings.showwarning = _warn_one_line
