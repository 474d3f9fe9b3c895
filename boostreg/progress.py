"""Progress over fits where the user watches: a rich bar in a terminal, a notebook bar in Jupyter (plain lines when
ipywidgets is missing, never rich's "install ipywidgets" warning), and in a log or a pipe a plain line every 10% of
the fits or every 30 s, whichever comes first, plus the final one. In a log the 30 s line comes even while no fit
lands (a daemon timer thread, open only while the ``with`` block is), so a slow first fit reads "waiting for the
first fit" rather than silence that looks like a hang; the terminal and notebook bars redraw themselves and start no
timer.

The mode is chosen from where stderr goes; the clock, the stream and the interval can be handed in (the tests do).
"""

from __future__ import annotations

import importlib.util
import math
import sys
import threading
import time

from boostreg.fmt import num

#: the non-terminal mode prints a line at every tenth of the fits ...
STEP_FRACTION = 0.1
#: ... or when this many seconds have passed since the last line, whichever comes first (also while no fit lands)
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
    interval_s : float, optional
        In "text" mode, the most seconds between two lines, :data:`INTERVAL_S` by default. A timer thread checks
        ``clock`` and prints a line when this has passed since the last one even if no fit landed.
    """

    def __init__(
        self, total: int, enabled: bool, description: str, *, stream=None, clock=None, mode=None, interval_s=None
    ):
        self.total = int(total)
        self.enabled = bool(enabled) and self.total > 0
        self.description = description
        self.stream = sys.stderr if stream is None else stream
        self.clock = time.monotonic if clock is None else clock
        self.done = 0
        self.mode = (mode or choose_mode(self.stream)) if self.enabled else "off"
        self.interval_s = float(INTERVAL_S if interval_s is None else interval_s)
        self._bar = None
        self._lock = threading.Lock()  # advance() and the timer: one line at a time, none after __exit__
        self._stop = threading.Event()
        self._timer = None
        self._open = False
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
        self._open = True
        if self._bar is not None:
            self._bar.__enter__()
        elif self.mode == "text" and self.interval_s > 0:
            self._stop.clear()
            self._timer = threading.Thread(target=self._tick, name="boostreg-progress", daemon=True)
            self._timer.start()
        return self

    def _tick(self):
        """The timer thread: a line when ``interval_s`` has passed on ``clock`` since the last one, fits or not."""
        wait = self.interval_s
        while not self._stop.wait(wait):
            with self._lock:
                if not self._open or self.done >= self.total:  # closed, or all done: the final line comes on exit
                    return
                now = self.clock()
                due = self.t_last + self.interval_s - now
                if due <= 0:
                    self._line(now)
                    due = self.interval_s
            wait = min(max(due, self.interval_s / 20), self.interval_s)  # wakes near the due time, never spins

    def advance(self, n: int = 1):
        """Count ``n`` more fits done."""
        if not self.enabled:
            return
        if self._bar is not None:
            self.done += n
            self._bar.advance(self._task, n)
            return
        with self._lock:
            self.done += n
            now = self.clock()
            step = int(self.done * (1 / STEP_FRACTION) // self.total) if self.done < self.total else None
            if step is None:
                return  # the final line comes on exit
            if step > self.last_step or now - self.t_last >= self.interval_s:
                self.last_step = max(step, self.last_step)
                self._line(now)

    def line(self, now: float | None = None, final: bool = False) -> str:
        """The text line for the state at ``now``: fits done, share, rate and ETA (elapsed time when ``final``); before
        the first fit, no rate or ETA but the time waited so far."""
        now = self.clock() if now is None else now
        elapsed = now - self.t_start
        counts = f"boostreg: {self.done}/{self.total} fits ({num(self.done / self.total, '.0%')})"
        if self.done == 0 and not final:
            return f"{counts}, waiting for the first fit, {duration(elapsed)} elapsed"
        rate = self.done / elapsed if elapsed > 0 else math.nan
        head = f"{counts}, {num(rate, '.1f')} fits/s"
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
        with self._lock:
            self._open = False  # the timer prints nothing more, even if it is about to wake
        self._stop.set()
        if self._timer is not None:
            self._timer.join()
            self._timer = None
        if self._bar is not None:
            self._bar.__exit__(*exc)
        elif self.enabled and (self.done or exc[0] is None):  # an error before any fit: its own line says it all
            with self._lock:
                self._line(self.clock(), final=True)
