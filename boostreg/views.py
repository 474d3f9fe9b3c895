"""View models: what the report and the tuning guide show, as plain data for their Jinja2 templates.

One family for both documents: a :class:`Section` holds paragraphs, :class:`Table` s of :class:`Cell` s,
:class:`Figure` s (embedded PNG) and, on the report's first screen, :class:`Card` s of :class:`Answer` s.
:func:`figure` turns a matplotlib Figure into an embedded PNG (inside :func:`drawing_in_parallel`, in worker
processes); :func:`table` turns a frame into a Table. Every number in a cell goes through :mod:`boostreg.fmt`.
"""

from __future__ import annotations

import base64
import contextlib
import gc
import io
import os
import signal
import sys
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .fmt import count, num

#: figures are drawn at this many pixels per inch and shown at half that size (sharp on 2x screens, text at true size)
PNG_DPI = 192


@dataclass
class Figure:
    """A figure as an embedded PNG; ``width`` is the CSS pixels it is shown at (half its pixel width); ``name`` is
    its file stem where a document writes it beside itself (the guide's Markdown)."""

    title: str
    png_b64: str
    alt: str = ""
    caption: str = ""
    width: int = 0
    name: str = ""


@dataclass
class Cell:
    """One table cell: its text and a CSS class ("num" right-aligns a number)."""

    text: str
    cls: str = ""


@dataclass
class Table:
    """A titled table; rows of :class:`Cell` (plain strings are made cells)."""

    title: str
    columns: list[str]
    rows: list[list[Cell]]

    def __post_init__(self):
        self.rows = [[c if isinstance(c, Cell) else Cell(c) for c in row] for row in self.rows]


@dataclass
class Answer:
    """One engine's answer on a card: verdict, the line to paste, and the smaller model within noise."""

    engine: str
    verdict: str
    verdict_cls: str
    paste: str
    smaller: str = ""


@dataclass
class Card:
    """The first screen's card of one dataset: every engine's answer and one figure."""

    title: str
    answers: list[Answer]
    figure: Figure | None = None


@dataclass
class Section:
    """One section of a document: its anchor ``id``, title, paragraphs, tables, figures and cards."""

    id: str
    title: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    cards: list[Card] = field(default_factory=list)


def figure(title: str, fig, alt: str = "", caption: str = "", name: str = "") -> Figure:
    """A matplotlib Figure as an embedded PNG at twice the resolution it is shown at, in a 256-colour palette (a
    third of the bytes; these are line art and flat colour cells).

    ``fig`` is a matplotlib Figure, or a picklable function of no arguments that makes one (a
    ``functools.partial`` of a :mod:`boostreg.plots` function): inside :func:`drawing_in_parallel` that function
    runs in a worker process and the returned Figure's image is filled in when the block ends; elsewhere it is
    called here. Either way the figure is drawn once by Agg at ``PNG_DPI`` (as ``savefig`` would) and its pixels
    go straight to the palette: no full-colour PNG is written and read back."""
    if not hasattr(fig, "savefig"):  # a function that makes the figure
        out = Figure(title, "", alt, caption, 0, name)
        if _DRAWER is not None:
            _DRAWER.submit(fig, out)
            return out
        fig = fig()
    png, width = _png(fig)
    return Figure(title, png, alt, caption, width, name)


def _png(fig) -> tuple[str, int]:
    """The figure's PNG (base64) drawn at ``PNG_DPI``, and the CSS width it is shown at."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image

    canvas = FigureCanvasAgg(fig) if not isinstance(fig.canvas, FigureCanvasAgg) else fig.canvas
    dpi = fig.dpi
    try:
        fig.dpi = PNG_DPI
        canvas.draw()
        rgba = canvas.buffer_rgba()
        image = Image.frombuffer("RGBA", (rgba.shape[1], rgba.shape[0]), rgba, "raw", "RGBA", 0, 1)
        image = image.convert("RGB").quantize(colors=256, method=Image.Quantize.FASTOCTREE)
    finally:
        fig.dpi = dpi
    small = io.BytesIO()
    image.save(small, format="PNG")
    return base64.b64encode(small.getvalue()).decode("ascii"), round(fig.get_figwidth() * PNG_DPI / 2)


def _draw(make) -> tuple[str, int]:
    """A worker's task: make the figure and draw it (:func:`_png`)."""
    return _png(make())


