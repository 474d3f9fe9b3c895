"""``boostreg recommend``: the tuning guide's advice, turned into raw reg_alpha and reg_lambda for one dataset.

The guide states its advice in the data's units (reg_alpha as a fraction of α_max, reg_lambda as a multiple of
H̄: see ``boostreg.units``). This module reads a user's table, fits one unpenalized tree per engine with the
guide's tree settings on all of its rows, reads α_max (the largest |G| over that tree's leaves) and H̄ (their
mean hessian sum), and multiplies. It takes seconds: one tree, no search.

The guide's advice is to fit those values beside the library default and keep whichever has the lower validation
error (its leave-one-dataset-out proof applies it that way). ``check=True`` does that here by 5-fold
cross-validation on the user's rows, with the guide's settings: ten full fits per engine instead of one tree.

Each Advice quotes the out-of-sample record of the procedure this call ran (``evidence``, see ``evidence_for``):
with ``check=True`` the fresh hold-out of ``benchmarks/fresh_check.py`` (datasets frozen before any fit, the
5-fold check run as shipped); without it the guide's leave-one-dataset-out record of the recommended values alone.

Multiclass datasets: α_max and H̄ are read from the first round's K class trees pooled (the units a study's relative
grid uses), the check's splits are stratified by class, and its validation error is the study's multiclass
primary metric; the guide's record comes from the datasets it was built on, which the evidence names (a
recommendation for a task the guide never saw says so in ``assumptions``). Sample weights (``Dataset.weight``)
weigh every fit, α_max and H̄, and the check's validation errors.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from .crosscheck import CHECK_FOLDS, check_against_default
from .engines import ENGINES, get_engine
from .errors import BoostregError
from .fmt import pct
from .progress import Progress
from .units import data_units

#: cross-validation splits of ``--check``

#: what each call applies, in the words its evidence is quoted with
PROCEDURE_CHECKED = (
    f"the recommended values and the library default compared by {CHECK_FOLDS}-fold cross-validation "
    "on your rows, the one with the lower mean validation error kept"
)
PROCEDURE_ALONE = "the recommended values alone, not checked against the library default on your rows"
PROCEDURE_ONE_SPLIT = (
    "the recommended values checked against the library default on one validation split (the "
    "guide's leave-one-dataset-out proof), the better one kept"
)


def json_default(v):
    """``json.dumps`` default for the recommendation: numpy scalars as Python numbers (non-finite floats as null),
    tuples as lists, anything else as its str."""
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return None if not np.isfinite(v) else float(v)
    if isinstance(v, (np.bool_,)):
        return bool(v)
    if isinstance(v, tuple):
        return list(v)
    return str(v)


def recommendation_for(path: str | Path | None = None) -> dict:
    """The recommendation ``boostreg recommend`` applies: package data written from the committed guide."""
    path = Path(path) if path else Path(__file__).with_name("recommendation.json")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise BoostregError(
            f"cannot read the recommendation '{path}' ({type(err).__name__}); reinstall boostreg, or "
            "rebuild it with 'boostreg guide'."
        ) from None


@dataclass
class Advice:
    """One engine's recommendation for one dataset, in raw units (and the relative values it came from)."""

    engine: str
    reg_alpha: float
    reg_lambda: float
    reg_alpha_range: list[float] | None
    reg_lambda_range: list[float] | None
    reg_alpha_relative: float
    reg_lambda_relative: float
    alpha_max: float
    h_bar: float
    rows: int
    rule: str
    #: the out-of-sample record of the procedure this call ran: ``procedure`` (what was applied), ``record`` (where
    #: the numbers come from; None where no record of that procedure exists), the numbers, and ``text`` (one sentence)
    evidence: dict
    assumptions: dict
    #: drop-in keyword arguments for the engine's own scikit-learn class (``estimator``), penalties included, in the
    #: units of all the user's rows (as the fresh hold-out check evaluated them)
    params: dict = field(default_factory=dict)
    estimator: str = ""
    #: with check=True: the cross-validation check's verdict (mean valid errors of the recommended values and of the
    #: library default, which one is kept); reg_alpha / reg_lambda are then the kept values
    check: dict | None = field(default=None)

    def to_dict(self) -> dict:
        return asdict(self)


