"""The report's sections on the mechanism: leaf-weight distributions, the closed-form checks, boosters beside the
baselines, the update dynamics and the claims ledger.

Every sentence is filled from computed numbers; verdicts come from ``boostreg.analysis``, never from here.
"""

from __future__ import annotations

from functools import partial

import numpy as np
import pandas as pd

from .. import analysis, inference, plots
from ..engines import engine_names
from ..fmt import num
from ..prior import gauss_fit, laplace_fit
from ..views import Cell, Section, Table, figure, table
from .common import PCT

# ---------------------------------------------------------------------------------------------- leaves


def leaves_section(fits: pd.DataFrame, lv: pd.DataFrame) -> Section:
    sec = Section("leaves", "Leaf-weight distributions and the Laplace / Gaussian view")
    if lv.empty:
        sec.paragraphs.append("This run stored no leaf values (OUT/leaves is empty).")
        return sec
    stored = set(lv.fit_id.unique())  # 169k leaves, a few dozen fits: unique in C, not a Python loop
    pairs = inference.matched_pairs(
        fits[fits.fit_id.isin(stored) | fits.group_id.isin(fits[fits.fit_id.isin(stored)].group_id)]
    )
    picks = {}
    if not pairs.empty:
        for r in pairs.itertuples():
            for tag, label in (("unpen", "unpenalized"), ("l1", "L1 at matched error"), ("l2", "L2 at matched error")):
                fid = getattr(r, f"{tag}_fit_id")
                if isinstance(fid, str) and fid in stored:
                    picks.setdefault(r.dataset, []).append((fid, label, r.engine))
    if not picks:  # no validation split: the unpenalized fit and the largest single penalties
        for (dataset, engine), g in lv.groupby(["dataset", "engine"]):
            fid = g.groupby("fit_id").first()
            for label, sel in (
                ("unpenalized", (fid.reg_alpha == 0) & (fid.reg_lambda == 0)),
                ("largest reg_alpha", (fid.reg_alpha == fid.reg_alpha.max()) & (fid.reg_lambda == 0)),
                ("largest reg_lambda", (fid.reg_lambda == fid.reg_lambda.max()) & (fid.reg_alpha == 0)),
            ):
                ids = fid.index[sel]
                if len(ids):
                    picks.setdefault(dataset, []).append((ids[0], label, engine))
    zero = {
        d: np.mean(
            [np.mean(lv[lv.fit_id == f].value == 0) for f, lab, _ in p if lab.startswith(("L1", "largest reg_a"))]
            or [0]
        )
        for d, p in picks.items()
    }
    dataset = max(sorted(zero), key=lambda d: zero[d])  # where the L1 signal is the clearest
    frames = []
    for fid, label, _engine in picks[dataset]:
        g = lv[lv.fit_id == fid]
        v = g.value.to_numpy()
        frames.append(g.assign(label=label, laplace_scale=laplace_fit(v), gauss_scale=gauss_fit(v)))
    sel = pd.concat(frames)
    z = sel.groupby(["engine", "label"]).value.apply(lambda v: float(np.mean(v == 0)))
    sec.paragraphs.append(
        f"Dataset {dataset}, fold 0 of the first seed: exactly-zero leaves — "
        + "; ".join(f"{e} {lab}: {v:.0%}" for (e, lab), v in z.items())
        + "."
    )
    sec.paragraphs.append(analysis.PRIOR_NOTE)
    ratio = analysis.prior_ratio(fits)
    if not ratio.empty:
        sec.tables.append(
            table(
                ratio.rename(columns={"laplace_share": "share where Laplace fits better"}),
                "Which zero-mean prior fits the leaves better (mean log-likelihood), by kind of fit",
            )
        )
    sec.figures.append(
        figure(
            "Leaf values with fitted zero-mean Laplace and Gaussian densities",
            partial(plots.leaf_distributions, sel),
            "leaf value histograms",
            "Log-density scale; curves are the maximum-likelihood zero-mean fits to the same leaves. "
            "Matched error: the strongest L1-only and L2-only setting whose validation error is "
            f"within {inference.MATCH_MARGIN:.0%} of the fold group's best.",
        )
    )
    return sec


