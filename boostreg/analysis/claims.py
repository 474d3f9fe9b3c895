"""The checks and claims of the report's ledger, each computed from this run's records.

Two kinds of rows:

* **Mechanism checks** restate the closed form (docs/theory-check.md): every leaf equals it, a leaf is
  exactly 0 iff |G| <= reg_alpha, L2 scales the Newton step by H / (H + reg_lambda). They are counts of leaves
  or fits that agree, not findings.
* **Empirical claims** are decided where the models still work: at the validation-selected setting, or at the
  strongest L1-only and L2-only settings whose validation error is within ``inference.MATCH_MARGIN`` of the
  group's best (matched error), never at the collapsed corners of a grid. The replication unit is dataset x
  engine; pooled intervals are t intervals over unit means, within-unit intervals carry the fold-overlap
  correction. Every claim states the smallest effect worth stating (its band), so it can fail: "does not hold
  here" when the interval rules out an effect of that size on the claimed side.

Selection, gains, intervals and verdict rules come from :mod:`boostreg.inference` and :mod:`boostreg.tables`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import inference, tables
from ..fmt import num
from ..fmt import pct as fmt_pct
from ..inference import CONFIDENCE, MATCH_MARGIN, MIN_UNITS, Estimate, pooled_t

# ---------------------------------------------------------------------------------------------- mechanism checks


@dataclass
class Check:
    """A restatement of the closed form, counted: how many leaves (or fits) agree with it."""

    check: str
    agree: int
    total: int
    rule: str
    details: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        if self.total == 0:
            return "not measured"
        return "passed" if self.agree == self.total else "failed"


#: a fit's leaves match the closed form when its relative error (docs/theory-check.md) is at most this
THEORY_TOLERANCE = 1e-4


def mechanism_checks(fits: pd.DataFrame, leaves: pd.DataFrame | None) -> list[Check]:
    """The closed form, zero iff |G| <= alpha, and the H / (H + lambda) factor, as counts (see module doc)."""
    out = []
    checked = fits[(fits.status == "ok") & fits.theory_max_rel_err.notna()]
    agree = int((checked.theory_max_rel_err <= THEORY_TOLERANCE).sum())
    out.append(
        Check(
            "every leaf equals -lr·T(G, α)/(H + λ) (the theory check)",
            agree,
            len(checked),
            f"a fit agrees when its largest relative leaf error is at most {THEORY_TOLERANCE:g}",
            [f"largest error {checked.theory_max_rel_err.max():.2g}"] if len(checked) else [],
        )
    )
    if leaves is None or leaves.empty:
        for name in ("a leaf is exactly 0 iff |G| ≤ reg_alpha", "L2 scales the Newton step by H/(H + λ)"):
            out.append(Check(name, 0, 0, "needs the leaves table (OUT/leaves)"))
        return out
    lv = leaves[leaves.H > 0]
    if "max_delta_step" in lv:
        lv = lv[~(lv.max_delta_step.fillna(0) > 0)]  # clipping changes both statements
    # The theory check's tolerance (docs/theory-check.md): a leaf agrees when its error is at most
    # THEORY_TOLERANCE x max(|w_stored|, |w_theory|, lr·Σ|g_i|/(H + λ)), the last term allowing for the float32
    # rounding of a G that is a small sum of large per-row gradients. The leaves table has no Σ|g_i|, but a fit whose
    # theory check passed has every leaf within that tolerance: there a leaf that misses a statement below only by
    # G's float32 rounding is set aside (and said), while in a fit whose check failed every miss counts.
    accepted = np.zeros(len(lv), dtype=bool)
    if "fit_id" in lv and "fit_id" in fits:
        passed = checked.fit_id[checked.theory_max_rel_err <= THEORY_TOLERANCE]
        accepted = lv.fit_id.isin(passed).to_numpy()
    a = lv.reg_alpha.to_numpy(dtype=float)
    G = lv.G.to_numpy(dtype=float)
    zero = lv.value.to_numpy() == 0
    below = np.abs(G) <= a
    # A leaf on the wrong side of the rule only by G's rounding, in a fit whose check passed, is set aside:
    # * stored 0 while |G| > alpha: the check measured |G| - alpha <= tolerance x Σ|g_i| for that very leaf;
    # * kept nonzero while |G| <= alpha: the check bounds the engine's |G| - alpha, and alpha - |G| must be within the
    #   tolerance at the smallest Σ|g_i| such a leaf can have (>= the engine's |G| > alpha), so a nonzero leaf whose
    #   |G| is clearly below alpha (one bit from 0 or not) still fails
    rounded = accepted & (a > 0) & np.where(zero, ~below, below & (a - np.abs(G) <= THEORY_TOLERANCE * a))
    l1 = (a > 0) & ~rounded
    out.append(
        Check(
            "a leaf is exactly 0 iff |G| ≤ reg_alpha",
            int((zero == below)[l1].sum()),
            int(l1.sum()),
            "every stored leaf of the stored fits with reg_alpha > 0: exactly 0 when |G| ≤ reg_alpha, "
            "nonzero otherwise",
            [
                f"{int(rounded.sum())} leaves on the wrong side of reg_alpha by less than the theory check's "
                f"tolerance ({THEORY_TOLERANCE:g}·Σ|gᵢ| of their rows, in fits whose check passed: float32 "
                "rounding of G) set aside",
                f"{int((zero & (a == 0)).sum())} exact zeros among {int((a == 0).sum())} leaves without L1",
            ],
        )
    )
    is_l2 = ((lv.reg_alpha == 0) & (lv.reg_lambda > 0)).to_numpy()
    l2, l2_accepted = lv[is_l2], accepted[is_l2]
    newton = -l2.learning_rate * l2.G / l2.H
    factor = l2.H / (l2.H + l2.reg_lambda)
    expected = newton * factor
    scale = np.maximum(np.abs(expected), np.abs(l2.value))
    # leaves whose closed form has an engine's own term (LightGBM's cat_l2 on many-vs-many categorical splits, a
    # tree that made no split): the theory column says so; they are counted apart. A penalty or learning rate the
    # engine keeps in float32 (CatBoost) moves the theory column by ~6e-8 relative: float32 rounding, not a term
    extra = (np.abs(l2.theory - expected) > 1e-6 * np.maximum(scale, 1e-300)).to_numpy()
    close = (np.abs(l2.value - expected) <= THEORY_TOLERANCE * scale).to_numpy()
    # off by more than the tolerance of |w| but in a fit whose theory check passed: within lr·Σ|g_i|/(H + λ)
    l2_rounded = ~close & l2_accepted & ~extra
    counted = ~extra & ~l2_rounded
    notes = []
    if extra.any():
        by = (
            f" ({', '.join(f'{e} {n}' for e, n in l2[extra].groupby('engine').size().items())})"
            if "engine" in l2
            else ""
        )
        notes.append(
            f"{int(extra.sum())} leaves{by} whose closed form has an engine's own term (e.g. LightGBM's "
            "cat_l2 on many-vs-many categorical splits) set aside; the theory check covers them"
        )
    if l2_rounded.any():
        notes.append(
            f"{int(l2_rounded.sum())} leaves off by more than {THEORY_TOLERANCE:g} of their value but within "
            f"{THEORY_TOLERANCE:g}·lr·Σ|gᵢ|/(H + λ), the theory check's tolerance, met by their fits: their G "
            f"(|G| ≤ {np.abs(l2.G.to_numpy()[l2_rounded]).max():.2g}) is a small sum of per-row gradients "
            "the engine keeps in float32, so its rounding is large against G; set aside"
        )
    out.append(
        Check(
            "L2 scales the Newton step by H/(H + λ)",
            int(close[counted].sum()),
            int(counted.sum()),
            f"every stored leaf of the L2-only fits equals lr·(-G/H)·H/(H + λ) within {THEORY_TOLERANCE:g} relative",
            notes,
        )
    )
    return out


# ---------------------------------------------------------------------------------------------- claims


@dataclass
class Claim:
    """One empirical claim of the L1/L2 story, its computed verdict, pooled effect with CI, and what it rests on."""

    claim: str
    verdict: str
    effect: float
    ci_low: float
    ci_high: float
    effect_label: str
    rule: str
    evidence: str
    n_units: int
    details: list[str] = field(default_factory=list)
    pct: bool = False  # the effect is a share (shown as a percentage)


#: the smallest effect each kind of claim states: an interval whose claimed-side end is short of it rules the claim
#: out ("does not hold here"); relative effects in shares, the zero-leaf share in shares of all leaves
BANDS = {"relative": 0.01, "share": 0.01}

#: how every empirical verdict is reached (each claim's ``rule`` says only its side, band and any extra condition)
VERDICT_RULE = (
    f"the {int(CONFIDENCE * 100)}% t interval of the mean over dataset x engine units (each unit: the mean "
    "over its fold groups) lies on the claimed side of 0: holds; its end on the claimed side is short of "
    "the claim's band (an effect of that size is ruled out): does not hold here; else inconclusive; "
    f'fewer than {MIN_UNITS} units: not enough evidence. At 3 units a null effect reads "holds" in at '
    "most 2.5% of cases (simulated in the tests)"
)


def _signed(v) -> str:
    return num(v, "+.3g")


def _unit_details(units: pd.DataFrame, pct: bool = False) -> list[str]:
    f = fmt_pct if pct else _signed
    return [
        f"{r.dataset} / {r.engine}: {f(r.effect)} [{f(r.ci_low)}, {f(r.ci_high)}] over {r.n_groups} folds"
        for r in units.itertuples()
    ]


def _pooled_claim(
    name: str,
    units: pd.DataFrame,
    side: int,
    effect_label: str,
    evidence: str,
    *,
    band: float,
    pct: bool = False,
    extra_rule: str = "",
) -> Claim:
    pooled = pooled_t(units.effect) if len(units) else Estimate(np.nan, np.nan, np.nan, 0, "none")
    v = inference.verdict(pooled, side, band=band)
    shown = f"{band:.0%}" if pct else f"{band:g}"
    rule = (
        f"pooled interval {'above' if side > 0 else 'below'} 0; ruled out when its "
        f"{'upper' if side > 0 else 'lower'} end is short of {'+' if side > 0 else '−'}{shown}"
    ) + extra_rule
    n_agree = int((np.sign(units.effect) == side).sum()) if len(units) else 0
    details = [f"{n_agree} of {len(units)} units on the claimed side"] + _unit_details(units, pct)
    note = inference.equivalence_note(pooled, band, pct=pct)
    if note:
        details.insert(0, note)
    return Claim(
        name, v, pooled.mean, pooled.ci_low, pooled.ci_high, effect_label, rule, evidence, pooled.n, details, pct
    )


def _effective_leaves(pairs: pd.DataFrame, tag: str) -> pd.Series:
    """Leaves per tree that carry a value (not exactly 0): the size of the model a user ships."""
    return pairs[f"{tag}_n_leaves_mean"] * (1 - pairs[f"{tag}_zero_leaf_frac"].fillna(0))


def claims_ledger(fits: pd.DataFrame) -> list[Claim]:
    """The empirical claims, each with a verdict computed from this run's records (see the module docstring)."""
    if not inference.has_validation(fits):
        return [
            Claim(
                "every empirical claim",
                "not enough evidence",
                np.nan,
                np.nan,
                np.nan,
                "",
                "needs a validation split to select settings and match errors without the test folds",
                "no validation split in these records (add validation_fraction under [params])",
                0,
            )
        ]
    out = []
    sel = tables.selection_table(fits)
    boost_sel = sel[(sel.kind == "booster") & sel.complete] if not sel.empty else sel
    for engine in sorted(boost_sel.engine.unique()) if not boost_sel.empty else []:
        g = boost_sel[boost_sel.engine == engine]
        units = inference.unit_effects(g, g.rel_gain_vs_default, by=("dataset", "engine", "setting"))
        out.append(
            _pooled_claim(
                f"tuning reg_alpha and reg_lambda on a validation split beats {engine}'s default penalties on the test "
                "folds",
                units,
                +1,
                "mean relative gain (default's test error − selected's) / default's, over datasets",
                f"{len(g)} complete fold groups of {g.dataset.nunique()} datasets",
                band=BANDS["relative"],
                pct=True,
            )
        )
    pairs = inference.matched_pairs(fits)
    if pairs.empty:
        return out
    margin = f"within {MATCH_MARGIN:.0%} of the fold group's best validation error"
    # L1 against L2 where both can fail: the leaves that carry a value (exact zeros cost nothing to store or
    # evaluate), so L2's smaller trees count as much as L1's zeros
    l1_size, l2_size = _effective_leaves(pairs, "l1"), _effective_leaves(pairs, "l2")
    d = (l2_size - l1_size) / l2_size
    claim = _pooled_claim(
        "at matched validation error, L1 gives smaller models than L2 (fewer leaves that are not exactly 0)",
        inference.unit_effects(pairs, d),
        +1,
        "relative drop in non-zero leaves per tree, strongest L1-only vs strongest L2-only setting " + margin,
        f"{int(d.notna().sum())} fold groups with both an L1-only and an L2-only setting {margin}",
        band=BANDS["relative"],
        pct=True,
    )
    both = pairs[pairs.l1_zero_leaf_frac.notna()]
    claim.details.insert(
        0,
        f"exact-zero share of leaves: L1 {both.l1_zero_leaf_frac.mean():.1%}, L2 "
        f"{both.l2_zero_leaf_frac.mean():.1%}; leaves per tree: L1 "
        f"{both.l1_n_leaves_mean.mean():.3g}, L2 {both.l2_n_leaves_mean.mean():.3g}"
        if len(both)
        else "no pair",
    )
    out.append(claim)
    out.append(_noise_claim(pairs, fits, margin))
    for engine in sorted(pairs.engine.unique()):
        p = pairs[pairs.engine == engine]
        change = (p.l2_n_leaves_mean - p.unpen_n_leaves_mean) / p.unpen_n_leaves_mean
        out.append(
            _pooled_claim(
                f"reg_lambda limits tree size ({engine})",
                inference.unit_effects(p, change),
                -1,
                "relative change in leaves per tree, strongest L2-only setting " + margin + " vs unpenalized",
                f"{int(change.notna().sum())} fold groups",
                band=BANDS["relative"],
                pct=True,
            )
        )
    # the gap narrows when training error rises or test error falls; only the second is worth having, so the
    # claim is the test error's fall, and the decomposition is stated beside it
    scale = pairs.unpen_test_error.abs()
    test_down = (pairs.unpen_test_error - pairs.sel_test_error) / scale
    train_up = (pairs.sel_train_error - pairs.unpen_train_error) / scale
    claim = _pooled_claim(
        "the validation-selected penalty narrows the train–test gap by lowering test error (not only by raising "
        "training error)",
        inference.unit_effects(pairs, test_down),
        +1,
        "(unpenalized test error − selected's) / unpenalized test error",
        f"{int(test_down.notna().sum())} fold groups",
        band=BANDS["relative"],
        pct=True,
    )
    narrow = train_up + test_down
    claim.details.insert(
        0,
        f"the gap narrowed by {narrow.mean():+.1%} of the unpenalized test error: training error "
        f"up {train_up.mean():+.1%}, test error down {test_down.mean():+.1%}"
        if narrow.notna().any()
        else "no pair",
    )
    out.append(claim)
    return out