def _worker_start() -> None:
    """A drawing worker leaves Ctrl-C and SIGTERM to its parent, which ends it (a forked child inherits the
    parent's handlers, which would print their own 'stopped' line), and writes any warning to the process's own
    streams (in a notebook, sys.stderr is the kernel's channel to the browser, which belongs to the parent)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    sys.stdout = sys.__stdout__ or sys.stdout
    sys.stderr = sys.__stderr__ or sys.stderr


class _Drawer:
    """Forked worker processes drawing the figures submitted to them; :meth:`finish` fills in every Figure."""

    def __init__(self, workers: int):
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        self.pool = ProcessPoolExecutor(workers, multiprocessing.get_context("fork"), initializer=_worker_start)
        self.pending: list = []
        # until the figures are drawn, no collector walks the objects that exist now: the workers' would copy the
        # pages they share with the parent, the parent's would walk them again at each full collection
        gc.freeze()
        try:
            self.pool.submit(int).result()  # fork the workers now, before the parent runs anything multi-threaded
        except BaseException:  # stopped while forking
            self.stop()
            raise

    def submit(self, make, out: Figure) -> None:
        self.pending.append((make, out, self.pool.submit(_draw, make)))

    def finish(self) -> None:
        from concurrent.futures.process import BrokenProcessPool

        for make, out, future in self.pending:
            try:
                out.png_b64, out.width = future.result()
            except BrokenProcessPool:  # a worker died (killed, out of memory): draw the rest here
                out.png_b64, out.width = _draw(make)
        self.pool.shutdown()
        gc.unfreeze()

    def stop(self) -> None:
        """End the workers now (the block failed or was stopped)."""
        processes = list((getattr(self.pool, "_processes", None) or {}).values())
        for process in processes:
            process.terminate()
        # the pool then sees its workers gone and ends every process it has, one started meanwhile too; waiting
        # for that leaves no worker behind the block
        self.pool.shutdown(wait=True, cancel_futures=True)
        gc.unfreeze()


#: the drawer of the innermost :func:`drawing_in_parallel` block (None: figures are drawn where they are made)
_DRAWER: _Drawer | None = None


def drawing_workers(jobs: int | None = None) -> int:
    """How many processes :func:`drawing_in_parallel` draws with: ``jobs``, or one per CPU this process may use
    (at most 8); 1 (no workers) where processes cannot be forked safely (only Linux forks here)."""
    if not sys.platform.startswith("linux"):
        return 1
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, jobs if jobs is not None else min(cpus, 8))


@contextlib.contextmanager
def drawing_in_parallel(jobs: int | None = None):
    """Inside this block, :func:`figure` given a function hands it to forked worker processes (as many as
    :func:`drawing_workers`), which make and draw the figures while the caller computes the next ones; the block
    waits for every figure at its end. With one worker, figures are drawn where they are made.

    Parameters
    ----------
    jobs : int, optional
        Worker processes; default one per CPU (at most 8).
    """
    global _DRAWER
    workers = drawing_workers(jobs)
    if workers <= 1 or _DRAWER is not None:
        yield
        return
    drawer = _Drawer(workers)
    _DRAWER = drawer
    try:
        yield
        _DRAWER = None
        drawer.finish()
    except BaseException:
        drawer.stop()
        raise
    finally:
        _DRAWER = None


def num_cell(v, spec: str = ".4g") -> Cell:
    """A right-aligned number: whole numbers as they are, others with ``spec``; "–" when missing."""
    if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
        return Cell(count(v), "num")
    return Cell(num(v, spec), "num")


def table(frame: pd.DataFrame, title: str = "") -> Table:
    """A frame as a Table: numbers right-aligned (:func:`num_cell`), everything else as its text."""
    rows = []
    for _, r in frame.iterrows():
        rows.append(
            [
                num_cell(v)
                if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
                else Cell(str(v))
                for v in r
            ]
        )
    return Table(title, [str(c) for c in frame.columns], rows)
