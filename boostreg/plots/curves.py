"""Curves and distributions: validation and learning curves, leaf-value histograms, the closed-form scatter,
penalty paths beside the baselines, update dynamics."""

from __future__ import annotations

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from .layout import grid_layout
from .style import (
    PAGE_WIDTH_IN,
    axis_label,
    engine_colors,
    label_outer,
    legend_below,
    log_labels,
    panel_grid,
    styled,
    symlog,
)


@styled
def validation_curves(path: pd.DataFrame, defaults: pd.DataFrame | None = None) -> Figure:
    """Train (dashed) and test (solid) error along each penalty (the other at 0), with bands; one panel per
    dataset and penalty, a colour per engine; each engine's library default is a star where it lies."""
    keys = path[["dataset", "axis"]].drop_duplicates().sort_values(["dataset", "axis"]).to_records(index=False)
    fig, axes = panel_grid(len(keys), 4, PAGE_WIDTH_IN / 4, 2.35)
    colors = engine_colors(path.engine.unique())
    for ax, (d, axis) in zip(axes, keys):
        sub = path[(path.dataset == d) & (path.axis == axis)]
        for (engine, split), g in sub.groupby(["engine", "split"]):
            g = g.sort_values("penalty")
            ax.plot(
                g.penalty, g["mean"], "-" if split == "test" else "--", marker="o", ms=2.5, lw=1.2, color=colors[engine]
            )
            ax.fill_between(
                g.penalty, g.ci_low, g.ci_high, color=colors[engine], alpha=0.12 if split == "test" else 0.06
            )
        if defaults is not None and len(defaults):
            for r in defaults[
                (defaults.dataset == d) & (defaults.axis == axis) & (defaults.split == "test")
            ].itertuples():
                ax.plot(
                    [r.penalty],
                    [r.mean],
                    marker="*",
                    ms=9,
                    color=colors.get(r.engine, "black"),
                    mec="black",
                    mew=0.6,
                    ls="none",
                )
        symlog(ax, sub.penalty)
        ax.set_title(f"{d}: {axis}")
        ax.set_xlabel(axis_label("relative" if (sub.units == "relative").any() else "raw", axis))
        ax.set_ylabel(sub.metric.iloc[0])
    label_outer(axes, min(4, len(axes)))
    handles = [Line2D([], [], color=colors[e], lw=2) for e in colors]
    labels = list(colors)
    handles += [
        Line2D([], [], color="gray", ls="-"),
        Line2D([], [], color="gray", ls="--"),
        Line2D([], [], color="gray", marker="*", ms=9, ls="none", mec="black"),
    ]
    labels += ["test", "train", "library default (test)"]
    legend_below(fig, handles, labels, ncol=len(labels))
    return fig


@styled
def learning_curves(curves: pd.DataFrame) -> Figure:
    """Train (dashed) and test (solid) error per boosting round; a line per setting label, a panel per dataset x engine.

    ``curves`` columns: dataset, engine, label, round, train_error, test_error (already averaged over folds).
    """
    panels = curves[["dataset", "engine"]].drop_duplicates().sort_values(["dataset", "engine"]).to_records(index=False)
    fig, axes = panel_grid(len(panels), 4, PAGE_WIDTH_IN / 4, 2.3)
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
    label_outer(axes, min(4, len(axes)))
    handles = [Line2D([], [], color=colors[lab], lw=2) for lab in labels]
    handles += [Line2D([], [], color="gray", ls="-"), Line2D([], [], color="gray", ls="--")]
    legend_below(fig, handles, labels + ["test", "train"], ncol=len(labels) + 2)
    return fig


@styled
def leaf_distributions(leaves: pd.DataFrame) -> Figure:
    """Histogram of leaf values per (engine, setting label), with the zero-mean Laplace and Gaussian MLE densities.

    ``leaves`` columns: engine, label, value, laplace_scale, gauss_scale.
    """
    panels = leaves[["engine", "label"]].drop_duplicates().sort_values(["engine", "label"]).to_records(index=False)
    fig, axes = panel_grid(len(panels), 3, PAGE_WIDTH_IN / 3, 2.5)
    for ax, (e, lab) in zip(axes, panels):
        sub = leaves[(leaves.engine == e) & (leaves.label == lab)]
        v = sub.value.to_numpy()
        lim = np.quantile(np.abs(v), 0.99) if len(v) else 1.0
        lim = lim if lim > 0 else 1.0
        # one filled outline per panel, not 60 bars (each a patch to make and draw): the same shape
        density, edges = np.histogram(v[np.abs(v) <= lim], bins=60, density=True)
        ax.stairs(density, edges, fill=True, color="#bbbbbb")
        x = np.linspace(-lim, lim, 400)
        b, s = sub.laplace_scale.iloc[0], sub.gauss_scale.iloc[0]
        if b > 0:
            ax.plot(x, np.exp(-np.abs(x) / b) / (2 * b), color="#d62728")
        if s > 0:
            ax.plot(x, np.exp(-(x**2) / (2 * s**2)) / (s * np.sqrt(2 * np.pi)), color="#1f77b4")
        zero = float(np.mean(v == 0)) if len(v) else 0.0
        ax.set_title(f"{e} · {lab} (exact zeros {zero:.0%})")
        ax.set_xlabel("leaf value (learning_rate × w)")
        ax.set_yscale("log")
        log_labels(ax.yaxis)
        ax.locator_params(axis="x", nbins=5)  # labels like −0.075 do not fit seven to a panel
    label_outer(axes, min(3, len(axes)))
    handles = [
        Rectangle((0, 0), 1, 1, color="#bbbbbb"),
        Line2D([], [], color="#d62728"),
        Line2D([], [], color="#1f77b4"),
    ]
    legend_below(fig, handles, ["leaf values", "Laplace MLE", "Gaussian MLE"], ncol=3)
    return fig


@styled
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
        ax.scatter(
            [worst.theory],
            [worst.value],
            s=40,
            facecolors="none",
            edgecolors="red",
            label=f"largest |error| {abs(worst.theory - worst.value):.1e}",
        )
        ax.set_title(f"{e}: {len(sub)} leaves")
        ax.set_xlabel("closed form  -lr·T(G, α)/(H + λ)")
        ax.set_ylabel("stored by the engine")
        ax.legend(loc="upper left")
    grid_layout(fig)
    return fig


@styled
def penalty_paths(paths: pd.DataFrame) -> Figure:
    """Boosters beside the baselines on the normalized penalty axis: one panel per measure.

    ``paths`` columns: model, kind (L1 / L2 / ...), penalty_normalized, measure, value (mean over datasets).
    """
    measures = list(dict.fromkeys(paths.measure))
    fig, axes = panel_grid(len(measures), 2, PAGE_WIDTH_IN / 2, 2.8)
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
        symlog(ax, sub.penalty_normalized)
        ax.set_title(m)
        ax.set_xlabel("normalized penalty (relative to the data)")
    handles = [Line2D([], [], color=c, ls=ls, lw=1.5) for c, ls in styles.values()]
    labels = [f"{m} ({k})" for m, k in styles]
    legend_below(fig, handles, labels, ncol=4, rows=int(np.ceil(len(labels) / 4)))
    return fig


@styled
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
    grid_layout(fig)
    return fig
