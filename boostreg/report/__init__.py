"""The HTML study report: analysis frames -> figures and view models -> an autoescaped Jinja2 template.

One self-contained file: figures are embedded PNG (base64), styles inline, no script and no network request
(a Content-Security-Policy forbids both). Every sentence of commentary is filled from computed numbers.
"""

from __future__ import annotations

import base64
import io
import json
import os
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape

from .. import analysis
from ..errors import BoostregError
from ..store import ParquetStore

SECTIONS = ("study", "surfaces", "validation", "learning", "leaves", "theory", "baselines", "dynamics", "claims")


@dataclass
class FigureVM:
    title: str
    png_b64: str
    alt: str
    caption: str = ""


@dataclass
class Cell:
    text: str
    cls: str = ""


@dataclass
class TableVM:
    columns: list[str]
    rows: list[list[Cell]]
    title: str = ""


@dataclass
class SectionVM:
    id: str
    title: str
    commentary: list[str] = field(default_factory=list)
    figures: list[FigureVM] = field(default_factory=list)
    tables: list[TableVM] = field(default_factory=list)


@dataclass
class ReportVM:
    title: str
    subtitle: str
    sections: list[SectionVM]
    version: str
    generated: str
    command: str


def _png(fig) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _num(v, fmt="{:.4g}") -> Cell:
    if v is None or (isinstance(v, float) and not np.isfinite(v)):
        return Cell("–", "num")
    if isinstance(v, (int, np.integer)):
        return Cell(str(int(v)), "num")
    return Cell(fmt.format(v), "num")


def _table(frame: pd.DataFrame, title: str = "") -> TableVM:
    rows = []
    for _, r in frame.iterrows():
        rows.append([_num(v) if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
                     else Cell(str(v)) for v in r])
    return TableVM([str(c) for c in frame.columns], rows, title)


# ---------------------------------------------------------------------------------------------- sections