def _drop_in(engine: str, settings: dict, kept: tuple[float, float], task: str) -> tuple[str, dict]:
    """The engine's class and its keyword arguments for the advice: the guide's settings, early stopping after its
    rounds (pass ``eval_set`` to fit: a ``validation_fraction`` split of your rows), and the penalties as computed
    from all your rows -- exactly what the fresh hold-out check evaluated (benchmarks/fresh_check.py)."""
    common = {k: v for k, v in settings.items() if k not in ("validation_fraction", "early_stopping_rounds")}
    common.update(reg_alpha=float(f"{kept[0]:.4g}"), reg_lambda=float(f"{kept[1]:.4g}"))
    cls, kw = ENGINES[engine].sklearn_estimator(common, task)
    if settings.get("early_stopping_rounds"):
        kw["early_stopping_rounds"] = int(settings["early_stopping_rounds"])
    kw["random_state"] = 0
    return cls, kw


#: the guide's records a call without --check may quote, in order: (key, procedure, where from, sentence, subject)
_GUIDE_RECORDS = (
    (
        "lodo_point_alone",
        PROCEDURE_ALONE,
        "the tuning guide's leave-one-dataset-out proof: the values derived without "
        "each dataset and applied to it unchecked",
        "Used alone (not checked against the default), derived without each dataset and applied to it",
        "these values",
    ),
    (
        "lodo",
        PROCEDURE_ONE_SPLIT,
        "the tuning guide's leave-one-dataset-out proof of the one-split checked advice; no "
        "record of the values alone exists, and these values were not checked here",
        "No record of these values used "
        "alone; checked against the default on one validation split (not what was done here), derived without each "
        "dataset",
        "they",
    ),
)


def _record(r: dict, *, procedure: str, record: str, interval: str, **extra) -> dict:
    """One summary of the advice's gains over the default (a guide LODO row or the fresh check's) as evidence."""
    n = r.get("n_datasets", r.get("n"))
    out = {"procedure": procedure, "record": record, "n_datasets": n, "interval": interval, **extra}
    out.update(
        {
            k: r.get(k)
            for k in (
                "wins",
                "ties",
                "clearly_worse",
                "clearly_better",
                "mean_rel_gain",
                "rel_low",
                "rel_high",
                "worst_dataset",
                "worst_rel_gain",
            )
            if k in r
        }
    )
    return out


def _sentence(engine: str, ev: dict) -> str:
    ties = f" (kept the default on {ev['ties']})" if ev.get("ties") else ""
    return (
        f"beat {engine}'s default on {ev['wins']} of {ev['n_datasets']} datasets{ties}, mean relative gain "
        f"{pct(ev.get('mean_rel_gain'))} [{pct(ev.get('rel_low'))}, {pct(ev.get('rel_high'))}], clearly worse "
        f"on {ev.get('clearly_worse', 0)}, worst {pct(ev.get('worst_rel_gain'))} ({ev.get('worst_dataset')})"
    )


