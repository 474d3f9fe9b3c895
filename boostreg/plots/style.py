"""The figures' shared style and layout: one style context (no global matplotlib state changes), the page width,
the engine palette (from the engine registry), panel grids, a legend under the panels, penalty axes."""

from __future__ import annotations

import functools

import matplotlib
import numpy as np
import seaborn as sns
from matplotlib.figure import Figure

from ..engines import engine_colors as _registry_colors
from ..fmt import num
from .layout import grid_layout, tick_labels

#: the report's text width in inches (figures wider than this are scaled down in the page)
PAGE_WIDTH_IN = 10.8
STYLE = {
    **sns.axes_style("whitegrid"),
    "font.size": 9,
    "axes.titlesize": 9.5,
    "axes.labelsize": 9,
    "xtick.labelsize": 8.5,
    "ytick.labelsize": 8.5,
    "legend.fontsize": 8.5,
    "figure.titlesize": 10.5,
    "axes.titleweight": "normal",
    # titles sit at the top of their axes: no panel has ticks or an axis label above it, and matplotlib's automatic
    # placement measured every y tick label of the figure once per title to find that out (0.89 of the figures' CPU)
    "axes.titley": 1.0,
}


def styled(fn):
    """Draw inside the module's style context (no global state is changed)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with matplotlib.rc_context(STYLE):
            return fn(*args, **kwargs)

    return wrapper


def engine_colors(engines) -> dict:
    """A colour per engine, from the engine registry (each engine declares its own; engines without one get a
    fallback made from their name): distinct within the set and the same in every figure. Sorted by name."""
    return _registry_colors(sorted(set(engines)))


def panel_grid(n: int, ncol: int, width: float, height: float, layout: str | None = None):
    """A figure with ``n`` panels, ``ncol`` to a row; returns the figure and the n axes (spare cells hidden)."""
    ncol = max(1, min(ncol, n))
    nrow = int(np.ceil(n / ncol))
    fig = Figure(figsize=(width * ncol, height * nrow), layout=layout)
    grid = fig.subplots(nrow, ncol, squeeze=False)
    axes = [grid[k // ncol][k % ncol] for k in range(nrow * ncol)]
    for ax in axes[n:]:
        ax.set_axis_off()
    return fig, axes[:n]


def label_outer(axes, ncol: int, keep_ticks: bool = True) -> None:
    """Write once what neighbouring panels share, as seaborn's FacetGrid does: a panel's x label goes where the
    panel under it has the same, and its x tick labels too where that panel also has the same x range and ticks;
    likewise a panel's y label and y tick labels where the panel left of it has the same. ``axes`` fill a grid
    ``ncol`` wide, row by row. Call it once every panel is drawn (the ranges are read from the axes). Without
    ``keep_ticks`` (panels that draw no tick marks and no grid) a hidden axis loses its ticks too."""

    def same(a, b) -> bool:  # two Axis objects: the same range and the same tick labels
        return bool(np.allclose(a.get_view_interval(), b.get_view_interval())) and tick_labels(a) == tick_labels(b)

    hide = []
    for k, ax in enumerate(axes):
        below = axes[k + ncol] if k + ncol < len(axes) else None
        left = axes[k - 1] if k % ncol else None
        x_label = below is not None and ax.get_xlabel() == below.get_xlabel()
        y_label = left is not None and ax.get_ylabel() == left.get_ylabel()
        x_ticks = x_label and same(ax.xaxis, below.xaxis)
        hide.append((ax, x_label, x_ticks, y_label, y_label and same(ax.yaxis, left.yaxis)))
    for ax, x_label, x_ticks, y_label, y_ticks in hide:  # decided on every panel as drawn, then hidden
        if x_label:
            ax.set_xlabel("")
        if y_label:
            ax.set_ylabel("")
        for hidden, axis, labels in ((x_ticks, ax.xaxis, "labelbottom"), (y_ticks, ax.yaxis, "labelleft")):
            if hidden and keep_ticks:
                ax.tick_params(**{labels: False})
            elif hidden:
                axis.set_ticks([])


def legend_below(fig, handles, labels, ncol: int, rows: int = 1) -> None:
    """One legend for the whole figure, under its grid of panels (room for ``rows`` rows of entries), the panels
    spaced by measuring their titles, axis labels and tick labels (:func:`boostreg.plots.layout.grid_layout`)."""
    fig.legend(handles, labels, loc="lower center", ncol=ncol, frameon=False)
    grid_layout(fig, (0, min(0.4, 0.22 * rows / fig.get_figheight() + 0.02), 1, 1))


def axis_label(units: str, key: str) -> str:
    """A penalty axis's label: 'reg_alpha / α_max' (relative units) or 'reg_alpha (raw)'."""
    if units == "relative":
        return "reg_alpha / α_max" if key == "reg_alpha" else "reg_lambda / H̄"
    return f"{key} (raw)"


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def power_of_ten(v, pos=None) -> str:
    """A log axis's tick label as plain text: 10⁻², 10⁰, 10³ for powers of ten, "0", other numbers as they are.
    matplotlib's own writes them in mathtext, which every drawing process parses and lays out again (0.2 s for the
    first label in each)."""
    if v == 0:
        return "0"
    k = np.log10(abs(v))
    if abs(k - round(k)) > 1e-9:
        return num(v, "g").replace("-", "−")
    return ("−" if v < 0 else "") + "10" + str(int(round(k))).translate(_SUPERSCRIPT)


def log_labels(axis) -> None:
    """Label a log or symlog axis's major ticks with :func:`power_of_ten`."""
    axis.set_major_formatter(matplotlib.ticker.FuncFormatter(power_of_ten))


def symlog(ax, values):
    """A symlog x axis, linear from 0 to the smallest positive value; ticks at 0 and at the powers of ten from
    there on (a power of ten inside the linear part would sit on top of the 0)."""
    positive = np.asarray([v for v in values if v > 0])
    linthresh = float(positive.min()) if len(positive) else 1.0
    ax.set_xscale("symlog", linthresh=linthresh)
    if len(positive):
        lo, hi = int(np.ceil(np.log10(linthresh) - 1e-9)), int(np.floor(np.log10(positive.max()) + 1e-9))
        step = max(1, int(np.ceil((hi - lo + 1) / 8)))  # at most about eight labelled decades
        ticks = [10.0**k for k in range(lo, hi + 1, step)]
        if not ticks:  # every value within one decade: label some of them
            values = sorted(set(positive.tolist()))
            ticks = values[:: max(1, len(values) // 5)]
        ax.xaxis.set_major_locator(matplotlib.ticker.FixedLocator([0.0, *ticks]))
    log_labels(ax.xaxis)
