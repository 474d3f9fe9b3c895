"""One function per figure: a tidy frame (from ``boostreg.analysis``) in, a matplotlib Figure out.

No computation of results happens here beyond arranging the frame for drawing; tests compare the frames
that feed these functions with the records, never pixels.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # headless: figures are rendered to PNG for the report

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402

sns.set_theme(context="paper", style="whitegrid", font_scale=0.9)
ENGINE_PALETTE = {"xgboost": "#1f77b4", "lightgbm": "#2ca02c"}


def _panels(n: int, ncol: int, width: float, height: float):
    """A figure with ``n`` panels, ``ncol`` to a row; returns the figure and the n axes (spare cells hidden)."""
    ncol = max(1, min(ncol, n))
    nrow = int(np.ceil(n / ncol))
    fig, grid = plt.subplots(nrow, ncol, figsize=(width * ncol, height * nrow), squeeze=False)
    axes = [grid[k // ncol][k % ncol] for k in range(nrow * ncol)]
    for ax in axes[n:]:
        ax.set_axis_off()
    return fig, axes[:n]


def _legend_below(fig, ax, ncol: int, bottom: float, fontsize: int = 7) -> None:
    """One legend for the whole figure, under the panels, taken from ``ax``."""
    handles, labels = ax.get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=ncol, fontsize=fontsize, frameon=False)
    fig.tight_layout(rect=(0, bottom, 1, 1))


def _fmt(v: float) -> str:
    return "0" if v == 0 else f"{v:g}"


def heatmaps(surf: pd.DataFrame, value: str, label: str, *, cmap: str = "viridis") -> plt.Figure:
    """``value`` over reg_alpha (x) x reg_lambda (y); one panel per dataset and engine, four panels a row.

    Cells are drawn with imshow (seaborn's heatmap redraws the whole figure once per panel).
    """
    panels = surf[["dataset", "engine"]].drop_duplicates().sort_values(["dataset", "engine"]).to_records(index=False)
    fig, axes = _panels(len(panels), 4, 2.9, 2.3)
    ncol = min(4, len(panels))
    nrow = int(np.ceil(len(panels) / ncol))
    colormap = sns.color_palette(cmap, as_cmap=True)
    for k, (d, e) in enumerate(panels):
        i, j = k // ncol, k % ncol
        ax = axes[k]
        sub = surf[(surf.dataset == d) & (surf.engine == e)]
        grid = sub.pivot_table(index="reg_lambda", columns="reg_alpha", values=value).sort_index(ascending=False)
        z = grid.to_numpy(dtype=float)
        im = ax.imshow(z, cmap=colormap, aspect="auto")
        fig.colorbar(im, ax=ax, shrink=0.8).ax.tick_params(labelsize=6)
        if z.size <= 49:
            for (r, c), v in np.ndenumerate(z):
                red, green, blue, _ = colormap(im.norm(v))
                dark = 0.299 * red + 0.587 * green + 0.114 * blue < 0.5  # text colour readable on the cell
                ax.text(c, r, f"{v:.0f}" if abs(v) >= 100 else f"{v:.2g}", ha="center", va="center", fontsize=6,
                        color="white" if dark else "black")
        ax.set_xticks(range(z.shape[1]), [_fmt(v) for v in grid.columns], fontsize=6)
        ax.set_yticks(range(z.shape[0]), [_fmt(v) for v in grid.index], fontsize=6)
        ax.grid(False)
        ax.set_title(f"{d} · {e}", fontsize=8)
        ax.set_xlabel("reg_alpha (L1)" if i == nrow - 1 else "")
        ax.set_ylabel("reg_lambda (L2)" if j == 0 else "")
    fig.suptitle(label, fontsize=10)
    fig.tight_layout()
    return fig


def _symlog(ax, values):
    positive = np.asarray([v for v in values if v > 0])
    ax.set_xscale("symlog", linthresh=float(positive.min()) if len(positive) else 1.0)


def validation_curves(path: pd.DataFrame, label: str) -> plt.Figure:
    """Mean and CI band along each penalty axis (the other at 0); one panel per dataset, a line per engine x axis."""
    datasets = sorted(path.dataset.unique())
    fig, axes = _panels(len(datasets), 3, 3.6, 2.7)
    for ax, d in zip(axes, datasets):
        sub = path[path.dataset == d]
        for (engine, axis), g in sub.groupby(["engine", "axis"]):
            g = g.sort_values("penalty")
            style = "-" if axis == "reg_alpha" else "--"
            ax.plot(g.penalty, g["mean"], style, marker="o", ms=3, color=ENGINE_PALETTE.get(engine),
                    label=f"{engine}, {axis}")
            ax.fill_between(g.penalty, g.ci_low, g.ci_high, color=ENGINE_PALETTE.get(engine), alpha=0.15)
        _symlog(ax, sub.penalty)
        ax.set_title(d, fontsize=8)
        ax.set_xlabel("penalty (other one at 0)")
        ax.set_ylabel(label)
    _legend_below(fig, axes[0], ncol=4, bottom=0.06)
    return fig


def learning_curves(curves: pd.DataFrame) -> plt.Figure:
    """Train (dashed) and test (solid) error per boosting round; a line per setting label, a panel per dataset x engine.

    ``curves`` columns: dataset, engine, label, round, train_error, test_error (already averaged over folds).
    """
    panels = curves[["dataset", "engine"]].drop_duplicates().sort_values(["dataset", "engine"]).to_records(index=False)
    fig, axes = _panels(len(panels), 4, 3.2, 2.4)
    labels = sorted(curves.label.unique())
    colors = dict(zip(labels, sns.color_palette("deep", len(labels))))
    for ax, (d, e) in zip(axes, panels):
        sub = curves[(curves.dataset == d) & (curves.engine == e)]
        for lab, g in sub.groupby("label"):
            ax.plot(g["round"], g.test_error, "-", color=colors[lab], label=f"{lab} (test)")
            ax.plot(g["round"], g.train_error, "--", color=colors[lab], alpha=0.7, label=f"{lab} (train)")
        ax.set_title(f"{d} · {e}", fontsize=8)
        ax.set_xlabel("boosting round")
        ax.set_ylabel("error")
    _legend_below(fig, axes[0], ncol=3, bottom=0.07)
    return fig


def leaf_distributions(leaves: pd.DataFrame) -> plt.Figure:
    """Histogram of leaf values per (engine, setting label), with the zero-mean Laplace and Gaussian MLE densities.

    ``leaves`` columns: engine, label, value, laplace_scale, gauss_scale.
    """
    panels = leaves[["engine", "label"]].drop_duplicates().sort_values(["engine", "label"]).to_records(index=False)
    fig, axes = _panels(len(panels), 3, 3.4, 2.5)
    for ax, (e, lab) in zip(axes, panels):
        sub = leaves[(leaves.engine == e) & (leaves.label == lab)]
        v = sub.value.to_numpy()
        lim = np.quantile(np.abs(v), 0.99) if len(v) else 1.0
        lim = lim if lim > 0 else 1.0
        ax.hist(v[np.abs(v) <= lim], bins=60, density=True, color="#bbbbbb", label="leaf values")
        x = np.linspace(-lim, lim, 400)
        b, s = sub.laplace_scale.iloc[0], sub.gauss_scale.iloc[0]
        if b > 0:
            ax.plot(x, np.exp(-np.abs(x) / b) / (2 * b), color="#d62728", label="Laplace MLE")
        if s > 0:
            ax.plot(x, np.exp(-x ** 2 / (2 * s ** 2)) / (s * np.sqrt(2 * np.pi)), color="#1f77b4", label="Gaussian MLE")
        zero = float(np.mean(v == 0)) if len(v) else 0.0
        ax.set_title(f"{e} · {lab} (exact zeros: {zero:.0%})", fontsize=8)
        ax.set_xlabel("leaf value (learning_rate × w)")
        ax.set_yscale("log")
    _legend_below(fig, axes[0], ncol=3, bottom=0.06)
    return fig


def theory_scatter(leaves: pd.DataFrame) -> plt.Figure:
    """Stored leaf value against its closed form, one panel per engine; the worst leaf is marked."""
    engines = sorted(leaves.engine.unique())
    fig, axes = plt.subplots(1, len(engines), figsize=(3.6 * len(engines), 3.3), squeeze=False)
    for ax, e in zip(axes[0], engines):
        sub = leaves[leaves.engine == e]
        ax.scatter(sub.theory, sub.value, s=3, alpha=0.4, color=ENGINE_PALETTE.get(e))
        lo, hi = float(min(sub.theory.min(), sub.value.min())), float(max(sub.theory.max(), sub.value.max()))
        ax.plot([lo, hi], [lo, hi], color="black", lw=0.8, label="stored = closed form")
        worst = sub.loc[(sub.theory - sub.value).abs().idxmax()]
        ax.scatter([worst.theory], [worst.value], s=40, facecolors="none", edgecolors="red",
                   label=f"largest |error| {abs(worst.theory - worst.value):.1e}")
        ax.set_title(f"{e}: {len(sub)} leaves", fontsize=8)
        ax.set_xlabel("closed form  -lr·T(G, α)/(H + λ)")
        ax.set_ylabel("stored by the engine")
        ax.legend(fontsize=6, loc="upper left")
    fig.tight_layout()
    return fig


def penalty_paths(paths: pd.DataFrame) -> plt.Figure:
    """Boosters beside the baselines on the normalized penalty axis: one panel per measure.

    ``paths`` columns: model, kind (L1 / L2), penalty_normalized, measure, value (mean over folds and datasets).
    """
    measures = list(dict.fromkeys(paths.measure))
    fig, axes = plt.subplots(1, len(measures), figsize=(3.4 * len(measures), 3.0), squeeze=False)
    models = sorted(paths.model.unique())
    colors = dict(zip(models, sns.color_palette("tab10", len(models))))
    for ax, m in zip(axes[0], measures):
        sub = paths[paths.measure == m]
        for (model, kind), g in sub.groupby(["model", "kind"]):
            g = g.sort_values("penalty_normalized")
            ax.plot(g.penalty_normalized, g.value, "-" if kind == "L1" else "--", marker="o", ms=2.5,
                    color=colors[model], label=f"{model} ({kind})")
        _symlog(ax, sub.penalty_normalized)
        ax.set_title(m, fontsize=8)
        ax.set_xlabel("normalized penalty")
    _legend_below(fig, axes[0][0], ncol=5, bottom=0.14, fontsize=6)
    return fig


def update_dynamics(dyn: pd.DataFrame) -> plt.Figure:
    """Every weight's trajectory under each update rule; weights that end exactly at 0 drawn in red."""
    rules = list(dict.fromkeys(dyn.rule))
    fig, axes = plt.subplots(1, len(rules), figsize=(3.5 * len(rules), 2.8), squeeze=False, sharey=True)
    for ax, rule in zip(axes[0], rules):
        sub = dyn[dyn.rule == rule]
        last = sub[sub.step == sub.step.max()].set_index("weight").value
        for w, g in sub.groupby("weight"):
            ax.plot(g.step, g.value, lw=1, color="#d62728" if last.get(w, 1) == 0 else "#555555")
        ax.axhline(0, color="black", lw=0.5)
        ax.set_title(f"{rule}: {int((last == 0).sum())} of {len(last)} exactly 0", fontsize=8)
        ax.set_xlabel("step")
    axes[0][0].set_ylabel("weight")
    fig.tight_layout()
    return fig