def _noise_claim(pairs: pd.DataFrame, fits: pd.DataFrame, margin: str) -> Claim:
    name = "at matched validation error, L1 uses fewer noise features than L2 and keeps the informative ones"
    synth = pairs[pairs.l1_n_noise_features_used.notna() & pairs.l2_n_noise_features_used.notna()]
    if synth.empty:
        return Claim(
            name,
            "not enough evidence",
            np.nan,
            np.nan,
            np.nan,
            "",
            "needs synthetic data with known noise features",
            "no synthetic dataset (binary_noise, sparse_linear, friedman1_noise)",
            0,
        )
    # saturation: when every L1 and L2 operating point uses every noise feature any fit of its dataset used, the
    # count cannot differ, so its null is no evidence either way
    ceiling = fits.groupby("dataset").n_noise_features_used.max()
    top = synth.dataset.map(ceiling)
    if ((synth.l1_n_noise_features_used == top) & (synth.l2_n_noise_features_used == top)).all():
        return Claim(
            name,
            "not measurable here",
            np.nan,
            np.nan,
            np.nan,
            "",
            "needs operating points that leave some noise feature unused",
            f"{len(synth)} fold groups on synthetic data: every L1-only and L2-only fit {margin} splits on "
            "every noise feature (the count is saturated: fewer trees or rounds would let it vary)",
            0,
        )
    noise = inference.unit_effects(synth, synth.l2_n_noise_features_used - synth.l1_n_noise_features_used)
    informative = (synth.l1_n_features_used - synth.l1_n_noise_features_used) - (
        synth.l2_n_features_used - synth.l2_n_noise_features_used
    )
    inf_units = inference.unit_effects(synth, informative)
    claim = _pooled_claim(
        name,
        noise,
        +1,
        "noise features used, strongest L2-only minus strongest L1-only setting " + margin,
        f"{len(synth)} fold groups on synthetic data",
        band=0.5,
        extra_rule="; and that of informative features used (L1 minus L2) not below 0",
    )
    kept = pooled_t(inf_units.effect) if len(inf_units) else Estimate(np.nan, np.nan, np.nan, 0, "none")
    if claim.verdict == "holds" and np.isfinite(kept.ci_high) and kept.ci_high < 0:
        claim.verdict = "does not hold here"
    claim.details.insert(
        0,
        f"informative features used, L1 minus L2: {_signed(kept.mean)} "
        f"[{_signed(kept.ci_low)}, {_signed(kept.ci_high)}]",
    )
    return claim
