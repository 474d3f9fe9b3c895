"""Margins of a regular grid of panels measured from its own texts, without a layout engine.

matplotlib's tight and constrained layouts find each panel's extent by laying out every tick of every axis (and the
constrained layout twice) before the figure is drawn, which lays them out again: a third of the report's drawing
time. A panel grid's extent outside its axes is known from a few strings: its title, axis labels and tick labels.
:func:`grid_layout` measures those strings (Agg's own text metrics, each string once per process) and sets the
grid's spacing so that every one of them lies inside the figure and clear of its neighbours, as a tight layout
would (the same padding: 1.08 font sizes). Texts a panel draws outside its axes by other means are not seen: use it
only where titles, axis labels and tick labels are all there is (tested: every text inside the figure, none
overlapping another panel).
"""

from __future__ import annotations

import functools

import matplotlib
import numpy as np
from matplotlib import cbook
from matplotlib.font_manager import FontProperties

#: the space around and between panels, in font sizes (matplotlib's tight_layout default)
PAD = 1.08
#: a line of text after the first adds this many font sizes (matplotlib's default line spacing)
LINE_SPACING = 1.2


def _text_size(dpi: float, text: str, size: float) -> tuple[float, float]:
    """Width and height (inches) of ``text`` (lines joined by newlines) at ``size`` points, in the current font
    settings; measured once per process (panels repeat the same tick labels, titles and axis labels)."""
    if not text:
        return 0.0, 0.0
    rc = matplotlib.rcParams
    fonts = (tuple(rc["font.family"]), tuple(rc["font.sans-serif"]), rc["mathtext.fontset"], rc["text.usetex"])
    return _measured(dpi, text, float(size), fonts)


@functools.lru_cache(maxsize=4096)
def _measured(dpi: float, text: str, size: float, fonts) -> tuple[float, float]:
    from matplotlib.backends.backend_agg import RendererAgg

    renderer, prop = RendererAgg(1, 1, dpi), FontProperties(size=size)
    widths, heights = [], []
    for line in text.split("\n"):
        line = line or " "
        w, h, _ = renderer.get_text_width_height_descent(
            line, prop, ismath="TeX" if fonts[-1] else cbook.is_math_text(line)
        )
        widths.append(w)
        heights.append(h)
    height = max(heights) + (len(heights) - 1) * LINE_SPACING * size * renderer.points_to_pixels(1.0)
    return max(widths) / dpi, height / dpi


def text_size(fig, text: str, size: float) -> tuple[float, float]:
    """Width and height (inches) of ``text`` at ``size`` points as ``fig`` will draw it."""
    return _text_size(fig.dpi, text, FontProperties(size=size).get_size_in_points())


def tick_labels(axis) -> list[str]:
    """The tick labels the axis will draw: its locator's ticks inside the view, as its formatter writes them."""
    lo, hi = sorted(axis.get_view_interval())
    out = []
    for locator, formatter in ((axis.get_major_locator(), axis.get_major_formatter()),) + (
        ((axis.get_minor_locator(), axis.get_minor_formatter()),) if axis.get_scale() == "log" else ()
    ):
        locs = [v for v in np.asarray(locator()) if lo - 1e-10 * abs(hi - lo) <= v <= hi + 1e-10 * abs(hi - lo)]
        out += [s for s in formatter.format_ticks(locs) if s]
    return out


def points(key: str) -> float:
    """An rcParams length in points (a pad, a tick size), in inches."""
    return float(matplotlib.rcParams[key]) / 72.0


def pad_inches() -> float:
    """The space around and between panels: :data:`PAD` font sizes, in inches."""
    return PAD * FontProperties(size=matplotlib.rcParams["font.size"]).get_size_in_points() / 72.0