def _study_section(out: Path, fits: pd.DataFrame) -> SectionVM:
    sec = SectionVM("study", "The study")
    spec = tomllib.loads((out / "study.toml").read_text(encoding="utf-8")) if (out / "study.toml").exists() else {}
    runs = json.loads((out / "runs.json").read_text(encoding="utf-8")) if (out / "runs.json").exists() else []
    head = spec.get("study", {})
    n_ok = int((fits.status == "ok").sum())
    wall = sum(r.get("wall_time_s", 0) for r in runs)
    sec.commentary.append(
        f"{len(fits)} fits ({n_ok} ok, {len(fits) - n_ok} failed) of {fits.dataset.nunique()} datasets × "
        f"{fits.engine.nunique()} engines, {head.get('folds', '?')} folds × {len(head.get('seeds', [])) or '?'} seeds; "
        f"{len(runs)} run(s) took {wall:.0f} s of wall time in all.")
    if head.get("description"):
        sec.commentary.append(f"Study '{head.get('name', '')}': {head['description']}")
    data = (fits.assign(rows=fits.n_train + fits.n_test)
            .groupby("dataset").agg(task=("task", "first"), rows=("rows", "max"), columns=("n_features", "max"),
                                    fits=("fit_id", "count"), failed=("status", lambda s: int((s != "ok").sum())))
            .reset_index())
    sec.tables.append(_table(data, "Datasets"))
    grid = spec.get("grid", {})
    settings = [{"what": "engines", "value": ", ".join(sorted(fits.engine.unique()))}]
    settings += [{"what": f"grid: {k}", "value": ", ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in vals)}
                 for k, vals in grid.items()]
    settings += [{"what": f"params: {k}", "value": json.dumps(v) if isinstance(v, dict) else str(v)}
                 for k, v in spec.get("params", {}).items()]
    if runs:
        last = runs[-1]
        settings.append({"what": "library versions", "value": ", ".join(f"{k} {v}" for k, v in last["versions"].items())})
        m = last["machine"]
        settings.append({"what": "machine", "value": f"{m['cpus']} CPUs, {m['platform']}"})
        settings.append({"what": "layout", "value": f"{last['jobs']} processes × {last['threads_per_fit']} threads per fit"})
    sec.tables.append(_table(pd.DataFrame(settings), "Settings"))
    failed = fits[fits.status != "ok"]
    if len(failed):
        sec.commentary.append(f"{len(failed)} fits failed; the first of each kind is listed below.")
        fail = failed.groupby(["dataset", "engine", "error"]).fit_id.count().reset_index(name="fits")
        sec.tables.append(_table(fail, "Failures"))
    else:
        sec.commentary.append("No fit failed.")
    return sec


SURFACES = [
    ("test_error", "Test error (primary metric, lower is better)", "rocket_r"),
    ("generalization_gap", "Train–test gap (test − train error)", "rocket_r"),
    ("n_leaves_mean", "Leaves per tree", "mako"),
    ("leaf_abs_mean", "Mean |leaf weight|", "mako"),
    ("zero_leaf_frac", "Zero-leaf fraction", "mako"),
]


def _surfaces_section(fits: pd.DataFrame) -> SectionVM:
    from .. import plots

    sec = SectionVM("surfaces", "Heatmaps over reg_alpha × reg_lambda")
    best = analysis.best_settings(fits)
    if not best.empty:
        piv = best.pivot_table(index=["dataset", "engine"], columns="label", values="test_error")
        gain = (piv["unpenalized"] - piv["best"]) / piv["unpenalized"]
        interior = best[best.label == "best"]
        n_pen = int(((interior.reg_alpha > 0) | (interior.reg_lambda > 0)).sum())
        sec.commentary.append(
            f"The best mean test error came with a penalty for {n_pen} of {len(interior)} dataset × engine pairs; "
            f"the best point beat the unpenalized fit by {gain.mean():.1%} on average (largest {gain.max():.1%}).")
    zs = analysis.surface(fits, "zero_leaf_frac")
    if not zs.empty:
        at0 = zs[zs.reg_alpha == 0].zero_leaf_frac.max()
        top = zs[zs.reg_alpha == zs.groupby(["dataset", "engine"]).reg_alpha.transform("max")].zero_leaf_frac.mean()
        sec.commentary.append(f"Zero leaves: at most {at0:.3f} of leaves are exactly 0 without L1, "
                              f"{top:.3f} on average at the largest reg_alpha.")
    for value, label, cmap in SURFACES:
        surf = analysis.surface(fits, value)
        if surf.empty:
            continue
        sec.figures.append(FigureVM(label, _png(plots.heatmaps(surf, value, label, cmap=cmap)),
                                    f"heatmap of {value}", "Mean over folds and seeds; each panel one dataset and engine."))
    return sec


def _validation_section(fits: pd.DataFrame) -> SectionVM:
    from .. import plots

    sec = SectionVM("validation", "Validation curves along each penalty")
    path = analysis.validation_path(fits, "test_error")
    if path.empty:
        sec.commentary.append("No booster fits in this run.")
        return sec
    wide = path.assign(width=path.ci_high - path.ci_low)
    sec.commentary.append(
        f"Each line moves one penalty with the other at 0; bands are {int(analysis.CONFIDENCE * 100)}% t-intervals over "
        f"{int(path.n_fits.max())} folds × seeds (median band width {np.nanmedian(wide.width):.3g}).")
    sec.figures.append(FigureVM("Test error", _png(plots.validation_curves(path, "test error")), "validation curves"))
    gap = analysis.validation_path(fits, "generalization_gap")
    sec.figures.append(FigureVM("Train–test gap", _png(plots.validation_curves(gap, "test − train error")),
                                "gap validation curves"))
    return sec


def _learning_section(fits: pd.DataFrame, curves: pd.DataFrame) -> SectionVM:
    from .. import plots

    sec = SectionVM("learning", "Learning curves")
    best = analysis.best_settings(fits)
    if best.empty or curves.empty:
        sec.commentary.append("No learning curves in this run.")
        return sec
    df = analysis.main_setting(analysis.booster_fits(fits))
    picks = df.merge(best[["dataset", "engine", "label", "reg_alpha", "reg_lambda"]],
                     on=["dataset", "engine", "reg_alpha", "reg_lambda"])
    joined = curves.merge(picks[["fit_id", "dataset", "engine", "label"]], on="fit_id")
    mean = joined.groupby(["dataset", "engine", "label", "round"])[["train_error", "test_error"]].mean().reset_index()
    final = mean[mean["round"] == mean["round"].max()]
    pivot = final.pivot_table(index=["dataset", "engine"], columns="label", values="train_error")
    if {"unpenalized", "most penalized"} <= set(pivot.columns):
        share = float((pivot["most penalized"] > pivot["unpenalized"]).mean())
        sec.commentary.append(f"At the last round the most penalized fit has the higher training error in "
                              f"{share:.0%} of dataset × engine pairs: the penalty moves the training optimum.")
    sec.figures.append(FigureVM("Error per boosting round", _png(plots.learning_curves(mean)), "learning curves",
                                "Unpenalized, best and most penalized grid points; mean over folds and seeds."))
    return sec


def _leaves_frame(fits: pd.DataFrame, leaves: pd.DataFrame) -> pd.DataFrame:
    cols = ["fit_id", "dataset", "engine", "reg_alpha", "reg_lambda", "learning_rate"]
    return leaves.merge(fits[cols], on="fit_id")


def _leaves_section(lv: pd.DataFrame) -> SectionVM:
    from .. import plots
    from ..prior import gauss_fit, laplace_fit

    sec = SectionVM("leaves", "Leaf-weight distributions and the Laplace / Gaussian view")
    if lv.empty:
        sec.commentary.append("This run stored no leaf values (OUT/leaves is empty).")
        return sec
    # show the dataset where the largest reg_alpha zeroes the most leaves: where the L1 signal is visible
    top = lv[lv.reg_alpha == lv.groupby("dataset").reg_alpha.transform("max")]
    dataset = top.groupby("dataset").value.apply(lambda v: float(np.mean(v == 0))).idxmax()
    lv = lv[lv.dataset == dataset]
    top_a, top_l = lv.reg_alpha.max(), lv.reg_lambda.max()
    picks = {"unpenalized": (0.0, 0.0), f"reg_alpha={top_a:g}": (top_a, 0.0), f"reg_lambda={top_l:g}": (0.0, top_l)}
    frames = []
    for label, (a, l) in picks.items():
        sub = lv[np.isclose(lv.reg_alpha, a) & np.isclose(lv.reg_lambda, l)]
        for engine, g in sub.groupby("engine"):
            v = g.value.to_numpy()
            frames.append(g.assign(label=label, laplace_scale=laplace_fit(v), gauss_scale=gauss_fit(v)))
    if not frames:
        sec.commentary.append("No leaves of the unpenalized or the extreme grid points were stored.")
        return sec
    sel = pd.concat(frames)
    z = sel.groupby(["engine", "label"]).value.apply(lambda v: float(np.mean(v == 0)))
    sec.commentary.append(f"Dataset {dataset}, fold 0: exactly-zero leaves — "
                          + "; ".join(f"{e} {lab}: {v:.0%}" for (e, lab), v in z.items()) + ".")
    sec.figures.append(FigureVM("Leaf values with fitted zero-mean Laplace and Gaussian densities",
                                _png(plots.leaf_distributions(sel)), "leaf value histograms",
                                "Log-density scale; curves are the maximum-likelihood zero-mean fits to the same leaves."))
    return sec


def _theory_section(fits: pd.DataFrame, lv: pd.DataFrame) -> SectionVM:
    from .. import plots

    sec = SectionVM("theory", "Theory vs measured: every leaf against its closed form")
    ok = fits[(fits.status == "ok") & fits.theory_max_rel_err.notna()]
    if ok.empty:
        sec.commentary.append("No fit carried a theory check.")
        return sec
    worst = ok.loc[ok.theory_max_rel_err.idxmax()]
    sec.commentary.append(
        f"{len(ok)} fits checked; the largest relative error of any leaf is {worst.theory_max_rel_err:.2g} "
        f"({worst.dataset}, {worst.engine}, reg_alpha={worst.reg_alpha:g}, reg_lambda={worst.reg_lambda:g}); "
        f"{int((ok.theory_max_rel_err <= 1e-4).sum())} of {len(ok)} fits are within 1e-4.")
    na = fits[fits.theory_check.fillna("").str.startswith("not applicable")]
    if len(na):
        sec.commentary.append(f"{len(na)} fits could not be checked: {na.theory_check.iloc[0]}.")
    table = ok.groupby(["dataset", "engine"]).agg(fits=("fit_id", "count"), max_rel_err=("theory_max_rel_err", "max"),
                                                  max_plain_rel_err=("theory_max_plain_rel_err", "max"),
                                                  max_abs_err=("theory_max_abs_err", "max")).reset_index()
    sec.tables.append(_table(table, "Largest errors per dataset and engine"))
    if not lv.empty:
        sec.figures.append(FigureVM("Stored leaf values against the closed form", _png(plots.theory_scatter(lv)),
                                    "theory scatter", f"{len(lv)} leaves of the fold-0 fits."))
    return sec


def _baselines_section(fits: pd.DataFrame) -> SectionVM:
    from .. import plots

    sec = SectionVM("baselines", "Boosters beside the linear and SVM baselines")
    paths = analysis.penalty_paths(fits)
    if paths.empty:
        sec.commentary.append("No baseline records in this run (add lasso, ridge, logistic_l1, … to engines).")
        return sec
    sec.commentary.extend(analysis.penalty_paths_commentary(paths))
    sec.figures.append(FigureVM("On one normalized penalty axis", _png(plots.penalty_paths(paths)), "penalty paths",
                                "Means over datasets, folds and seeds. Solid: L1; dashed: L2. "
                                "The normalized axis is defined in README (penalty_normalized)."))
    return sec


def _dynamics_section(out: Path) -> SectionVM:
    from .. import plots

    sec = SectionVM("dynamics", "Update dynamics: L2 decays in proportion, L1 steps to exact zeros")
    path = out / "dynamics.parquet"
    if not path.exists():
        sec.commentary.append("This run has no update-dynamics table (OUT/dynamics.parquet).")
        return sec
    dyn = pd.read_parquet(path)
    last = dyn[dyn.step == dyn.step.max()]
    zeros = last.groupby("rule").value.apply(lambda v: int((v == 0).sum()))
    sec.commentary.append("Weights exactly 0 at the last step — " + "; ".join(f"{r}: {n} of {last[last.rule == r].weight.nunique()}"
                                                                              for r, n in zeros.items()) + ".")
    sec.figures.append(FigureVM("Weight trajectories", _png(plots.update_dynamics(dyn)), "update dynamics"))
    return sec


def _claims_section(fits: pd.DataFrame, lv: pd.DataFrame) -> SectionVM:
    sec = SectionVM("claims", "Claims ledger")
    claims = analysis.claims_ledger(fits, lv if not lv.empty else None)
    counts = pd.Series([c.verdict for c in claims]).value_counts()
    sec.commentary.append("Verdicts are computed from this run's records by the rule in each row: "
                          + ", ".join(f"{n} {v}" for v, n in counts.items()) + ".")
    rows = []
    for c in claims:
        ci = "–" if not np.isfinite(c.ci_low) else f"[{c.ci_low:.3g}, {c.ci_high:.3g}]"
        rows.append([Cell(c.claim), Cell(c.verdict, f"verdict v-{c.verdict.replace(' ', '-')}"),
                     Cell("–" if not np.isfinite(c.effect) else f"{c.effect:.3g}"), Cell(ci), Cell(c.effect_label),
                     Cell(c.evidence + ("; " + "; ".join(c.details) if c.details else ""), "small"), Cell(c.rule, "small")])
    sec.tables.append(TableVM(["claim", "verdict", "effect", f"{int(analysis.CONFIDENCE * 100)}% CI", "effect is",
                               "rests on", "rule"], rows))
    return sec


# ---------------------------------------------------------------------------------------------- entry point

def build_report_vm(out: str | Path) -> ReportVM:
    out = Path(out)
    store = ParquetStore(out)
    if not store.fits_dir.exists() or not store.fit_ids():
        raise BoostregError(f"'{out}' holds no fit records (no {out}/fits); run 'boostreg run --out {out}' first.")
    fits = store.fits()
    curves = store.curves()
    leaves = _leaves_frame(fits, store.leaves())  # every leaf with its fit's dataset, engine and penalties, joined once
    study = fits.study.iloc[0]
    sections = [
        _study_section(out, fits), _surfaces_section(fits), _validation_section(fits),
        _learning_section(fits, curves), _leaves_section(leaves), _theory_section(fits, leaves),
        _baselines_section(fits), _dynamics_section(out), _claims_section(fits, leaves),
    ]
    from .. import __version__

    return ReportVM(
        title=f"boostreg report: {study}",
        subtitle=f"What reg_alpha (L1) and reg_lambda (L2) did in this run — {len(fits)} fits, "
                 f"{fits.dataset.nunique()} datasets, engines: {', '.join(sorted(fits.engine.unique()))}.",
        sections=sections, version=__version__, generated=time.strftime("%Y-%m-%d %H:%M"),
        command=f"boostreg report {out}")


def render(vm: ReportVM) -> str:
    env = Environment(loader=PackageLoader("boostreg.report", "templates"),
                      autoescape=select_autoescape(["html", "j2"]), keep_trailing_newline=True)
    return env.get_template("report.html.j2").render(r=vm)


def build_report(out: str | Path, output: str | Path | None = None) -> Path:
    """Write the HTML report of the run in ``out`` (default ``out/report.html``) atomically; return its path."""
    out = Path(out)
    target = Path(output) if output else out / "report.html"
    if target.parent and not target.parent.exists():
        raise BoostregError(f"folder '{target.parent}' for the report does not exist; create it or choose another -o.")
    html = render(build_report_vm(out))
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text(html, encoding="utf-8")
    os.replace(tmp, target)
    return target
