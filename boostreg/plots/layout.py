"""Margins of a regular grid of panels measured from its own texts, without a layout engine.

matplotlib's tight and constrained layouts find each panel's extent by laying out every tick of every axis (and the
constrained layout twice) before the figure is drawn, which lays them out again: a third of the report's drawing
time. A panel grid's extent outside its axes is known from a few strings: its title, axis labels and tick labels.
:func:`grid_layout` measures those strings (the renderer's own text metrics, cached by matplotlib) and sets the
grid's spacing so that every one of them lies inside the figure and clear of its neighbours, as a tight layout
would (the same padding: 1.08 font sizes). Texts a panel draws outside its axes by other means are not seen: use it
only where titles, axis labels and tick labels are all there is (tested: every text inside the figure, none
overlapping another panel).
"""

from __future__ import annotations

import matplotlib
import numpy as np
from matplotlib import cbook
from matplotlib.font_manager import FontProperties

#: the space around and between panels, in font sizes (matplotlib's tight_layout default)
PAD = 1.08
#: a line of text after the first adds this many font sizes (matplotlib's default line spacing)
LINE_SPACING = 1.2


def _text_size(renderer, text: str, size: float, weight="normal") -> tuple[float, float]:
    """Width and height (inches) of ``text`` (lines joined by newlines) at ``size`` points."""
    if not text:
        return 0.0, 0.0
    prop = FontProperties(size=size, weight=weight)
    widths, heights = [], []
    for line in text.split("\n"):
        line = line or " "
        w, h, _ = renderer.get_text_width_height_descent(
            line, prop, ismath="TeX" if matplotlib.rcParams["text.usetex"] else cbook.is_math_text(line)
        )
        widths.append(w)
        heights.append(h)
    height = max(heights) + (len(heights) - 1) * LINE_SPACING * size * renderer.points_to_pixels(1.0)
    return max(widths) / renderer.dpi, height / renderer.dpi


def text_size(fig, text: str, size: float) -> tuple[float, float]:
    """Width and height (inches) of ``text`` at ``size`` points as ``fig`` will draw it."""
    from matplotlib.backends.backend_agg import RendererAgg

    return _text_size(RendererAgg(1, 1, fig.dpi), text, FontProperties(size=size).get_size_in_points())


def _tick_labels(axis) -> list[str]:
    """The tick labels the axis will draw: its locator's ticks inside the view, as its formatter writes them."""
    lo, hi = sorted(axis.get_view_interval())
    out = []
    for locator, formatter in ((axis.get_major_locator(), axis.get_major_formatter()),) + (
        ((axis.get_minor_locator(), axis.get_minor_formatter()),) if axis.get_scale() == "log" else ()
    ):
        locs = [v for v in np.asarray(locator()) if lo - 1e-10 * abs(hi - lo) <= v <= hi + 1e-10 * abs(hi - lo)]
        out += [s for s in formatter.format_ticks(locs) if s]
    return out


def _points(key: str) -> float:
    return float(matplotlib.rcParams[key]) / 72.0


def _extents(ax, renderer) -> dict[str, float]:
    """How far (inches) a panel's texts reach outside its axes on each side."""
    rc = matplotlib.rcParams
    tick_size = FontProperties(size=rc["ytick.labelsize"]).get_size_in_points()
    label_size = FontProperties(size=rc["axes.labelsize"]).get_size_in_points()
    title_size = FontProperties(size=rc["axes.titlesize"]).get_size_in_points()
    ext = {"left": 0.0, "right": 0.0, "top": 0.0, "bottom": 0.0}
    y_ticks = _tick_labels(ax.yaxis) if ax.yaxis.get_visible() else []
    if y_ticks:
        ext["left"] += max(_text_size(renderer, s, tick_size)[0] for s in y_ticks)
        ext["left"] += _points("ytick.major.pad") + _points("ytick.major.size")
    if ax.get_ylabel():
        ext["left"] += _text_size(renderer, ax.get_ylabel(), label_size)[1] + _points("axes.labelpad")
    x_ticks = _tick_labels(ax.xaxis) if ax.xaxis.get_visible() else []
    if x_ticks:
        sizes = [_text_size(renderer, s, tick_size) for s in x_ticks]
        ext["bottom"] += max(h for _, h in sizes) + _points("xtick.major.pad") + _points("xtick.major.size")
        ext["right"] = sizes[-1][0] / 2  # the last label is centred on its tick, which may be the axis's end
        ext["left"] = max(ext["left"], sizes[0][0] / 2)
    if ax.get_xlabel():
        ext["bottom"] += _text_size(renderer, ax.get_xlabel(), label_size)[1] + _points("axes.labelpad")
    title = ax.get_title() or ax.get_title("left") or ax.get_title("right")
    if title:
        ext["top"] = _text_size(renderer, title, title_size)[1] + _points("axes.titlepad")
    return ext


def grid_layout(fig, rect=(0.0, 0.0, 1.0, 1.0)) -> None:
    """Space the figure's regular grid of panels (``fig.subplots``; hidden spare cells allowed) inside ``rect``
    (figure fractions: left, bottom, right, top) so that every panel's title, axis labels and tick labels fit."""
    from matplotlib.backends.backend_agg import RendererAgg

    renderer = RendererAgg(1, 1, fig.dpi)
    panels = [ax for ax in fig.axes if ax.get_visible() and ax.axison and ax.get_subplotspec() is not None]
    if not panels:
        return
    gs = panels[0].get_subplotspec().get_gridspec()
    nrow, ncol = gs.get_geometry()
    cells = {}
    for ax in panels:
        spec = ax.get_subplotspec()
        cells[(spec.rowspan.start, spec.colspan.start)] = _extents(ax, renderer)
    pad = PAD * FontProperties(size=matplotlib.rcParams["font.size"]).get_size_in_points() / 72.0
    W, H = fig.get_figwidth(), fig.get_figheight()

    def most(side, where):
        return max([e[side] for (r, c), e in cells.items() if where(r, c)], default=0.0)

    def col(side, k):
        return most(side, lambda r, c: c == k)

    def row(side, k):
        return most(side, lambda r, c: r == k)

    left = rect[0] + (pad + col("left", 0)) / W
    right = rect[2] - (pad + col("right", ncol - 1)) / W
    top = rect[3] - (pad + row("top", 0)) / H
    lowest = {c: max(r for r, cc in cells if cc == c) for c in {c for _, c in cells}}  # each column's last panel
    bottom = rect[1] + (pad + most("bottom", lambda r, c: r == lowest[c])) / H
    wgap = pad + max((col("right", k) + col("left", k + 1) for k in range(ncol - 1)), default=0.0)
    hgap = pad + max((row("bottom", k) + row("top", k + 1) for k in range(nrow - 1)), default=0.0)
    axes_w = ((right - left) * W - (ncol - 1) * wgap) / ncol
    axes_h = ((top - bottom) * H - (nrow - 1) * hgap) / nrow
    fig.subplots_adjust(
        left=left,
        right=right,
        top=top,
        bottom=bottom,
        wspace=wgap / axes_w if axes_w > 0 else 0.2,
        hspace=hgap / axes_h if axes_h > 0 else 0.2,
    )