def evidence_for(rec: dict, engine: str, check: bool) -> dict:
    """The out-of-sample record of what ``recommend_for(..., check=check)`` applies for ``engine``.

    * ``check=True``: the fresh hold-out (``rec["fresh_check"]``, written by ``benchmarks/fresh_check.py``), which
      runs this 5-fold check as shipped on datasets no design choice used -- quoted only if it tested the same
      relative values as ``rec`` recommends now. The guide's own record is of a one-split check, another procedure,
      so it is never quoted for --check.
    * ``check=False``: the guide's leave-one-dataset-out record of the recommended values alone
      (``lodo_point_alone``); a recommendation that has only the one-split checked record (``lodo``) is quoted with
      that procedure named, since it is not what this call applied."""
    r = rec.get("engines", {}).get(engine, {})
    rel = (float(r.get("reg_alpha_relative", np.nan)), float(r.get("reg_lambda_relative", np.nan)))
    if check:
        fresh = rec.get("fresh_check") or {}
        f = fresh.get("engines", {}).get(engine)
        if f and (f.get("reg_alpha_relative"), f.get("reg_lambda_relative")) == rel:
            ev = _record(
                f,
                procedure=PROCEDURE_CHECKED,
                interval=fresh.get("pooled_interval", ""),
                record=f"fresh hold-out: {fresh.get('datasets')} datasets frozen before any fit and used for "
                "no design choice, outer cross-validation around this exact procedure "
                f"({fresh.get('list')}, sha256 {str(fresh.get('list_sha256'))[:12]}, "
                f"{fresh.get('date')})",
                date=fresh.get("date"),
                list_sha256=fresh.get("list_sha256"),
            )
            ev["text"] = (
                f"Checked this way on {fresh.get('datasets')} datasets never used to design it (outer "
                f"cross-validation, {fresh.get('date')}), the kept values "
                + _sentence(engine, ev)
                + "; 95% t interval over datasets."
            )
            return ev
        stale = " (the fresh hold-out tested other values)" if f else ""
        return {
            "procedure": PROCEDURE_CHECKED,
            "record": None,
            "text": f"No out-of-sample record of this {CHECK_FOLDS}-fold check for these values yet{stale}; the "
            "guide's leave-one-dataset-out record is of a one-split check, a different procedure.",
        }
    for key, procedure, record, lead, verb in _GUIDE_RECORDS:  # the record of the values alone first
        if r.get(key):
            ev = _record(r[key], procedure=procedure, record=record, interval="the guide's 95% interval over datasets")
            ev["text"] = f"{lead}, {verb} " + _sentence(engine, ev) + "."
            return ev
    return {"procedure": PROCEDURE_ALONE, "record": None, "text": "No out-of-sample record of these values."}


def _rule(engine: str, a: float, lam: float) -> str:
    """The advice in the guide's words, without its evidence (``evidence_for`` quotes the record that fits)."""
    alpha = "reg_alpha = 0" if a == 0 else f"reg_alpha = {a:g} × α_max"
    lam_ = "reg_lambda = 0" if lam == 0 else f"reg_lambda = {lam:g} × H̄"
    return f"Fit {engine} at {alpha} and {lam_} beside its default, and keep whichever has the lower validation error."


def recommend_for(
    ds,
    engines: list[str] | None = None,
    *,
    recommendation: dict | None = None,
    check: bool = False,
    progress: bool = False,
) -> list[Advice]:
    """The guide's recommendation for dataset ``ds`` (a boostreg Dataset), one Advice per engine; with ``check`` the
    recommended values are fitted beside the library default by 5-fold cross-validation and the one with the lower
    mean validation error is kept (with ``progress``, a bar or progress lines on stderr over those fits). Each
    Advice's ``evidence`` is the record of the procedure run (``evidence_for``)."""
    rec = recommendation or recommendation_for()
    known = rec.get("engines", {})
    engines = engines or sorted(known)
    total = 2 * CHECK_FOLDS * len(engines) if check else 0
    with Progress(total, progress, "recommend --check") as bar:
        return _recommend(ds, engines, rec, known, check, bar)


