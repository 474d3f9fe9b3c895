"""Heatmaps over reg_alpha × reg_lambda: one panel per dataset and engine, one shared colour scale."""

from __future__ import annotations

import textwrap

import matplotlib
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib import patheffects
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.ticker import FixedFormatter, FixedLocator

from ..fmt import num
from . import layout
from .style import PAGE_WIDTH_IN, axis_label, label_outer, panel_grid, styled

#: significant digits of a heatmap cell's number: cells whose values differ by 1% or more read differently
CELL_DIGITS = 3


def _cell_text(v: float) -> str:
    """A heatmap cell's number with :data:`CELL_DIGITS` significant digits (integers from 100 on)."""
    if np.isfinite(v) and 0 < abs(v) < 10 ** (CELL_DIGITS - 1):
        return num(v, f"#.{CELL_DIGITS}g").rstrip(".")  # trailing zeros kept: 63.0 beside 63.9, not 63
    return num(v, ".0f")


def _cell_fontsize(texts, ncols: int, panel_width_in: float) -> float:
    """The annotation size (pt) that fits the longest number in a cell of a panel ``panel_width_in`` wide."""
    longest = max((len(s) for s in texts), default=1)
    cell_pt = panel_width_in * 0.72 * 72 / max(ncols, 1)  # about 72% of a panel is the image itself
    return float(np.clip(cell_pt / (0.62 * longest + 0.8), 5.5, 9.0))


#: how each heatmap's colour is scaled so that one scale is shared by every panel (the rule is in the caption)
HEATMAP_SCALES = {
    "excess_over_best": "colour: % above the panel's best cell (one scale for all panels, saturating at +50%); "
    "numbers: the value",
    "share_of_unpenalized": "colour: the value divided by the unpenalized cell's (one scale for all panels)",
    "gap_share": "colour: the gap divided by the unpenalized cell's test error (one scale for all panels)",
    "absolute": "colour: the value itself (one scale for all panels)",
}


def _colour_values(z: np.ndarray, rule: str, unpenalized: float) -> np.ndarray:
    if rule == "excess_over_best":
        best = np.nanmin(z)
        return z / best - 1 if best > 0 else z - best
    if rule == "share_of_unpenalized":
        return z / unpenalized if unpenalized else z
    if rule == "gap_share":
        return z / abs(unpenalized) if unpenalized else z
    return z


