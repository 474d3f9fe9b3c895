"""The tuning guide's rules: each recipe step is a sentence chosen by a rule function from computed numbers
(:mod:`boostreg.guide.evidence`), never a fixed text; :func:`contradictions` checks no two steps disagree."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import inference
from ..fmt import num, pct
from .evidence import TARGET_SHARE_BAND


@dataclass
class Step:
    """One recipe step: the sentence, its evidence anchor, and what it sets (engine, penalty) -> value."""

    text: str
    anchor: str
    sets: dict = field(default_factory=dict)


def rule_start(engine: str, rec: pd.Series, summary: pd.Series | None) -> Step:
    """Try the recommended point beside the library default and keep the one the validation split prefers; cite
    that advice's out-of-sample record (LODO, the ``chk_`` columns)."""
    if summary is None:
        return Step(f"{engine}: not enough real datasets to test a starting point out of sample.", "proof")
    a = "reg_alpha = 0" if rec.alpha_rel == 0 else f"reg_alpha = {num(rec.alpha_rel, 'g')} × α_max"
    lam = "reg_lambda = 0" if rec.lambda_rel == 0 else f"reg_lambda = {num(rec.lambda_rel, 'g')} × H̄"
    ties = f" (and kept the default on {summary.ties})" if summary.ties else ""
    text = (
        f"Fit {engine} at {a} and {lam} beside its default, and keep whichever has the lower validation error "
        f"(`boostreg recommend` turns them into raw values for your data). Derived without each dataset and "
        f"tried on it this way, this beat {engine}'s default on {summary.wins} of {summary.n_datasets} "
        f"datasets{ties}, mean relative gain {pct(summary.mean_rel_gain)} [{pct(summary.rel_low)}, "
        f"{pct(summary.rel_high)}], worst {pct(summary.worst_rel_gain)} ({summary.worst_dataset}). "
        + _pooled_reading(summary)
    )
    return Step(
        text, "proof", {(engine, "reg_alpha"): float(rec.alpha_rel), (engine, "reg_lambda"): float(rec.lambda_rel)}
    )


#: the practical-equivalence band of pooled advice claims: relative gains within it are "no difference"
EQUIVALENCE_BAND = 0.01


def _pooled_reading(summary: pd.Series) -> str:
    """What the pooled interval says, with the equivalence band (inference.verdict decides; no fixed sentence)."""
    est = inference.Estimate(summary.mean_rel_gain, summary.rel_low, summary.rel_high, int(summary.n_datasets), "t")
    v = inference.verdict(est, +1, band=EQUIVALENCE_BAND)
    if v == "holds":
        return "Pooled, it beats the default (the interval is above 0)."
    if v == "does not hold here":
        note = inference.equivalence_note(est, EQUIVALENCE_BAND, pct=True)
        return (
            f"Pooled, it is no better than the default: {note}."
            if note
            else f"Pooled, a gain of {EQUIVALENCE_BAND:.0%} or more is ruled out."
        )
    if v == "inconclusive":
        return (
            f"Pooled, the interval holds 0 and reaches +{EQUIVALENCE_BAND:.0%}: neither a gain nor "
            "equivalence is shown."
        )
    return "Pooled: not enough datasets for a verdict."


def rule_where_not(engine: str, proof: pd.DataFrame, prefix: str = "chk") -> Step:
    """Say plainly where the advice did not help (and where it was clearly worse)."""
    g = proof[proof.engine == engine]
    worse = g[g[f"{prefix}_rel_gain"] < 0]
    kept = g[g[f"{prefix}_rel_gain"] == 0]
    clear = g[g[f"{prefix}_clearly_worse"]]
    if worse.empty and kept.empty:
        return Step(
            f"{engine}: the advice was no worse than the default on any dataset tried." + _resolution(g, prefix),
            "proof",
        )
    parts = []
    if len(worse):
        parts.append(
            ", ".join(
                f"{r.dataset} ({pct(getattr(r, f'{prefix}_rel_gain'))}, n_train {r.n_train:.0f})"
                for r in worse.itertuples()
            )
        )
    if len(kept):
        parts.append(f"the validation split kept the default in every fold of {', '.join(kept.dataset)}")
    text = f"{engine}: it did not help on {len(worse) + len(kept)} of {len(g)} datasets: " + "; ".join(parts)
    text += (
        f"; clearly worse (interval below 0) on {', '.join(clear.dataset)}."
        if len(clear)
        else "; on none of them was the loss clear (every interval holds 0)."
    )
    return Step(text + _resolution(g, prefix), "proof")