def _recommend(ds, engines, rec, known, check, bar) -> list[Advice]:
    """recommend_for's loop over the engines."""
    out = []
    for engine in engines:
        get_engine(engine, where="the engines asked for")  # unknown, or an optional one not installed: one line
        if ds.task not in ENGINES[engine].tasks:
            raise BoostregError(
                f"engine '{engine}' does not fit {ds.task} targets; use one of "
                f"{', '.join(e for e in sorted(known) if e in ENGINES and ds.task in ENGINES[e].tasks)}."
            )
        if engine not in known:
            raise BoostregError(
                f"the tuning guide has no recommendation for engine '{engine}'; use one of {', '.join(sorted(known))}."
            )
        r = known[engine]
        settings = rec.get("assumptions", {}).get(engine, {})
        alpha_max, h_bar = data_units(ds, engine, settings)
        a, lam = float(r["reg_alpha_relative"]), float(r["reg_lambda_relative"])

        def raw(pair, unit):
            return [float(pair[0]) * unit, float(pair[1]) * unit] if pair else None

        kept = (a * alpha_max, lam * h_bar)  # in the units of all the user's rows
        verdict = check_against_default(ds, engine, settings, a, lam, bar=bar) if check else None
        if verdict is not None:
            if verdict["kept"] == "default":
                kept = (verdict["default_reg_alpha"], verdict["default_reg_lambda"])
            verdict.update(reg_alpha=kept[0], reg_lambda=kept[1])
        estimator, params = _drop_in(engine, settings, kept, ds.task)
        out.append(
            Advice(
                engine=engine,
                reg_alpha=kept[0],
                reg_lambda=kept[1],
                check=verdict,
                params=params,
                estimator=estimator,
                reg_alpha_range=raw(r.get("reg_alpha_range_relative"), alpha_max),
                reg_lambda_range=raw(r.get("reg_lambda_range_relative"), h_bar),
                reg_alpha_relative=a,
                reg_lambda_relative=lam,
                alpha_max=alpha_max,
                h_bar=h_bar,
                rows=len(ds.y),
                rule=_rule(engine, a, lam),
                evidence=evidence_for(rec, engine, check),
                assumptions=_assumptions(ds, settings, rec),
            )
        )
    return out


def _assumptions(ds, settings: dict, rec: dict) -> dict:
    """What the advice assumes: the guide's settings, the rows, and notes on scale, weights and the task."""
    out = {
        **settings,
        "rows": len(ds.y),
        "note": "alpha_max and H-bar grow in proportion to the rows you train on: if you hold out a "
        "share for early stopping, scale both values by the share you keep",
    }
    if getattr(ds, "weight", None) is not None:
        out["weighted"] = True
        out["note"] += "; with sample weights both are sums of weighted gradients and hessians: fit with the weights"
    tasks = rec.get("tasks")
    if ds.task == "multiclass":
        out["note"] += (
            "; multiclass: alpha_max and H-bar pool the first round's per-class trees, and the values apply to every "
            "class's trees"
        )
        if not tasks or ds.task not in tasks:
            out["task_note"] = (
                "the tuning guide's records hold no multiclass dataset: its evidence is from the tasks it was built "
                "on, so --check (fitting the values beside the library default on your rows) matters more here"
            )
    return out


def recommend(
    frame, target: str, *, task=None, engines=None, check: bool = False, groups=None, weight=None
) -> list[Advice]:
    """The tuning guide's reg_alpha and reg_lambda for a table held in memory: ``boostreg recommend`` from Python.

    Parameters
    ----------
    frame : pandas.DataFrame
        Your table, with the target among its columns (checked and cleaned as a file would be).
    target : str
        The column to predict.
    task : {"regression", "binary", "multiclass"}, optional
        The task; inferred when left out (binary for 2 distinct values, multiclass for text with 3 or more; a
        whole-number target with few values is refused until you say which).
    engines : list of str, optional
        The engines to advise on (default: every engine the guide covers).
    check : bool, default False
        Also fit the recommended values beside the library default by 5-fold cross-validation on your rows and
        keep the one with the lower mean validation error (ten full fits per engine).
    groups : str, optional
        A column of group labels (a patient, a store): it leaves the features, and ``check`` keeps each group whole
        on one side of its splits.
    weight : str, optional
        A column of sample weights (numbers >= 0): it leaves the features; every fit, α_max, H̄ and the check's
        validation errors are weighted by it.

    Returns
    -------
    list of Advice
        One per engine: the raw ``reg_alpha`` and ``reg_lambda`` (``Advice.params`` for the engine's own
        scikit-learn class), the search ranges, α_max and H̄, the rule and its evidence; ``Advice.to_dict()`` is
        what ``boostreg recommend --format json`` prints.
    """
    from .data import load_frame

    ds = load_frame(frame, target, name="data", task=task, groups=groups, weight=weight)
    return recommend_for(ds, list(engines) if engines else None, check=check)