def theory_section(fits: pd.DataFrame, lv: pd.DataFrame) -> Section:
    sec = Section("theory", "Mechanism checks: every leaf against its closed form")
    checks = analysis.mechanism_checks(fits, lv if not lv.empty else None)
    sec.paragraphs.append(
        "These restate the closed form w = −T(G, α)/(H + λ) that both engines implement; they are "
        "checks that the engines and boostreg's reading of them agree, not findings about data."
    )
    sec.tables.append(
        Table(
            "",
            ["check", "status", "agree", "of", "rule", "notes"],
            [
                [
                    Cell(c.check),
                    Cell(c.status, f"verdict v-{c.status.replace(' ', '-')}"),
                    Cell(str(c.agree), "num"),
                    Cell(str(c.total), "num"),
                    Cell(c.rule, "small"),
                    Cell("; ".join(c.details), "small"),
                ]
                for c in checks
            ],
        )
    )
    ok = fits[(fits.status == "ok") & fits.theory_max_rel_err.notna()]
    if ok.empty:
        sec.paragraphs.append("No fit carried a theory check.")
        return sec
    worst = ok.loc[ok.theory_max_rel_err.idxmax()]
    sec.paragraphs.append(
        f"{len(ok)} fits checked; the largest relative error of any leaf is {worst.theory_max_rel_err:.2g} "
        f"({worst.dataset}, {worst.engine}, reg_alpha={worst.reg_alpha:g}, reg_lambda={worst.reg_lambda:g})."
    )
    na = fits[fits.theory_check.fillna("").str.startswith("not applicable")]
    if len(na):
        sec.paragraphs.append(f"{len(na)} fits could not be checked: {na.theory_check.iloc[0]}.")
    bounded = fits[fits.theory_check.fillna("").str.startswith("ok: the first")]
    if len(bounded):
        sec.paragraphs.append(
            f"{len(bounded)} of the checked fits were checked on their first trees only: the check recomputes at most "
            "a budget of training rows x trees a fit, so that its cost stays flat as the rows grow (the fit's "
            f'theory_check says how many trees, e.g. "{bounded.theory_check.iloc[0]}"); their training curves end '
            "with the checked trees."
        )
    sampled = fits[fits.theory_check.fillna("").str.startswith("not checked")]
    if len(sampled):
        sec.paragraphs.append(
            f'{len(ok)} fits were checked and {len(sampled)} sampled out (check = "sample", the default: the '
            "fits whose leaves are stored — fold 0 of the first seed — and one in ten of the rest, chosen by fit_id; "
            'the closed form is deterministic, so a sample shows it; check = "all" or --check all checks every fit).'
        )
    largest = (
        ok.groupby(["dataset", "engine"])
        .agg(
            fits=("fit_id", "count"),
            max_rel_err=("theory_max_rel_err", "max"),
            max_plain_rel_err=("theory_max_plain_rel_err", "max"),
            max_abs_err=("theory_max_abs_err", "max"),
        )
        .reset_index()
    )
    sec.tables.append(table(largest, "Largest errors per dataset and engine"))
    if not lv.empty:
        sec.figures.append(
            figure(
                "Stored leaf values against the closed form",
                partial(plots.theory_scatter, lv[["engine", "theory", "value"]]),
                "theory scatter",
                f"{len(lv)} leaves of the fold-0 fits.",
            )
        )
    return sec


def baselines_section(fits: pd.DataFrame) -> Section:
    sec = Section("baselines", "Boosters beside the linear and SVM baselines")
    paths = analysis.penalty_paths(fits)
    if paths.empty:
        examples = ", ".join(engine_names("baseline")[:3])
        sec.paragraphs.append(f"No baseline records in this run (add {examples}, … to engines).")
        return sec
    sec.paragraphs.extend(analysis.penalty_paths_commentary(paths))
    sec.figures.append(
        figure(
            "On one normalized penalty axis",
            partial(plots.penalty_paths, paths),
            "penalty paths",
            "Means over datasets, folds and seeds, pooled by the penalty relative to each dataset "
            "(quarter-decade bins of the normalized axis), never by its raw value. Solid: L1; dashed: "
            "L2. The normalized axis is defined in docs/baselines.md (penalty_normalized).",
        )
    )
    return sec


def dynamics_section(dyn: pd.DataFrame | None, problem: str | None = None) -> Section:
    """The update-dynamics table (``Run.dynamics()``; None when the run has none or it cannot be read, ``problem``
    saying why: ``Run.dynamics_problem()``)."""
    sec = Section("dynamics", "Update dynamics: L2 decays in proportion, L1 steps to exact zeros")
    if problem:
        sec.paragraphs.append(
            f"This run's update-dynamics table (OUT/dynamics.parquet) cannot be read ({problem}); the next "
            "'boostreg run' into this folder moves it to OUT/quarantine/ and writes it again."
        )
        return sec
    if dyn is None:
        sec.paragraphs.append("This run has no update-dynamics table (OUT/dynamics.parquet).")
        return sec
    last = dyn[dyn.step == dyn.step.max()]
    zeros = last.groupby("rule").value.apply(lambda v: int((v == 0).sum()))
    sec.paragraphs.append(
        "Weights exactly 0 at the last step — "
        + "; ".join(f"{r}: {n} of {last[last.rule == r].weight.nunique()}" for r, n in zeros.items())
        + "."
    )
    sec.figures.append(figure("Weight trajectories", partial(plots.update_dynamics, dyn), "update dynamics"))
    return sec


def claims_section(fits: pd.DataFrame, lv: pd.DataFrame) -> Section:
    sec = Section("claims", "Claims ledger")
    claims = analysis.claims_ledger(fits)
    counts = pd.Series([c.verdict for c in claims]).value_counts()
    sec.paragraphs.append(
        "Each claim of the L1/L2 story is decided where the models still work — at the validation-selected setting, "
        f"or at the strongest L1-only and L2-only settings whose validation error is within "
        f"{inference.MATCH_MARGIN:.0%} of the fold group's best — never at the collapsed corners of the grid. The unit "
        "of replication is dataset × engine: pooled intervals resample those units, per-unit intervals carry the "
        "fold-overlap correction. A verdict is reached the same way for every claim: "
        + analysis.VERDICT_RULE
        + ". Verdicts here: "
        + ", ".join(f"{n} {v}" for v, n in counts.items())
        + ". The closed-form statements "
        "are in the mechanism checks above."
    )
    rows = []
    for c in claims:
        spec = "+.1%" if c.pct else "+.3g"
        rows.append(
            [
                Cell(c.claim),
                Cell(c.verdict, f"verdict v-{c.verdict.replace(' ', '-')}"),
                Cell(num(c.effect, spec), "num"),
                Cell("–" if not np.isfinite(c.ci_low) else f"[{num(c.ci_low, spec)}, {num(c.ci_high, spec)}]", "num"),
                Cell(c.effect_label),
                Cell(str(c.n_units), "num"),
                Cell(c.evidence + ("; " + "; ".join(c.details) if c.details else ""), "small"),
                Cell(c.rule, "small"),
            ]
        )
    sec.tables.append(
        Table("", ["claim", "verdict", "effect", f"{PCT}% CI", "effect is", "units", "rests on", "rule"], rows)
    )
    return sec
