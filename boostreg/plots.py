"""One function per figure: a tidy frame (from ``boostreg.analysis`` / ``boostreg.inference``) in, a Figure out.

No computation of results happens here beyond arranging the frame for drawing; tests compare the frames that
feed these functions with the records, never pixels. Figures are built with matplotlib's object API
(``matplotlib.figure.Figure``, no pyplot) and styled inside ``matplotlib.rc_context``: importing or calling
this module never changes the user's matplotlib backend or global style. Sizes are in inches at which the
report shows them (96 CSS px per inch), so a 9 pt label reads as 9 pt at 100% zoom.
"""

from __future__ import annotations

import functools
import textwrap

import matplotlib
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib import patheffects
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from .engines import engine_colors as _registry_colors

#: the report's text width in inches (figures wider than this are scaled down in the page)
PAGE_WIDTH_IN = 10.8
STYLE = {
    **sns.axes_style("whitegrid"),
    "font.size": 9, "axes.titlesize": 9.5, "axes.labelsize": 9, "xtick.labelsize": 8.5, "ytick.labelsize": 8.5,
    "legend.fontsize": 8.5, "figure.titlesize": 10.5, "axes.titleweight": "normal",
}


def _styled(fn):
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


def _panels(n: int, ncol: int, width: float, height: float, layout: str | None = None):
    """A figure with ``n`` panels, ``ncol`` to a row; returns the figure and the n axes (spare cells hidden)."""
    ncol = max(1, min(ncol, n))
    nrow = int(np.ceil(n / ncol))
    fig = Figure(figsize=(width * ncol, height * nrow), layout=layout)
    grid = fig.subplots(nrow, ncol, squeeze=False)
    axes = [grid[k // ncol][k % ncol] for k in range(nrow * ncol)]
    for ax in axes[n:]:
        ax.set_axis_off()
    return fig, axes[:n]


def _legend_below(fig, handles, labels, ncol: int, rows: int = 1) -> None:
    """One legend for the whole figure, under the panels (room for ``rows`` rows of entries)."""
    fig.legend(handles, labels, loc="lower center", ncol=ncol, frameon=False)
    fig.tight_layout(rect=(0, min(0.4, 0.22 * rows / fig.get_figheight() + 0.02), 1, 1))


def _fmt(v: float) -> str:
    return "0" if v == 0 else f"{v:g}"


#: significant digits of a heatmap cell's number: cells whose values differ by 1% or more read differently
CELL_DIGITS = 3


def _cell_text(v: float) -> str:
    """A heatmap cell's number with :data:`CELL_DIGITS` significant digits (integers from 100 on)."""
    if not np.isfinite(v):
        return "–"
    if abs(v) >= 10 ** (CELL_DIGITS - 1) or v == 0:
        return f"{v:.0f}"
    return f"{v:#.{CELL_DIGITS}g}".rstrip(".")  # trailing zeros kept: 63.0 beside 63.9, not 63


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


@_styled
def heatmaps(surf: pd.DataFrame, value: str, label: str = "", *, cmap: str = "viridis", rule: str = "absolute",
             unpenalized_ref: pd.DataFrame | None = None, marks: pd.DataFrame | None = None) -> Figure:
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
        grid = sub.pivot_table(index="reg_lambda", columns="reg_alpha", values=value, dropna=False)
        grid = grid.sort_index(ascending=False)
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
        fig.text(0.5, 0.5, f"No dataset × engine has a value of {value} to show"
                 + (f" ({', '.join(empty)}: none recorded)." if empty else "."), ha="center", va="center", wrap=True)
        return fig
    ncol = min(3, len(panels))
    panel_w, panel_h = PAGE_WIDTH_IN / 3, 2.75
    fig, axes = _panels(len(panels), 3, panel_w, panel_h, layout="constrained")
    fig.set_figheight(fig.get_figheight() + 0.75 + (0.2 if empty else 0))  # the colour bar and its label below
    finite = np.concatenate([c[np.isfinite(c)] for c in colours])
    vmin, vmax = (float(finite.min()), float(finite.max())) if len(finite) else (0.0, 1.0)
    if rule in ("share_of_unpenalized", "absolute") and value == "zero_leaf_frac":
        vmin, vmax = 0.0, 1.0
    if rule == "excess_over_best":  # the collapsed corners would take the whole scale: saturate where it matters
        vmin, vmax = 0.0, min(vmax, 0.5)
    colormap = sns.color_palette(cmap, as_cmap=True).with_extremes(bad="#e4e4e4")  # grey: no colour to give
    norm = matplotlib.colors.Normalize(vmin=vmin, vmax=vmax if vmax > vmin else vmin + 1e-12)
    relative = {k: bool((surf[f"{k}_units"] == "relative").any()) if f"{k}_units" in surf else False
                for k in ("alpha", "lambda")}
    for k, ((d, e), grid, col) in enumerate(zip(panels, grids, colours)):
        ax = axes[k]
        z = grid.to_numpy(dtype=float)
        ax.imshow(np.ma.masked_invalid(col), cmap=colormap, norm=norm, aspect="auto")
        texts = [[_cell_text(v) for v in row] for row in z]
        size = _cell_fontsize([s for row in texts for s in row], z.shape[1], panel_w)
        for (r, c), v in np.ndenumerate(z):
            red, green, blue, _ = colormap(norm(col[r, c])) if np.isfinite(col[r, c]) else (1, 1, 1, 1)
            dark = 0.299 * red + 0.587 * green + 0.114 * blue < 0.5  # text colour readable on the cell
            ax.text(c, r, texts[r][c], ha="center", va="center", fontsize=size, color="white" if dark else "black")
        if marks is not None and len(marks):
            for m in marks[(marks.dataset == d) & (marks.engine == e)].itertuples():
                cols = [i for i, a in enumerate(grid.columns) if np.isclose(a, m.reg_alpha)]
                rows = [i for i, lam in enumerate(grid.index) if np.isclose(lam, m.reg_lambda)]
                if not cols or not rows:
                    continue
                if m.mark == "selected":
                    ax.add_patch(Rectangle((cols[0] - 0.5, rows[0] - 0.5), 1, 1, fill=False, lw=2.2, ec="#d62728"))
                else:
                    ax.text(cols[0] - 0.45, rows[0] - 0.45, "D", ha="left", va="top", fontsize=8, fontweight="bold",
                            color="#d62728", path_effects=[patheffects.withStroke(linewidth=2, foreground="white")])
        ax.set_xticks(range(z.shape[1]), [_fmt(v) for v in grid.columns])
        ax.set_yticks(range(z.shape[0]), [_fmt(v) for v in grid.index])
        ax.grid(False)
        uncoloured = not np.isfinite(col).any()
        ax.set_title(f"{d} · {e}" + ("\n(grey: no unpenalized cell to divide by)" if uncoloured else ""))
        ax.set_xlabel(_axis("relative" if relative["alpha"] else "raw", "reg_alpha"))
        ax.set_ylabel(_axis("relative" if relative["lambda"] else "raw", "reg_lambda"))
    width_in = panel_w * ncol
    text = HEATMAP_SCALES[rule].split(";")[0].replace("colour: ", "")
    bar = fig.colorbar(matplotlib.cm.ScalarMappable(norm=norm, cmap=colormap), ax=axes, location="bottom",
                       shrink=0.9 if ncol == 1 else 0.6, aspect=35 if ncol > 1 else 25, pad=0.02,
                       label=textwrap.fill(text, max(30, int(width_in * 72 / 5.2))))
    if rule in ("excess_over_best", "gap_share"):
        bar.ax.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0, decimals=0))
    if empty:
        fig.supxlabel(textwrap.fill(f"Not shown, no {value} recorded: {', '.join(empty)}.",
                                    max(40, int(width_in * 72 / 5.2))), fontsize=8.5)
    if label:
        fig.suptitle(label)
    return fig