def _extents(ax, dpi: float) -> dict[str, float]:
    """How far (inches) a panel's texts reach outside its axes on each side ("left", "right", "top", "bottom"), and
    the width of each of its titles with where it sits ("titles": [(width, loc)]), which only the axes' width tells
    whether it reaches past them."""
    rc = matplotlib.rcParams
    tick_size = FontProperties(size=rc["ytick.labelsize"]).get_size_in_points()
    label_size = FontProperties(size=rc["axes.labelsize"]).get_size_in_points()
    title_size = FontProperties(size=rc["axes.titlesize"]).get_size_in_points()
    ext = {"left": 0.0, "right": 0.0, "top": 0.0, "bottom": 0.0}
    shown = ax.yaxis.get_visible() and ax.yaxis.get_tick_params().get("labelleft", True)
    y_ticks = tick_labels(ax.yaxis) if shown else []
    if y_ticks:
        ext["left"] += max(_text_size(dpi, s, tick_size)[0] for s in y_ticks)
        ext["left"] += points("ytick.major.pad") + points("ytick.major.size")
    if ax.get_ylabel():
        ext["left"] += _text_size(dpi, ax.get_ylabel(), label_size)[1] + points("axes.labelpad")
    shown = ax.xaxis.get_visible() and ax.xaxis.get_tick_params().get("labelbottom", True)
    x_ticks = tick_labels(ax.xaxis) if shown else []
    if x_ticks:
        sizes = [_text_size(dpi, s, tick_size) for s in x_ticks]
        ext["bottom"] += max(h for _, h in sizes) + points("xtick.major.pad") + points("xtick.major.size")
        ext["right"] = sizes[-1][0] / 2  # the last label is centred on its tick, which may be the axis's end
        ext["left"] = max(ext["left"], sizes[0][0] / 2)
    if ax.get_xlabel():
        ext["bottom"] += _text_size(dpi, ax.get_xlabel(), label_size)[1] + points("axes.labelpad")
    titles = [(_text_size(dpi, ax.get_title(loc), title_size), loc) for loc in ("center", "left", "right")]
    titles = [(width, height, loc) for (width, height), loc in titles if width]
    if titles:  # a title wider than its axes reaches past it (a left title to the right): see grid_layout
        ext["top"] = max(height for _, height, _ in titles) + points("axes.titlepad")
        ext["titles"] = [(width, loc) for width, _, loc in titles]
    return ext


def grid_layout(fig, rect=(0.0, 0.0, 1.0, 1.0)) -> None:
    """Space the figure's regular grid of panels (``fig.subplots``; hidden spare cells allowed) inside ``rect``
    (figure fractions: left, bottom, right, top) so that every panel's title, axis labels and tick labels fit."""
    panels = [ax for ax in fig.axes if ax.get_visible() and ax.axison and ax.get_subplotspec() is not None]
    if not panels:
        return
    gs = panels[0].get_subplotspec().get_gridspec()
    nrow, ncol = gs.get_geometry()
    cells = {}
    for ax in panels:
        spec = ax.get_subplotspec()
        cells[(spec.rowspan.start, spec.colspan.start)] = _extents(ax, fig.dpi)
    pad = pad_inches()
    W, H = fig.get_figwidth(), fig.get_figheight()

    def most(side, where):
        return max([e[side] for (r, c), e in cells.items() if where(r, c)], default=0.0)

    def col(side, k):
        return most(side, lambda r, c: c == k)

    def row(side, k):
        return most(side, lambda r, c: r == k)

    top = rect[3] - (pad + row("top", 0)) / H
    lowest = {c: max(r for r, cc in cells if cc == c) for c in {c for _, c in cells}}  # each column's last panel
    bottom = rect[1] + (pad + most("bottom", lambda r, c: r == lowest[c])) / H
    hgap = pad + max((row("bottom", k) + row("top", k + 1) for k in range(nrow - 1)), default=0.0)
    axes_h = ((top - bottom) * H - (nrow - 1) * hgap) / nrow
    for _ in range(3):  # a title wider than its axes widens the margins; the axes narrow; measure again
        left = rect[0] + (pad + col("left", 0)) / W
        right = rect[2] - (pad + col("right", ncol - 1)) / W
        wgap = pad + max((col("right", k) + col("left", k + 1) for k in range(ncol - 1)), default=0.0)
        axes_w = ((right - left) * W - (ncol - 1) * wgap) / ncol
        wider = False
        for e in cells.values():
            for width, loc in e.get("titles", ()):
                over = width - axes_w
                side = (
                    {"left": over / 2, "right": over / 2}
                    if loc == "center"
                    else {"right" if loc == "left" else "left": over}
                )
                for k, v in side.items():
                    if v > e[k] + 1e-9:
                        e[k], wider = v, True
        if not wider:
            break
    fig.subplots_adjust(
        left=left,
        right=right,
        top=top,
        bottom=bottom,
        wspace=wgap / axes_w if axes_w > 0 else 0.2,
        hspace=hgap / axes_h if axes_h > 0 else 0.2,
    )
