"""A time limit for a block of code in the main thread: the per-fit ``fit_timeout`` of a study.

:func:`fit_deadline` arms a SIGALRM timer whose handler raises :class:`FitTimeout` in the main thread;
:func:`boostreg.fit.fit_one` wraps the engine's fit and measure in it and stores a fit that runs out of time as
failed. Signal handlers run only in a process's main thread, so a fit in another thread (a Dask worker's) cannot be
stopped this way (:func:`can_enforce_timeout`).
"""

from __future__ import annotations

import signal
import threading
import time
from contextlib import contextmanager

from .fmt import num


class FitTimeout(BaseException):
    """Raised inside a fit when it runs past the study's ``fit_timeout`` (by :func:`fit_deadline`'s alarm).

    A BaseException, like KeyboardInterrupt, so that an engine's own ``except Exception`` does not swallow it;
    :func:`boostreg.fit.fit_one` catches it and stores the fit as failed."""

    def __init__(self, seconds: float):
        super().__init__(f"timed out after {num(seconds, 'g')} s (fit_timeout)")
        self.seconds = seconds


#: the name of the alarm's handler function, left out of a timed-out fit's frames
ALARM_HANDLER = "_on_alarm"
#: if a fit swallows the timeout (a plug-in's bare ``except:``, a callback from C that drops exceptions), the alarm
#: rings again after this many seconds, until the fit stops
ALARM_REPEAT_S = 1.0


def can_enforce_timeout() -> bool:
    """Whether :func:`fit_deadline` can stop a fit here: SIGALRM exists (not on Windows) and this is the process's
    main thread (signal handlers run only there; a Dask worker runs its tasks in other threads)."""
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


@contextmanager
def fit_deadline(seconds: float | None):
    """Raise :class:`FitTimeout` in the block when it runs longer than ``seconds`` (None: no limit).

    A SIGALRM timer (``signal.setitimer``) whose handler raises in the main thread. Python runs the handler
    between bytecodes, so code stuck in Python stops at once; a library's C loop stops when it next returns to
    Python (XGBoost and LightGBM between boosting rounds, where their Python training loop runs). Where the timer
    cannot work (:func:`can_enforce_timeout` is False) the block runs without a limit. The previous SIGALRM handler
    and timer are restored when the block ends (the timer with what was left of it)."""
    if not seconds or not can_enforce_timeout():
        yield
        return
    armed = [True]

    def _on_alarm(signum, frame):
        if armed[0]:
            signal.setitimer(signal.ITIMER_REAL, ALARM_REPEAT_S)
            raise FitTimeout(seconds)

    previous_handler = signal.signal(signal.SIGALRM, _on_alarm)
    previous_timer = signal.setitimer(signal.ITIMER_REAL, seconds)
    started = time.monotonic()
    try:
        yield
    finally:
        armed[0] = False  # from here the handler does nothing, should the alarm ring before it is stopped
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous_handler if previous_handler is not None else signal.SIG_DFL)
        if previous_timer[0] > 0:  # someone else's timer was running: what was left of it
            left = max(previous_timer[0] - (time.monotonic() - started), 1e-6)
            signal.setitimer(signal.ITIMER_REAL, left, previous_timer[1])
