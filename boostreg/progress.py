"""Progress over fits where the user watches: a rich bar in a terminal, a notebook bar in Jupyter (plain lines when
ipywidgets is missing, never rich's "install ipywidgets" warning), and in a log or a pipe a plain line every 10% of
the fits or every 30 s, whichever comes first, plus the final one.

The mode is chosen from where stderr goes; the clock and the stream can be handed in (the tests do).
"""

from __future__ import annotations

import importlib.util
import math
import sys
import time

from boostreg.fmt import num

#: the non-terminal mode prints a line at every tenth of the fits ...
STEP_FRACTION = 0.1
#: ... or when this many seconds have passed since the last line, whichever comes first
INTERVAL_S = 30.0


def in_notebook() -> bool:
    """Whether an IPython kernel (Jupyter, VS Code notebooks) is running this process."""
    if sys.modules.get("ipykernel") is None:
        return False
    ipython = sys.modules.get("IPython")
    get_ipython = getattr(ipython, "get_ipython", None)
    try:
        return get_ipython is not None and get_ipython() is not None
    except Exception:  # a half-initialised shell: treat as no notebook
        return False


def has_ipywidgets() -> bool:
    """Whether ipywidgets can be imported (rich's notebook display needs it)."""
    try:
        return importlib.util.find_spec("ipywidgets") is not None
    except (ImportError, ValueError):
        return False


def duration(seconds: float) -> str:
    """A span as people read it: "45 s", "2 min 46 s", "1 h 5 min"; "–" when unknown.

    >>> duration(166.4), duration(3.2), duration(3900)
    ('2 min 46 s', '3 s', '1 h 5 min')
    """
    if seconds is None or not math.isfinite(seconds):
        return num(None)
    s = int(round(max(seconds, 0.0)))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60} s"
    return f"{s // 3600} h {s % 3600 // 60} min"


def choose_mode(stream) -> str:
    """ "notebook" (an IPython kernel with ipywidgets), "terminal" (``stream`` is a TTY) or "text" (everything
    else: logs, pipes, notebooks without ipywidgets)."""
    if in_notebook():
        return "notebook" if has_ipywidgets() else "text"
    try:
        return "terminal" if stream.isatty() else "text"
    except (AttributeError, ValueError):  # a closed or unusual stream
        return "text"


class Progress:
    """Progress over ``total`` fits, used as a context manager; ``advance(n)`` after fits land; silent when not
    ``enabled`` or there is nothing to fit.

    Parameters
    ----------
    total : int
        The fits this run will fit.
    enabled : bool
        False prints nothing (``progress=False``, ``--quiet``).
    description : str
        The bar's label (the study's name).
    stream : file-like, optional
        Where progress goes; stderr by default (results go to stdout).
    clock : callable, optional
        Seconds as a float, ``time.monotonic`` by default.
    mode : str, optional
        "terminal", "notebook" or "text"; chosen from ``stream`` and the process when not given.
    """

    def __init__(self, total: int, enabled: bool, description: str, *, stream=None, clock=None, mode=None):
        self.total = int(total)
        self.enabled = bool(enabled) and self.total > 0
        self.description = description
        self.stream = sys.stderr if stream is None else stream
        self.clock = time.monotonic if clock is None else clock
        self.done = 0
        self.mode = (mode or choose_mode(self.stream)) if self.enabled else "off"
        self._bar = None
        if self.mode in ("terminal", "notebook"):
            self._bar, self._task = self._rich_bar()

    def _rich_bar(self):
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.progress import Progress as RichProgress

        bar = RichProgress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("fits"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=Console(file=self.stream),
        )
        return bar, bar.add_task(self.description, total=self.total)

    def __enter__(self):
        self.t_start = self.t_last = self.clock()
        self.last_step = 0
        if self._bar is not None:
            self._bar.__enter__()
        return self

    def advance(self, n: int = 1):
        """Count ``n`` more fits done."""
        if not self.enabled:
            return
        self.done += n
        if self._bar is not None:
            self._bar.advance(self._task, n)
            return
        now = self.clock()
        step = int(self.done * (1 / STEP_FRACTION) // self.total) if self.done < self.total else None
        if step is None:
            return  # the final line comes on exit
        if step > self.last_step or now - self.t_last >= INTERVAL_S:
            self.last_step = max(step, self.last_step)
            self._line(now)

    def line(self, now: float | None = None, final: bool = False) -> str:
        """The text line for the state at ``now``: fits done, share, rate and ETA (elapsed time when ``final``)."""
        now = self.clock() if now is None else now
        elapsed = now - self.t_start
        rate = self.done / elapsed if elapsed > 0 else math.nan
        head = (
            f"boostreg: {self.done}/{self.total} fits ({num(self.done / self.total, '.0%')}), {num(rate, '.1f')} fits/s"
        )
        if final:
            how = "done in" if self.done >= self.total else "stopped after"
            return f"{head}, {how} {duration(elapsed)}"
        eta = (self.total - self.done) / rate if rate > 0 else math.nan
        return f"{head}, ETA {duration(eta)}"

    def _line(self, now: float, final: bool = False):
        self.t_last = now
        try:
            print(self.line(now, final), file=self.stream, flush=True)
        except (OSError, ValueError):  # a closed pipe must not stop the run
            pass

    def __exit__(self, *exc):
        if self._bar is not None:
            self._bar.__exit__(*exc)
        elif self.enabled and (self.done or exc[0] is None):  # an error before any fit: its own line says it all
            self._line(self.clock(), final=True)