def _grid(sub: pd.DataFrame, value: str) -> pd.DataFrame:
    """``value`` over reg_lambda (rows, largest first) x reg_alpha (columns, smallest first): the mean of a cell's
    numbers, NaN where it has none, every reg_alpha and reg_lambda of ``sub`` kept (``pivot_table(...,
    dropna=False)`` sorted so, in a tenth of the time)."""
    lam, row = np.unique(sub.reg_lambda.to_numpy(float), return_inverse=True)
    alpha, col = np.unique(sub.reg_alpha.to_numpy(float), return_inverse=True)
    v = sub[value].to_numpy(float)
    known = ~np.isnan(v)
    total, count = np.zeros((len(lam), len(alpha))), np.zeros((len(lam), len(alpha)))
    np.add.at(total, (row[known], col[known]), v[known])
    np.add.at(count, (row[known], col[known]), 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.where(count > 0, total / count, np.nan)
    return pd.DataFrame(
        z[::-1],
        index=pd.Index(lam[::-1], name="reg_lambda"),
        columns=pd.Index(alpha, name="reg_alpha"),
    )


@styled
def heatmaps(
    surf: pd.DataFrame,
    value: str,
    label: str = "",
    *,
    cmap: str = "viridis",
    rule: str = "absolute",
    unpenalized_ref: pd.DataFrame | None = None,
    marks: pd.DataFrame | None = None,
) -> Figure:
    """``value`` over reg_alpha (x) x reg_lambda (y); one panel per dataset and engine, three panels a row.

    Every panel shares one colour scale made by ``rule`` (:data:`HEATMAP_SCALES`); ``unpenalized_ref`` gives,
    per dataset and engine, the reference the rule divides by (column ``ref``). ``marks`` (dataset, engine,
    mark, reg_alpha, reg_lambda) outlines the validation-selected cell and labels the library default's.
    Cells carry the value with :data:`CELL_DIGITS` significant digits. A dataset x engine without a value is
    left out and named under the panels; a panel whose colour cannot be computed (the rule's reference is
    missing) is grey and says so in its title. The colour bar lies under the panels, its label wrapped to fit.
    """
    pairs = surf[["dataset", "engine"]].drop_duplicates().sort_values(["dataset", "engine"]).to_records(index=False)
    refs = unpenalized_ref.set_index(["dataset", "engine"]).ref if unpenalized_ref is not None else None
    panels, grids, colours, empty = [], [], [], []
    for d, e in pairs:
        sub = surf[(surf.dataset == d) & (surf.engine == e)]
        grid = _grid(sub, value)
        z = grid.to_numpy(dtype=float)
        if not np.isfinite(z).any():
            empty.append(f"{d} · {e}")
            continue
        ref = float(refs.get((d, e), np.nan)) if refs is not None else np.nan
        panels.append((d, e))
        grids.append(grid)
        colours.append(_colour_values(z, rule, ref))
    if not panels:
        fig = Figure(figsize=(PAGE_WIDTH_IN / 2, 1.0))
        fig.text(
            0.5,
            0.5,
            f"No dataset × engine has a value of {value} to show"
            + (f" ({', '.join(empty)}: none recorded)." if empty else "."),
            ha="center",
            va="center",
            wrap=True,
        )
        return fig
    ncol = min(3, len(panels))
    panel_w, panel_h = PAGE_WIDTH_IN / 3, 2.75
    fig, axes = panel_grid(len(panels), 3, panel_w, panel_h)
    fig.set_figheight(fig.get_figheight() + 0.75 + (0.2 if empty else 0))  # the colour bar and its label below
    finite = np.concatenate([c[np.isfinite(c)] for c in colours])
    vmin, vmax = (float(finite.min()), float(finite.max())) if len(finite) else (0.0, 1.0)
    if rule in ("share_of_unpenalized", "absolute") and value == "zero_leaf_frac":
        vmin, vmax = 0.0, 1.0
    if rule == "excess_over_best":  # the collapsed corners would take the whole scale: saturate where it matters
        vmin, vmax = 0.0, min(vmax, 0.5)
    colormap = sns.color_palette(cmap, as_cmap=True).with_extremes(bad="#e4e4e4")  # grey: no colour to give
    norm = matplotlib.colors.Normalize(vmin=vmin, vmax=vmax if vmax > vmin else vmin + 1e-12)
    relative = {
        k: bool((surf[f"{k}_units"] == "relative").any()) if f"{k}_units" in surf else False
        for k in ("alpha", "lambda")
    }
    for k, ((d, e), grid, col) in enumerate(zip(panels, grids, colours)):
        ax = axes[k]
        z = grid.to_numpy(dtype=float)
        # the cells as one mesh (row 0 on top, as an image's): an image is resampled to the figure's pixels
        ax.pcolormesh(
            np.arange(z.shape[1] + 1) - 0.5,
            np.arange(z.shape[0] + 1) - 0.5,
            np.ma.masked_invalid(col),
            cmap=colormap,
            norm=norm,
            snap=True,
        )
        ax.set_xlim(-0.5, z.shape[1] - 0.5)
        ax.set_ylim(z.shape[0] - 0.5, -0.5)
        texts = [[_cell_text(v) for v in row] for row in z]
        size = _cell_fontsize([s for row in texts for s in row], z.shape[1], panel_w)
        rgb = colormap(norm(col))[..., :3]  # every cell's colour at once (a grey cell's text is black)
        dark = (rgb @ [0.299, 0.587, 0.114] < 0.5) & np.isfinite(col)  # white text where black would not read
        for (r, c), _v in np.ndenumerate(z):
            ax.text(
                c,
                r,
                texts[r][c],
                ha="center",
                va="center",
                fontsize=size,
                color="white" if dark[r, c] else "black",
                in_layout=False,  # inside its cell: the layout need not measure it
            )
        if marks is not None and len(marks):
            for m in marks[(marks.dataset == d) & (marks.engine == e)].itertuples():
                cols = [i for i, a in enumerate(grid.columns) if np.isclose(a, m.reg_alpha)]
                rows = [i for i, lam in enumerate(grid.index) if np.isclose(lam, m.reg_lambda)]
                if not cols or not rows:
                    continue
                if m.mark == "selected":
                    ax.add_patch(Rectangle((cols[0] - 0.5, rows[0] - 0.5), 1, 1, fill=False, lw=2.2, ec="#d62728"))
                else:
                    ax.text(
                        cols[0] - 0.45,
                        rows[0] - 0.45,
                        "D",
                        ha="left",
                        va="top",
                        fontsize=8,
                        fontweight="bold",
                        color="#d62728",
                        path_effects=[patheffects.withStroke(linewidth=2, foreground="white")],
                    )
        # "v or 0.0": a grid value of -0.0 reads "0". A locator and a formatter, not set_ticks: tick labels are made
        # when drawn, so a panel that label_outer leaves without them makes none
        for axis, values in ((ax.xaxis, grid.columns), (ax.yaxis, grid.index)):
            axis.set_major_locator(FixedLocator(range(len(values))))
            axis.set_major_formatter(FixedFormatter([num(v or 0.0, "g") for v in values]))
        ax.grid(False)
        uncoloured = not np.isfinite(col).any()
        ax.set_title(f"{d} · {e}" + ("\n(grey: no unpenalized cell to divide by)" if uncoloured else ""))
        ax.set_xlabel(axis_label("relative" if relative["alpha"] else "raw", "reg_alpha"))
        ax.set_ylabel(axis_label("relative" if relative["lambda"] else "raw", "reg_lambda"))
    label_outer(axes, ncol, keep_ticks=False)  # no tick marks or grid here: a panel without labels needs no ticks
    width_in = panel_w * ncol
    text = HEATMAP_SCALES[rule].split(";")[0].replace("colour: ", "")
    note = (
        textwrap.fill(f"Not shown, no {value} recorded: {', '.join(empty)}.", max(40, int(width_in * 72 / 5.2)))
        if empty
        else ""
    )
    _colour_bar_below(
        fig,
        matplotlib.cm.ScalarMappable(norm=norm, cmap=colormap),
        textwrap.fill(text, max(30, int(width_in * 72 / 5.2))),
        shrink=0.9 if ncol == 1 else 0.6,
        aspect=35 if ncol > 1 else 25,
        percent=rule in ("excess_over_best", "gap_share"),
        note=note,
        title=label,
    )
    return fig


def _colour_bar_below(fig, mappable, label: str, *, shrink, aspect, percent: bool, note: str, title: str) -> None:
    """The panels spaced by their own texts (:func:`boostreg.plots.layout.grid_layout`) above a horizontal colour
    bar ``shrink`` times their width (``aspect``: length over thickness) with its wrapped ``label``; ``note`` under
    it (panels left out) and ``title`` over the panels. No layout engine: each size is measured once."""
    W, H = fig.get_figwidth(), fig.get_figheight()
    pad = layout.pad_inches()
    note_h = layout.text_size(fig, note, 8.5)[1] + pad / 2 if note else 0.0
    label_h = layout.text_size(fig, label, matplotlib.rcParams["axes.labelsize"])[1] + layout.points("axes.labelpad")
    ticks_h = (
        layout.text_size(fig, "0.5%", matplotlib.rcParams["xtick.labelsize"])[1]
        + layout.points("xtick.major.pad")
        + layout.points("xtick.major.size")
    )
    title_h = layout.text_size(fig, title, matplotlib.rcParams["figure.titlesize"])[1] + pad / 2 if title else 0.0
    left0, right0 = 0.05, 0.95  # the bar's length from the panels' span, set after they are placed
    thickness = shrink * (right0 - left0) * W / aspect
    bar_y = pad + note_h + label_h + ticks_h  # inches from the bottom to the bar's lower edge
    layout.grid_layout(fig, (0.0, (bar_y + thickness + pad) / H, 1.0, 1.0 - title_h / H))
    params = fig.subplotpars
    length = shrink * (params.right - params.left)
    cax = fig.add_axes(
        ((params.left + params.right - length) / 2, bar_y / H, length, thickness / H), label="<colorbar>"
    )
    bar = fig.colorbar(mappable, cax=cax, orientation="horizontal", label=label)
    if percent:
        bar.ax.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0, decimals=0))
    if note:
        fig.text(0.5, pad / 2 / H, note, ha="center", va="bottom", fontsize=8.5)
    if title:
        fig.suptitle(title, y=1.0 - pad / 4 / H, va="top")