def _resolution(g: pd.DataFrame, prefix: str) -> str:
    """How small a loss the per-dataset comparisons could have seen: their intervals' half-widths."""
    if f"{prefix}_rel_high" not in g:
        return ""
    half = ((g[f"{prefix}_rel_high"] - g[f"{prefix}_rel_low"]) / 2).dropna()
    if half.empty:
        return ""
    return (
        f" A loss smaller than an interval's half-width could not be told from none: median "
        f"{float(half.median()):.1%}, largest {float(half.max()):.1%} ({g.loc[half.idxmax(), 'dataset']})."
    )


def rule_point_alone(engine: str, alone: pd.Series | None, proof: pd.DataFrame) -> Step:
    """Why the recipe checks the point against the default: the point alone's out-of-sample record (``rec_``)."""
    if alone is None:
        return Step(f"{engine}: the point alone was not tried out of sample.", "proof")
    g = proof[(proof.engine == engine) & proof.rec_clearly_worse]
    text = (
        f"The point alone, without the validation check, beat {engine}'s default on {alone.wins} of "
        f"{alone.n_datasets} datasets, mean {pct(alone.mean_rel_gain)} [{pct(alone.rel_low)}, "
        f"{pct(alone.rel_high)}], worst {pct(alone.worst_rel_gain)} ({alone.worst_dataset})"
    )
    text += (
        f", and was clearly worse on {', '.join(f'{r.dataset} ({pct(r.rec_rel_gain)})' for r in g.itertuples())}: "
        "that is why the recipe checks it against the default."
        if len(g)
        else "; it was clearly worse on none."
    )
    return Step(text, "proof")


def rule_search(engine: str, ranges: pd.Series | None) -> Step:
    if ranges is None:
        return Step(f"{engine}: no search range (no validation-selected settings).", "ranges")
    return Step(
        f"If you tune {engine}, search reg_alpha / α_max in [{num(ranges.alpha_low, 'g')}, "
        f"{num(ranges.alpha_high, 'g')}] (0 included) and reg_lambda / H̄ in [{num(ranges.lambda_low, 'g')}, "
        f"{num(ranges.lambda_high, 'g')}]: "
        f"{TARGET_SHARE_BAND[0]:.0%}–{TARGET_SHARE_BAND[1]:.0%} of the per-dataset optima; the grid's edge "
        f"was selected in {ranges.edge_share:.0%} of {ranges.n_groups} fold groups and was the most selected "
        f"setting on {ranges.edge_pairs} of {ranges.n_datasets} datasets.",
        "ranges",
    )


def rule_tuning_worth(engine: str, own: pd.DataFrame) -> Step:
    """What tuning on the dataset itself (validation-selected) gained, per task in its own metric."""
    g = own[own.engine == engine]
    parts = []
    for r in g[g.task != "all"].itertuples():
        parts.append(
            f"{r.shared_metric} {r.mean_shared_gain:+.4f} [{r.shared_low:+.4f}, {r.shared_high:+.4f}] "
            f"over {r.n_datasets} {r.task} datasets"
        )
    if not parts:
        return Step(f"{engine}: tuning's worth is not measured.", "worth")
    return Step(
        f"Tuning both penalties on each dataset's own validation split changed {engine}'s test "
        + "; ".join(parts)
        + " against its default.",
        "worth",
    )


def rule_l1(claims: list) -> Step:
    """When L1 helps: a sentence built from the claims ledger's matched-error verdicts (never a fixed text)."""
    pick = {c.claim: c for c in claims}
    size = next((c for k, c in pick.items() if "smaller models" in k), None)
    noise = next((c for k, c in pick.items() if "noise features" in k), None)
    parts = []
    if size is not None and np.isfinite(size.effect):
        said = {
            "holds": "Use reg_alpha for smaller models: ",
            "does not hold here": "reg_alpha did not give smaller models than reg_lambda here: ",
        }
        parts.append(
            said.get(size.verdict, f"Whether reg_alpha gives smaller models than reg_lambda is {size.verdict} here: ")
            + f"at matched validation error the L1 model had {size.effect:+.1%} fewer non-zero leaves per "
            f"tree than the L2 model [{size.ci_low:+.1%}, {size.ci_high:+.1%}] ({size.verdict})"
        )
    elif size is not None:
        parts.append(f"Whether reg_alpha gives smaller models than reg_lambda: {size.verdict}")
    if noise is not None:
        parts.append(f"fewer noise features than L2: {noise.verdict}")
    return Step("; ".join(parts) + "." if parts else "L1 against L2 was not measured.", "l1")


def contradictions(recipe: dict[str, list[Step]]) -> list[str]:
    """Pairs of steps that set the same engine's penalty to different values (must be empty)."""
    seen, out = {}, []
    for steps in recipe.values():
        for s in steps:
            for key, value in s.sets.items():
                if key in seen and not np.isclose(seen[key], value):
                    out.append(f"{key}: {seen[key]} vs {value}")
                seen.setdefault(key, value)
    return out