def _axis(units: str, key: str) -> str:
    if units == "relative":
        return "reg_alpha / α_max" if key == "reg_alpha" else "reg_lambda / H̄"
    return f"{key} (raw)"


def _symlog(ax, values):
    """A symlog x axis, linear from 0 to the smallest positive value; ticks at 0 and at the powers of ten from
    there on (a power of ten inside the linear part would sit on top of the 0)."""
    positive = np.asarray([v for v in values if v > 0])
    linthresh = float(positive.min()) if len(positive) else 1.0
    ax.set_xscale("symlog", linthresh=linthresh)
    if len(positive):
        lo, hi = int(np.ceil(np.log10(linthresh) - 1e-9)), int(np.floor(np.log10(positive.max()) + 1e-9))
        step = max(1, int(np.ceil((hi - lo + 1) / 8)))  # at most about eight labelled decades
        ticks = [10.0 ** k for k in range(lo, hi + 1, step)]
        if not ticks:  # every value within one decade: label some of them
            values = sorted(set(positive.tolist()))
            ticks = values[:: max(1, len(values) // 5)]
        ax.xaxis.set_major_locator(matplotlib.ticker.FixedLocator([0.0, *ticks]))


@_styled
def validation_curves(path: pd.DataFrame, defaults: pd.DataFrame | None = None) -> Figure:
    """Train (dashed) and test (solid) error along each penalty (the other at 0), with bands; one panel per
    dataset and penalty, a colour per engine; each engine's library default is a star where it lies."""
    keys = path[["dataset", "axis"]].drop_duplicates().sort_values(["dataset", "axis"]).to_records(index=False)
    fig, axes = _panels(len(keys), 4, PAGE_WIDTH_IN / 4, 2.35)
    colors = engine_colors(path.engine.unique())
    for ax, (d, axis) in zip(axes, keys):
        sub = path[(path.dataset == d) & (path.axis == axis)]
        for (engine, split), g in sub.groupby(["engine", "split"]):
            g = g.sort_values("penalty")
            ax.plot(g.penalty, g["mean"], "-" if split == "test" else "--", marker="o", ms=2.5, lw=1.2,
                    color=colors[engine])
            ax.fill_between(g.penalty, g.ci_low, g.ci_high, color=colors[engine], alpha=0.12 if split == "test" else 0.06)
        if defaults is not None and len(defaults):
            for r in defaults[(defaults.dataset == d) & (defaults.axis == axis) & (defaults.split == "test")].itertuples():
                ax.plot([r.penalty], [r.mean], marker="*", ms=9, color=colors.get(r.engine, "black"), mec="black",
                        mew=0.6, ls="none")
        _symlog(ax, sub.penalty)
        ax.set_title(f"{d}: {axis}")
        ax.set_xlabel(_axis("relative" if (sub.units == "relative").any() else "raw", axis))
        ax.set_ylabel(sub.metric.iloc[0])
    handles = [Line2D([], [], color=colors[e], lw=2) for e in colors]
    labels = list(colors)
    handles += [Line2D([], [], color="gray", ls="-"), Line2D([], [], color="gray", ls="--"),
                Line2D([], [], color="gray", marker="*", ms=9, ls="none", mec="black")]
    labels += ["test", "train", "library default (test)"]
    _legend_below(fig, handles, labels, ncol=len(labels))
    return fig


@_styled
def learning_curves(curves: pd.DataFrame) -> Figure:
    """Train (dashed) and test (solid) error per boosting round; a line per setting label, a panel per dataset x engine.

    ``curves`` columns: dataset, engine, label, round, train_error, test_error (already averaged over folds).
    """
    panels = curves[["dataset", "engine"]].drop_duplicates().sort_values(["dataset", "engine"]).to_records(index=False)
    fig, axes = _panels(len(panels), 4, PAGE_WIDTH_IN / 4, 2.3)
    labels = sorted(curves.label.unique())
    colors = dict(zip(labels, sns.color_palette("deep", len(labels))))
    for ax, (d, e) in zip(axes, panels):
        sub = curves[(curves.dataset == d) & (curves.engine == e)]
        for lab, g in sub.groupby("label"):
            ax.plot(g["round"], g.test_error, "-", color=colors[lab])
            ax.plot(g["round"], g.train_error, "--", color=colors[lab], alpha=0.7)
        ax.set_title(f"{d} · {e}")
        ax.set_xlabel("boosting round")
        ax.set_ylabel("error")
    handles = [Line2D([], [], color=colors[lab], lw=2) for lab in labels]
    handles += [Line2D([], [], color="gray", ls="-"), Line2D([], [], color="gray", ls="--")]
    _legend_below(fig, handles, labels + ["test", "train"], ncol=len(labels) + 2)
    return fig


@_styled
def leaf_distributions(leaves: pd.DataFrame) -> Figure:
    """Histogram of leaf values per (engine, setting label), with the zero-mean Laplace and Gaussian MLE densities.

    ``leaves`` columns: engine, label, value, laplace_scale, gauss_scale.
    """
    panels = leaves[["engine", "label"]].drop_duplicates().sort_values(["engine", "label"]).to_records(index=False)
    fig, axes = _panels(len(panels), 3, PAGE_WIDTH_IN / 3, 2.5)
    for ax, (e, lab) in zip(axes, panels):
        sub = leaves[(leaves.engine == e) & (leaves.label == lab)]
        v = sub.value.to_numpy()
        lim = np.quantile(np.abs(v), 0.99) if len(v) else 1.0
        lim = lim if lim > 0 else 1.0
        ax.hist(v[np.abs(v) <= lim], bins=60, density=True, color="#bbbbbb")
        x = np.linspace(-lim, lim, 400)
        b, s = sub.laplace_scale.iloc[0], sub.gauss_scale.iloc[0]
        if b > 0:
            ax.plot(x, np.exp(-np.abs(x) / b) / (2 * b), color="#d62728")
        if s > 0:
            ax.plot(x, np.exp(-x ** 2 / (2 * s ** 2)) / (s * np.sqrt(2 * np.pi)), color="#1f77b4")
        zero = float(np.mean(v == 0)) if len(v) else 0.0
        ax.set_title(f"{e} · {lab} (exact zeros {zero:.0%})")
        ax.set_xlabel("leaf value (learning_rate × w)")
        ax.set_yscale("log")
    handles = [Rectangle((0, 0), 1, 1, color="#bbbbbb"), Line2D([], [], color="#d62728"), Line2D([], [], color="#1f77b4")]
    _legend_below(fig, handles, ["leaf values", "Laplace MLE", "Gaussian MLE"], ncol=3)
    return fig


@_styled
def theory_scatter(leaves: pd.DataFrame) -> Figure:
    """Stored leaf value against its closed form, one panel per engine; the worst leaf is marked."""
    engines = sorted(leaves.engine.unique())
    fig = Figure(figsize=(min(PAGE_WIDTH_IN, 3.8 * len(engines)), 3.4))
    axes = fig.subplots(1, len(engines), squeeze=False)
    colors = engine_colors(engines)
    for ax, e in zip(axes[0], engines):
        sub = leaves[leaves.engine == e]
        ax.scatter(sub.theory, sub.value, s=3, alpha=0.4, color=colors[e])
        lo, hi = float(min(sub.theory.min(), sub.value.min())), float(max(sub.theory.max(), sub.value.max()))
        ax.plot([lo, hi], [lo, hi], color="black", lw=0.8, label="stored = closed form")
        worst = sub.loc[(sub.theory - sub.value).abs().idxmax()]
        ax.scatter([worst.theory], [worst.value], s=40, facecolors="none", edgecolors="red",
                   label=f"largest |error| {abs(worst.theory - worst.value):.1e}")
        ax.set_title(f"{e}: {len(sub)} leaves")
        ax.set_xlabel("closed form  -lr·T(G, α)/(H + λ)")
        ax.set_ylabel("stored by the engine")
        ax.legend(loc="upper left")
    fig.tight_layout()
    return fig


@_styled
def penalty_paths(paths: pd.DataFrame) -> Figure:
    """Boosters beside the baselines on the normalized penalty axis: one panel per measure.

    ``paths`` columns: model, kind (L1 / L2 / ...), penalty_normalized, measure, value (mean over datasets).
    """
    measures = list(dict.fromkeys(paths.measure))
    fig, axes = _panels(len(measures), 2, PAGE_WIDTH_IN / 2, 2.8)
    models = sorted(paths.model.unique())
    colors = engine_colors(models)
    styles = {}
    for ax, m in zip(axes, measures):
        sub = paths[paths.measure == m]
        for (model, kind), g in sub.groupby(["model", "kind"]):
            g = g.sort_values("penalty_normalized")
            ls = "-" if kind.startswith("L1") else "--"
            ax.plot(g.penalty_normalized, g.value, ls, marker="o", ms=2.5, color=colors[model])
            styles[(model, kind)] = (colors[model], ls)
        _symlog(ax, sub.penalty_normalized)
        ax.set_title(m)
        ax.set_xlabel("normalized penalty (relative to the data)")
    handles = [Line2D([], [], color=c, ls=ls, lw=1.5) for c, ls in styles.values()]
    labels = [f"{m} ({k})" for m, k in styles]
    _legend_below(fig, handles, labels, ncol=4, rows=int(np.ceil(len(labels) / 4)))
    return fig


@_styled
def update_dynamics(dyn: pd.DataFrame) -> Figure:
    """Every weight's trajectory under each update rule; weights that end exactly at 0 drawn in red."""
    rules = list(dict.fromkeys(dyn.rule))
    fig = Figure(figsize=(min(PAGE_WIDTH_IN, 3.5 * len(rules)), 2.8))
    axes = fig.subplots(1, len(rules), squeeze=False, sharey=True)
    for ax, rule in zip(axes[0], rules):
        sub = dyn[dyn.rule == rule]
        last = sub[sub.step == sub.step.max()].set_index("weight").value
        for w, g in sub.groupby("weight"):
            ax.plot(g.step, g.value, lw=1, color="#d62728" if last.get(w, 1) == 0 else "#555555")
        ax.axhline(0, color="black", lw=0.5)
        ax.set_title(f"{rule}: {int((last == 0).sum())} of {len(last)} exactly 0")
        ax.set_xlabel("step")
    axes[0][0].set_ylabel("weight")
    fig.tight_layout()
    return fig


#: kinds of engine, in the order the gain plot stacks them, with each panel's title
GAIN_PANELS = {"booster": "boosters", "baseline": "baselines"}
#: an interval reaching further than this many times a typical one is clipped (:func:`gain_range`)
CLIP_FACTOR = 1.5
GAIN_XLABEL = "test error of the default − of the selected, relative to the default's (> 0: tuning helped)"


@_styled
def gains(summary: pd.DataFrame) -> Figure:
    """Relative gain of the validation-selected setting over the library default, with its interval: one row
    per dataset x engine (``summary`` from ``inference.summary_table``), grouped by dataset; a panel per kind of
    engine (boosters, baselines), each with its own x range. An interval end beyond :func:`gain_range` is
    clipped: the line ends in an arrow at the axis with the end's value printed beside it (each panel's title
    says so)."""
    kinds = [k for k in GAIN_PANELS if "kind" in summary and (summary.kind == k).any()]
    kinds += sorted(set(summary.kind) - set(kinds)) if "kind" in summary else []
    parts = [summary[summary.kind == k] for k in kinds] if kinds else [summary]
    sizes = [max(len(p), 1) for p in parts]
    fig = Figure(figsize=(PAGE_WIDTH_IN * 0.75, 0.26 * sum(sizes) + 0.75 * len(parts) + 0.9))
    axes = fig.subplots(len(parts), 1, squeeze=False, height_ratios=[s + 2.2 for s in sizes])[:, 0]
    for ax, kind, part in zip(axes, kinds or [None], parts):
        clipped = draw_gains(ax, part, legend=False)
        title = GAIN_PANELS.get(kind, kind or "")
        if clipped:
            title += f": {clipped} interval end{'s' if clipped > 1 else ''} clipped at the axis (arrow; value beside it)"
        ax.set_title(title, loc="left")
        ax.set_xlabel("")
    axes[-1].set_xlabel(GAIN_XLABEL)
    colors = engine_colors(summary.engine.unique())
    handles = [Line2D([], [], color=c, lw=2) for c in colors.values()]
    handles.append(Line2D([], [], color="#d62728", marker=">", ls="none", ms=5))
    labels = list(colors) + ["selected on the grid's edge"]
    ncol = min(len(labels), 6)
    _legend_below(fig, handles, labels, ncol=ncol, rows=int(np.ceil(len(labels) / ncol)))
    return fig


def _relative_gains(s: pd.DataFrame):
    """The summary's one relative gain (mean of per-fold ratios) and its interval (boostreg.inference)."""
    if "gain_vs_default_relative" in s and "rel_gain_ci_low" in s:
        return (s.gain_vs_default_relative.to_numpy(float), s.rel_gain_ci_low.to_numpy(float),
                s.rel_gain_ci_high.to_numpy(float))
    base = s.test_error_default.replace(0, np.nan)
    return ((s.gain_vs_default / base).to_numpy(float), (s.gain_ci_low / base).to_numpy(float),
            (s.gain_ci_high / base).to_numpy(float))


def gain_range(summary: pd.DataFrame) -> tuple[float, float]:
    """The x range of a gain panel (relative gains): 0, every point estimate and every interval, except that an
    interval reaching further from 0 than :data:`CLIP_FACTOR` times a typical interval's reach (``max(|low|,
    |high|)``: the upper quartile of the panel's rows, the smaller of two) is cut there, when that at least
    halves the range: one interval spanning ±600% does not flatten the others to dots on zero."""
    rel, lo, hi = _relative_gains(summary)
    ok = np.isfinite(rel)
    if not ok.any():
        return -0.1, 0.1
    rel, lo, hi = rel[ok], np.where(np.isfinite(lo[ok]), lo[ok], rel[ok]), np.where(np.isfinite(hi[ok]), hi[ok], rel[ok])
    reach = np.maximum(np.abs(lo), np.abs(hi))
    typical = float(np.quantile(reach, 0.75, method="lower"))  # a row's own reach: never one inflated by the outlier
    cap = max(1.1 * float(np.abs(rel).max()), CLIP_FACTOR * typical, float(reach.min()), 0.01)
    full = min(float(lo.min()), 0.0), max(float(hi.max()), 0.0)
    left, right = max(full[0], -cap), min(full[1], cap)
    if full[1] - full[0] <= 2 * (right - left):  # clipping would not even halve the range: show it all
        return full
    return left, right


def draw_gains(ax, summary: pd.DataFrame, *, legend: bool = True) -> int:
    """Draw :func:`gains` on ``ax`` (any matplotlib Axes), intervals clipped to :func:`gain_range`; returns how
    many interval ends were clipped."""
    s = summary.sort_values(["dataset", "engine"]).reset_index(drop=True)
    rel, lo, hi = _relative_gains(s)
    colors = engine_colors(s.engine.unique())
    left, right = gain_range(s)
    pad = 0.07 * (right - left)
    y = np.arange(len(s))[::-1]
    clipped = 0
    for i, r in s.iterrows():
        if not np.isfinite(rel[i]):
            continue
        a = lo[i] if np.isfinite(lo[i]) else rel[i]
        b = hi[i] if np.isfinite(hi[i]) else rel[i]
        ax.plot([max(a, left), min(b, right)], [y[i], y[i]], color=colors[r.engine], lw=2, solid_capstyle="butt")
        ax.plot([rel[i]], [y[i]], "o", color=colors[r.engine], ms=4)
        for end, edge, marker, side in ((a, left, "<", "left"), (b, right, ">", "right")):
            if (end < edge) if side == "left" else (end > edge):
                clipped += 1
                ax.plot([edge], [y[i]], marker, color=colors[r.engine], ms=6)
                ax.annotate(f"{end:+.0%}".replace("-", "\N{MINUS SIGN}"), (edge, y[i]),
                            xytext=(3 if side == "left" else -3, 3), textcoords="offset points", ha=side, va="bottom",
                            fontsize=7, color="#444444")
        if r.at_grid_edge:
            ax.plot([min(b, right)], [y[i]], ">", color="#d62728", ms=5)
    ax.set_xlim(left - pad, right + pad)
    ax.set_ylim(-0.7, len(s) - 0.3)
    ax.axvline(0, color="black", lw=0.8)
    settings = s.setting if "setting" in s else pd.Series("", index=s.index)
    ax.set_yticks(y, [f"{r.dataset} · {r.engine}" + (f" ({setting})" if isinstance(setting, str) and setting else "")
                      for r, setting in zip(s.itertuples(), settings)])
    ax.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    ax.set_xlabel(GAIN_XLABEL)
    if legend:
        ax.legend([Line2D([], [], color=colors[e], lw=2) for e in colors], list(colors), loc="best")
    return clipped


# ---------------------------------------------------------------------------------------------- the tuning guide

@_styled
def guide_gains(proof: pd.DataFrame) -> Figure:
    """Leave-one-dataset-out gains per dataset: the recommended point, Probst et al.'s (where fitted) and the
    dataset's own optimum, relative to the library default, with corrected t intervals; a panel per engine."""
    engines = sorted(proof.engine.unique())
    n = proof.dataset.nunique()
    fig = Figure(figsize=(PAGE_WIDTH_IN, 0.22 * n + 1.4))
    axes = fig.subplots(1, len(engines), squeeze=False, sharey=True)[0]
    kinds = [("chk", "the advice: recommended point (derived without it) or default, by validation", "#1f77b4"),
             ("rec", "the recommended point alone", "#9467bd"), ("probst", "Probst et al. 2019", "#ff7f0e"),
             ("own", "its own validation-selected optimum", "#2ca02c")]
    datasets = sorted(proof.dataset.unique())
    pos = {d: i for i, d in enumerate(datasets[::-1])}
    for ax, engine in zip(axes, engines):
        g = proof[proof.engine == engine]
        for k, (prefix, label, color) in enumerate(kinds):
            if f"{prefix}_rel_gain" not in g or g[f"{prefix}_rel_gain"].isna().all():
                continue
            y = np.array([pos[d] for d in g.dataset]) + (k - 1.5) * 0.2
            ax.errorbar(g[f"{prefix}_rel_gain"], y, xerr=[g[f"{prefix}_rel_gain"] - g[f"{prefix}_rel_low"],
                                                          g[f"{prefix}_rel_high"] - g[f"{prefix}_rel_gain"]],
                        fmt="o", ms=3, lw=1, color=color, label=label)
        ax.axvline(0, color="black", lw=0.8)
        ax.set_yticks(range(len(datasets)), datasets[::-1])
        ax.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
        ax.set_xlabel("relative gain over the library default")
        ax.set_title(engine)
    handles, labels = axes[0].get_legend_handles_labels()
    for ax in axes[1:]:
        for h, lab in zip(*ax.get_legend_handles_labels()):
            if lab not in labels:
                handles.append(h)
                labels.append(lab)
    _legend_below(fig, handles, labels, ncol=2)
    return fig


@_styled
def guide_gain_vs_n(proof: pd.DataFrame) -> Figure:
    """Relative gain of the advice (the recommended point or the default, by validation) against the training rows,
    a colour per engine."""
    fig = Figure(figsize=(PAGE_WIDTH_IN * 0.6, 3.2))
    ax = fig.subplots()
    colors = engine_colors(proof.engine.unique())
    column = "chk_rel_gain" if "chk_rel_gain" in proof else "rec_rel_gain"
    for engine, g in proof.groupby("engine"):
        ax.scatter(g.n_train, g[column], s=18, color=colors[engine], label=engine)
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xscale("log")
    ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    ax.set_xlabel("rows trained on (n_train)")
    ax.set_ylabel("relative gain")
    ax.legend(loc="best")
    fig.tight_layout()
    return fig


@_styled
def guide_optima(pos: pd.DataFrame) -> Figure:
    """Each fold group's validation-selected (reg_alpha / α_max, reg_lambda / H̄), a panel per engine; 0 is drawn
    one step left of the smallest nonzero value, and points are jittered."""
    engines = sorted(pos.engine.unique())
    fig = Figure(figsize=(min(PAGE_WIDTH_IN, 4.2 * len(engines)), 3.6))
    axes = fig.subplots(1, len(engines), squeeze=False)[0]
    rng = np.random.default_rng(0)

    def place(v):
        v = np.asarray(v, dtype=float)
        nonzero = v[v > 0]
        floor = np.log10(nonzero.min()) - 1 if len(nonzero) else -3
        return np.where(v > 0, np.log10(np.where(v > 0, v, 1)), floor), floor

    for ax, engine in zip(axes, engines):
        g = pos[(pos.engine == engine) & pos.selected_in_grid]
        x, fx = place(g.selected_alpha_grid)
        y, fy = place(g.selected_lambda_grid)
        ax.scatter(x + rng.uniform(-0.12, 0.12, len(x)), y + rng.uniform(-0.12, 0.12, len(y)), s=9, alpha=0.6,
                   color=np.where(g.task == "binary", "#1f77b4", "#d62728"))
        ax.set_xlabel("log10(reg_alpha / α_max)   (left-most: 0)")
        ax.set_ylabel("log10(reg_lambda / H̄)   (lowest: 0)")
        ax.set_title(f"{engine}: {len(g)} fold groups")
    axes[0].legend([Line2D([], [], marker="o", ls="none", color="#1f77b4"),
                    Line2D([], [], marker="o", ls="none", color="#d62728")], ["binary", "regression"], loc="best")
    fig.tight_layout()
    return fig
