"""View models: what the report and the tuning guide show, as plain data for their Jinja2 templates.

One family for both documents: a :class:`Section` holds paragraphs, :class:`Table` s of :class:`Cell` s,
:class:`Figure` s (embedded PNG) and, on the report's first screen, :class:`Card` s of :class:`Answer` s.
:func:`figure` turns a matplotlib Figure into an embedded PNG; :func:`table` turns a frame into a Table. Every
number in a cell goes through :mod:`boostreg.fmt`.
"""

from __future__ import annotations

import base64
import io
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

    The figure is drawn once by Agg at ``PNG_DPI`` (as ``savefig`` would) and its pixels go straight to the
    palette: no full-colour PNG is written and read back."""
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
    width = round(fig.get_figwidth() * PNG_DPI / 2)
    return Figure(title, base64.b64encode(small.getvalue()).decode("ascii"), alt, caption, width, name)


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
