"""Gains over the library default: the report's forest plot (one huge interval cannot flatten the others) and
the tuning guide's leave-one-dataset-out figures."""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from .layout import grid_layout
from .style import PAGE_WIDTH_IN, engine_colors, legend_below, styled

#: kinds of engine, in the order the gain plot stacks them, with each panel's title
GAIN_PANELS = {"booster": "boosters", "baseline": "baselines"}
#: an interval reaching further than this many times a typical one is clipped (:func:`gain_range`)
CLIP_FACTOR = 1.5
GAIN_XLABEL = "test error of the default − of the selected, relative to the default's (> 0: tuning helped)"
#: a colour per task where figures tell tasks apart (binary and regression always appear in their legends)
TASK_COLORS = {"binary": "#1f77b4", "regression": "#d62728", "multiclass": "#2ca02c"}


@styled
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
            title += (
                f": {clipped} interval end{'s' if clipped > 1 else ''} clipped at the axis (arrow; value beside it)"
            )
        ax.set_title(title, loc="left")
        ax.set_xlabel("")
    axes[-1].set_xlabel(GAIN_XLABEL)
    colors = engine_colors(summary.engine.unique())
    handles = [Line2D([], [], color=c, lw=2) for c in colors.values()]
    handles.append(Line2D([], [], color="#d62728", marker=">", ls="none", ms=5))
    labels = list(colors) + ["selected on the grid's edge"]
    ncol = min(len(labels), 6)
    legend_below(fig, handles, labels, ncol=ncol, rows=int(np.ceil(len(labels) / ncol)))
    return fig


def _relative_gains(s: pd.DataFrame):
    """The summary's one relative gain (mean of per-fold ratios) and its interval (boostreg.inference)."""
    if "gain_vs_default_relative" in s and "rel_gain_ci_low" in s:
        return (
            s.gain_vs_default_relative.to_numpy(float),
            s.rel_gain_ci_low.to_numpy(float),
            s.rel_gain_ci_high.to_numpy(float),
        )
    base = s.test_error_default.replace(0, np.nan)
    return (
        (s.gain_vs_default / base).to_numpy(float),
        (s.gain_ci_low / base).to_numpy(float),
        (s.gain_ci_high / base).to_numpy(float),
    )


def gain_range(summary: pd.DataFrame) -> tuple[float, float]:
    """The x range of a gain panel (relative gains): 0, every point estimate and every interval, except that an
    interval reaching further from 0 than :data:`CLIP_FACTOR` times a typical interval's reach (``max(|low|,
    |high|)``: the upper quartile of the panel's rows, the smaller of two) is cut there, when that at least
    halves the range: one interval spanning ±600% does not flatten the others to dots on zero."""
    rel, lo, hi = _relative_gains(summary)
    ok = np.isfinite(rel)
    if not ok.any():
        return -0.1, 0.1
    rel, lo, hi = (
        rel[ok],
        np.where(np.isfinite(lo[ok]), lo[ok], rel[ok]),
        np.where(np.isfinite(hi[ok]), hi[ok], rel[ok]),
    )
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
    pad = 0.07 * (right - left) or 0.01  # every gain exactly 0 (e.g. a grid the default wins on): still a range
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
                ax.annotate(
                    f"{end:+.0%}".replace("-", "\N{MINUS SIGN}"),
                    (edge, y[i]),
                    xytext=(3 if side == "left" else -3, 3),
                    textcoords="offset points",
                    ha=side,
                    va="bottom",
                    fontsize=7,
                    color="#444444",
                )
        if r.at_grid_edge:
            ax.plot([min(b, right)], [y[i]], ">", color="#d62728", ms=5)
    ax.set_xlim(left - pad, right + pad)
    ax.set_ylim(-0.7, len(s) - 0.3)
    ax.axvline(0, color="black", lw=0.8)
    settings = s.setting if "setting" in s else pd.Series("", index=s.index)
    ax.set_yticks(
        y,
        [
            f"{r.dataset} · {r.engine}" + (f" ({setting})" if isinstance(setting, str) and setting else "")
            for r, setting in zip(s.itertuples(), settings)
        ],
    )
    ax.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    ax.set_xlabel(GAIN_XLABEL)
    if legend:
        ax.legend([Line2D([], [], color=colors[e], lw=2) for e in colors], list(colors), loc="best")
    return clipped


# ---------------------------------------------------------------------------------------------- the tuning guide


@styled
def guide_gains(proof: pd.DataFrame) -> Figure:
    """Leave-one-dataset-out gains per dataset: the recommended point, Probst et al.'s (where fitted) and the
    dataset's own optimum, relative to the library default, with corrected t intervals; a panel per engine."""
    engines = sorted(proof.engine.unique())
    n = proof.dataset.nunique()
    fig = Figure(figsize=(PAGE_WIDTH_IN, 0.22 * n + 1.4))
    axes = fig.subplots(1, len(engines), squeeze=False, sharey=True)[0]
    kinds = [
        ("chk", "the advice: recommended point (derived without it) or default, by validation", "#1f77b4"),
        ("rec", "the recommended point alone", "#9467bd"),
        ("probst", "Probst et al. 2019", "#ff7f0e"),
        ("own", "its own validation-selected optimum", "#2ca02c"),
    ]
    datasets = sorted(proof.dataset.unique())
    pos = {d: i for i, d in enumerate(datasets[::-1])}
    for ax, engine in zip(axes, engines):
        g = proof[proof.engine == engine]
        for k, (prefix, label, color) in enumerate(kinds):
            if f"{prefix}_rel_gain" not in g or g[f"{prefix}_rel_gain"].isna().all():
                continue
            y = np.array([pos[d] for d in g.dataset]) + (k - 1.5) * 0.2
            ax.errorbar(
                g[f"{prefix}_rel_gain"],
                y,
                xerr=[
                    g[f"{prefix}_rel_gain"] - g[f"{prefix}_rel_low"],
                    g[f"{prefix}_rel_high"] - g[f"{prefix}_rel_gain"],
                ],
                fmt="o",
                ms=3,
                lw=1,
                color=color,
                label=label,
            )
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
    legend_below(fig, handles, labels, ncol=2)
    return fig


@styled
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
    grid_layout(fig)
    return fig


@styled
def guide_optima(pos: pd.DataFrame) -> Figure:
    """Each fold group's validation-selected (reg_alpha / α_max, reg_lambda / H̄), a panel per engine; 0 is drawn
    one step left of the smallest nonzero value, points are jittered and coloured by task (:data:`TASK_COLORS`)."""
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
        x, _ = place(g.selected_alpha_grid)
        y, _ = place(g.selected_lambda_grid)
        ax.scatter(
            x + rng.uniform(-0.12, 0.12, len(x)),
            y + rng.uniform(-0.12, 0.12, len(y)),
            s=9,
            alpha=0.6,
            color=[TASK_COLORS.get(t, "#7f7f7f") for t in g.task],
        )
        ax.set_xlabel("log10(reg_alpha / α_max)   (left-most: 0)")
        ax.set_ylabel("log10(reg_lambda / H̄)   (lowest: 0)")
        ax.set_title(f"{engine}: {len(g)} fold groups")
    tasks = ["binary", "regression"] + sorted(set(pos.task) - {"binary", "regression"})
    axes[0].legend(
        [Line2D([], [], marker="o", ls="none", color=TASK_COLORS.get(t, "#7f7f7f")) for t in tasks],
        tasks,
        loc="best",
    )
    grid_layout(fig)
    return fig
