"""One fit, and the record it leaves: prepare a fold group, fit and measure its fits, build their records.

The unit of work an executor hands a worker is :func:`run_fits`: some fits of one fold group (``FitGroup``). A
worker prepares (bins) the group's training fold once (:func:`prepare_group`) and keeps it for the next fits of
the same group; :func:`fit_one` fits and measures one fit into its record, within the study's ``fit_timeout``
(:func:`boostreg.deadline.fit_deadline`). The group's first fit is its **reference** (the unpenalized booster, or
the least penalized baseline): its ``reference_columns`` (the *reference values*) give the units of the relative
penalties and every fit's shrinkage.

What differs between an engine's kinds (a booster's penalties in the data's units, its theory check and its
penalty axis; a baseline measures its own) is one small strategy, :class:`FitKind`, chosen once per group.
"""

from __future__ import annotations

import json
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from . import measure
from .deadline import ALARM_HANDLER, FitTimeout, fit_deadline
from .engines import ENGINES, Fold, penalty_axis
from .errors import BoostregError
from .folds import fold_digest, split_folds, validation_split
from .loading import cached_dataset
from .plan import FitGroup, FitSpec
from .store import record_problems
from .study import BOOSTER_PARAMS, PENALTIES, RELATIVE_UNIT
from .units import ALL_ROWS_COLUMNS, all_rows_units, wants_all_rows_units

# ---------------------------------------------------------------------------------------------- record columns


def _identity(group: FitGroup, fit_spec: FitSpec, engine_version: str, params: dict) -> dict:
    """The identity columns of a fit's record; ``params`` are the raw values the engine receives."""
    record = {
        "study": fit_spec.study,
        "dataset": group.dataset,
        "task": group.task,
        "engine": group.engine,
        "engine_version": engine_version,
        "fold": group.fold,
        "seed": group.seed,
        "n_splits": group.n_splits,
        "fit_id": fit_spec.fit_id,
        "group_id": group.group_id,
        "in_grid": fit_spec.in_grid,
        "is_default": fit_spec.is_default,
        "point_label": fit_spec.label or None,
        "primary_metric": group.primary_metric,
        "params_json": json.dumps(params, sort_keys=True),
    }
    for key in BOOSTER_PARAMS:
        if key in params:
            record[key] = float(params[key])
    if "penalty" in params:  # a baseline's alpha or C
        record["penalty"] = float(params["penalty"])
    return record


#: the reference (unpenalized fit) column that one unit of a relative penalty is
RELATIVE_UNIT_COLUMN = {"reg_alpha": "first_tree_grad_abs_max", "reg_lambda": "first_tree_hess_mean"}


#: the key of ``reference_values`` that holds a failed reference fit's error (its columns are then missing)
REFERENCE_ERROR = "reference_error"


def failed_reference(record: dict) -> dict:
    """The reference values a group's failed reference fit leaves: no columns, only why it failed."""
    return {REFERENCE_ERROR: str(record.get("error") or "").split(" [at ")[0][:300]}


def resolve_penalties(fit_spec: FitSpec, reference_values: dict | None) -> dict:
    """A fit's raw parameters: each relative penalty times its unit from the group's unpenalized fit."""
    params = dict(fit_spec.params)
    for key in fit_spec.relative:
        unit = (reference_values or {}).get(RELATIVE_UNIT_COLUMN[key], np.nan)
        if not (unit is not None and np.isfinite(unit) and unit > 0):
            why = (reference_values or {}).get(REFERENCE_ERROR)
            raise BoostregError(
                f"relative {key} needs {RELATIVE_UNIT[key]} from the unpenalized fit's first tree, "
                + (f"but that fit failed: {why}" if why else f"which is {unit} (that fit failed or built no tree)")
            )
        params[key] = float(fit_spec.params[key] * unit)
    return params


def _relative_columns(fit_spec: FitSpec, params: dict, reference_values: dict | None) -> dict:
    """Each penalty in the data's units (reg_alpha / alpha_max, reg_lambda / H-bar) and the units its grid used."""
    out = {}
    for key in PENALTIES:
        if key in fit_spec.relative:
            out[f"{key}_relative"] = float(fit_spec.params[key])
        else:
            unit = (reference_values or {}).get(RELATIVE_UNIT_COLUMN[key], np.nan)
            ok = unit is not None and np.isfinite(unit) and unit > 0
            out[f"{key}_relative"] = float(params[key]) / unit if ok else (0.0 if params[key] == 0 else np.nan)
        out[f"{key}_units"] = "relative" if key in fit_spec.relative else "raw"
    return out


#: booster record columns the penalty axis takes from the group's unpenalized fit
BOOSTER_AXIS_COLUMNS = ("first_tree_grad_abs_max", "first_tree_hess_mean")


def _booster_axis(params: dict, reference_values: dict | None) -> dict:
    """penalty_kind and the normalized penalties of a booster fit (see boostreg.penalty_axis)."""
    ref = reference_values or {}
    a = penalty_axis.booster_l1(params["reg_alpha"], ref.get("first_tree_grad_abs_max", np.nan))
    l = penalty_axis.booster_l2(params["reg_lambda"], ref.get("first_tree_hess_mean", np.nan))
    kind = penalty_axis.booster_kind(params["reg_alpha"], params["reg_lambda"])
    return {
        "penalty_kind": kind,
        "alpha_normalized": a,
        "lambda_normalized": l,
        "penalty_normalized": penalty_axis.combine(kind, a, l),
    }


class FitKind:
    """What a fit's record takes from its engine's kind; this base is a baseline's (one ``penalty``, given raw;
    the engine measures its own penalty axis)."""

    #: the reference fit's columns, beyond the engine's magnitude column, that the group's other fits use
    axis_columns: tuple[str, ...] = ()

    def resolve(self, fit_spec: FitSpec, reference_values: dict | None) -> dict:
        """The raw parameters the engine fits."""
        return dict(fit_spec.params)

    def engine_params(self, fit_spec: FitSpec, params: dict) -> dict:
        """What the engine's ``fit`` and ``measure`` receive."""
        return params

    def relative_columns(self, fit_spec: FitSpec, params: dict, reference_values: dict | None) -> dict:
        """The penalties in the data's units (known before the fit)."""
        return {}

    def axis(self, params: dict, reference_values: dict | None) -> dict:
        """The penalty axis of a measured fit."""
        return {}


class BoosterKind(FitKind):
    """A booster: reg_alpha / reg_lambda, relative ones resolved against the reference fit's first tree; its
    theory check; its penalty axis from that first tree."""

    axis_columns = BOOSTER_AXIS_COLUMNS

    def resolve(self, fit_spec, reference_values):
        return resolve_penalties(fit_spec, reference_values)

    def engine_params(self, fit_spec, params):
        loop = {"_check": fit_spec.check, "_check_budget": fit_spec.check_budget, "_train_curve": fit_spec.train_curve}
        return {**params, **loop}

    def relative_columns(self, fit_spec, params, reference_values):
        return _relative_columns(fit_spec, params, reference_values)

    def axis(self, params, reference_values):
        return _booster_axis(params, reference_values)


FIT_KINDS: dict[str, FitKind] = {"booster": BoosterKind(), "baseline": FitKind()}


def fit_kind(engine) -> FitKind:
    """The :class:`FitKind` of an engine's records."""
    return FIT_KINDS[engine.kind]


def reference_columns(engine) -> tuple[str, ...]:
    """The columns of a group's reference (first) fit that the group's other fits are measured against."""
    return (engine.magnitude_column,) + fit_kind(engine).axis_columns


def error_text(err: BaseException, frames: int = 3) -> str:
    """A failed fit's error for its record: type and first line of the message, then its last frames (a
    :class:`FitTimeout`: its message, then where the fit was when its time ran out)."""
    timeout = isinstance(err, FitTimeout)
    head = (str(err) if timeout else f"{type(err).__name__}: {err}").splitlines()[0][:400]
    stack = [f for f in traceback.extract_tb(err.__traceback__) if not (timeout and f.name == ALARM_HANDLER)]
    stack = stack[-frames:]
    where = " <- ".join(f"{Path(f.filename).name}:{f.lineno} in {f.name}" for f in reversed(stack))
    return f"{head} [at {where}]" if where else head


def _is_finite_number(value) -> bool:
    """A metric a record can hold as "ok": a real, finite number (not NaN, inf, text or None)."""
    try:
        return not isinstance(value, (bool, str)) and bool(np.isfinite(float(value)))
    except (TypeError, ValueError):
        return False


def _check_measured(record: dict, measured: dict, engine) -> None:
    """Add what the engine measured to the record; raise (the fit fails, not the run) on a value its column cannot
    hold (a plug-in's text in a number column) or a metric that is NaN or infinite."""
    wrong = record_problems(measured, columns=getattr(engine, "record_columns", None))
    if wrong:
        record.update({k: v for k, v in measured.items() if k not in wrong})
        raise BoostregError(
            f"the engine's measure returned {'; '.join(list(wrong.values())[:3])}{', ...' if len(wrong) > 3 else ''}"
        )
    record.update(measured)
    # a metric that is NaN or infinite (predictions that overflowed on extreme data; a plugin's NaN) is
    # a failed fit, never an "ok" one that vanishes from summaries or wins a selection at -inf. Checked: the
    # primary metric (the record's errors) and, for regression, RMSE and MAE; a metric a model has no meaning for
    # (LinearSVC's log loss, without probabilities) is NaN by design and not checked
    scored = ["test_error", "train_error"] + (["valid_error"] if record.get("n_valid") else [])
    if record.get("task") == "regression":
        scored += ["test_rmse", "test_mae", "train_rmse", "train_mae"]
    bad = [f"{k} = {record[k]}" for k in scored if k in record and not _is_finite_number(record[k])]
    if bad:
        more = ", ..." if len(bad) > 3 else ""
        raise BoostregError(
            f"non-finite metric(s) {', '.join(bad[:3])}{more}: the model's predictions are NaN or "
            "infinite (the engine diverged on this data, or a plugin returned NaN)"
        )


# ---------------------------------------------------------------------------------------------- one group


@dataclass
class PreparedGroup:
    """A fold group made ready to fit: its fold, the identity columns every record shares, the engine's binned
    training data (or the error preparing it raised: every fit of the group then records it), the engine's
    version and the :class:`FitKind` of its records."""

    fold: Fold
    base: dict
    prepared: object
    error: Exception | None
    version: str
    kind: FitKind
    units: tuple[float, float] | None = None  # α_max and H̄ on every row (units.ALL_ROWS_COLUMNS), where asked


#: prepared folds kept per process: a worker mostly takes tasks of one group in a row, so it keeps the fold it
#: binned last; each fold kept costs its data copies and the engine's binned matrix in the worker's peak memory
_PREPARED: dict[tuple[str, int], PreparedGroup] = {}
PREPARED_CACHE_SIZE = 1


def prepare_group(
    group: FitGroup, engine, threads: int, data_file: str | None = None, with_units: bool = False
) -> PreparedGroup:
    """Bin a group's training fold once per process: later fits of the group here reuse it. ``data_file``: the
    run's saved copy of the cleaned dataset (:func:`boostreg.loading.cached_dataset`). ``with_units``: also
    fit one unpenalized tree on every row of the dataset for its α_max and H̄ (:func:`boostreg.units.all_rows_units`)."""
    key = (group.group_id, threads)
    if key in _PREPARED:
        _PREPARED[key] = _PREPARED.pop(key)  # most recently used last
        return _PREPARED[key]
    while len(_PREPARED) >= PREPARED_CACHE_SIZE:  # the folds kept before go before this one is cut: not both at once
        _PREPARED.pop(next(iter(_PREPARED)))
    ds = cached_dataset(group.dataset_spec, data_file)
    if ds.fingerprint != group.fingerprint:
        raise BoostregError(
            f"dataset '{group.dataset}' changed while the study ran (fingerprint "
            f"{ds.fingerprint} != {group.fingerprint}); run the study again."
        )
    units = all_rows_units(ds, engine, group.fixed) if with_units else None  # before the fold is cut: no extra peak
    if group.rows is not None:  # the rows the plan split once: the same for every engine of this fold and seed
        train, test = (np.asarray(r, dtype=np.int64) for r in group.rows)
    else:
        train, test = split_folds(ds, group.n_splits, group.seed, group.cv)[group.fold]
    valid_X = valid_y = valid = None
    n_valid = 0
    if group.validation_fraction:  # selection and early stopping: the same rows for every engine of the study
        train, valid = validation_split(
            train,
            ds.y,
            ds.task,
            group.validation_fraction,
            group.seed,
            groups=getattr(ds, "groups", None),
            classes=getattr(ds, "classes", None),
        )
        valid_X, valid_y, n_valid = ds.X.iloc[valid], ds.y[valid], len(valid)
    weight = getattr(ds, "weight", None)

    def weights(rows):  # the sample weights of these rows, aligned with them (None: every row weighs 1)
        return None if weight is None or rows is None else np.ascontiguousarray(weight[rows])

    fold = Fold(
        ds.X.iloc[train],
        ds.y[train],
        ds.X.iloc[test],
        ds.y[test],
        ds.task,
        primary_metric=group.primary_metric,
        noise_features=ds.noise,
        keep_leaves=group.keep_leaves,
        X_valid=valid_X,
        y_valid=valid_y,
        n_classes=len(ds.classes) if ds.task == "multiclass" else None,
        w_train=weights(train),
        w_test=weights(test),
        w_valid=weights(valid),
    )
    base = {
        "fold_digest": fold_digest(test),
        "n_train": len(train),
        "n_test": len(test),
        "n_features": ds.X.shape[1],
        "n_valid": n_valid,
    }
    prepared, error = None, None
    try:
        prepared = engine.prepare(fold, group.fixed, threads=threads)
    except Exception as err:  # noqa: BLE001 - an engine error is data: every fit of the group records it
        error = err
    entry = PreparedGroup(fold, base, prepared, error, engine.version(), fit_kind(engine), units)
    _PREPARED[key] = entry
    while len(_PREPARED) > PREPARED_CACHE_SIZE:
        _PREPARED.pop(next(iter(_PREPARED)))
    return entry


def fit_one(
    group: FitGroup,
    fit_spec: FitSpec,
    engine,
    ready: PreparedGroup,
    reference_values: dict | None,
    threads: int,
    fit_timeout: float | None = None,
) -> tuple[dict, pd.DataFrame | None, dict | None]:
    """Fit and measure one fit of a group: (record, curves, reference values) — the last are the group's
    reference columns, taken from this record when it is the group's reference fit, else ``reference_values``
    (a failed reference fit: :func:`failed_reference`, so the group's relative fits fail naming why). The engine's
    fit and measure together may take ``fit_timeout`` seconds (None: no limit); past it the fit fails with
    "timed out after N s (fit_timeout)"."""
    kind = ready.kind
    unresolved = {**fit_spec.params, **{k: np.nan for k in fit_spec.relative}}
    record = {**_identity(group, fit_spec, ready.version, unresolved), "kind": engine.kind, **ready.base}
    curves = None
    is_reference = fit_spec.fit_id == group.fits[0].fit_id
    try:
        if ready.error is not None:
            raise ready.error
        params = kind.resolve(fit_spec, reference_values)
        record.update(_identity(group, fit_spec, ready.version, params))
        record.update(kind.relative_columns(fit_spec, params, reference_values))
        engine_params = kind.engine_params(fit_spec, params)
        if fit_spec.is_default and getattr(engine, "own_default_fit", False):  # the estimator as users run it
            engine_params = {**params, "_default": True}
        with fit_deadline(fit_timeout):
            t0 = time.perf_counter()
            model = engine.fit(ready.prepared, engine_params, seed=group.seed, threads=threads)
            t1 = time.perf_counter()
            measured, curves = engine.measure(model, ready.prepared, engine_params, ready.fold)
            t2 = time.perf_counter()
            del model
        _check_measured(record, measured, engine)
        record.update(status="ok", fit_time_s=t1 - t0, measure_time_s=t2 - t1)
        record["generalization_gap"] = record["test_error"] - record["train_error"]
        if is_reference:  # its own columns are the group's reference values; its relative columns use them
            reference_values = {c: record.get(c, np.nan) for c in reference_columns(engine)}
            if ready.units is not None:
                record.update(zip(ALL_ROWS_COLUMNS, ready.units))
            record.update(kind.relative_columns(fit_spec, params, reference_values))
        magnitude = reference_values.get(engine.magnitude_column) if reference_values is not None else None
        record["shrinkage_vs_unpenalized"] = (
            measure.shrinkage(record[engine.magnitude_column], magnitude) if magnitude is not None else np.nan
        )
        record.update(kind.axis(params, reference_values))
    except (Exception, FitTimeout) as err:  # noqa: BLE001 - a fit that raises (or runs out of time) is a record
        # with status "failed"; the group goes on
        record.update(status="failed", error=error_text(err))
        curves = None
        if is_reference:  # the group's other fits say why their reference values are missing
            reference_values = failed_reference(record)
    return record, curves, reference_values


def run_fits(
    group: FitGroup,
    fit_ids,
    reference_values: dict | None,
    threads: int,
    engine=None,
    fit_timeout: float | None = None,
    *,
    data_file: str | None = None,
) -> list[tuple[dict, pd.DataFrame | None]]:
    """Fit these fits of one group, in the group's order (its reference first when among them); return
    (record, curves) pairs. ``reference_values``: the group's :func:`reference_columns` from its reference fit
    when that fit is not among these (None when it is; :func:`failed_reference` when it failed). ``engine``: the
    engine instance (a task carries it, so that an engine registered in the calling process works in any worker);
    default: the one registered under the group's engine name here. ``fit_timeout``: the seconds each fit may
    take (None: no limit; see :func:`fit_one`). ``data_file``: the run's saved copy of the cleaned dataset."""
    engine = engine if engine is not None else ENGINES[group.engine]
    wanted = set(fit_ids)
    ready = prepare_group(group, engine, threads, data_file, wants_all_rows_units(group, engine, wanted))
    out = []
    for fit_spec in group.fits:
        if fit_spec.fit_id not in wanted:
            continue
        record, curves, reference_values = fit_one(
            group, fit_spec, engine, ready, reference_values, threads, fit_timeout
        )
        out.append((record, curves))
    return out


def fit_counts(fits: pd.DataFrame) -> pd.DataFrame:
    """One row per dataset x engine: fits, failures, the largest theory-check error and exact-zero share."""
    rows = []
    for (dataset, engine), df in fits.groupby(["dataset", "engine"], sort=True):
        ok = df[df.status == "ok"]
        zeros = ok.zero_leaf_frac if ok.zero_leaf_frac.notna().any() else ok.zero_coef_frac
        rows.append(
            {
                "dataset": dataset,
                "engine": engine,
                "fits": len(df),
                "failed": int((df.status != "ok").sum()),
                "max_zero_frac": float(zeros.max()) if len(ok) else np.nan,
                "theory_max_rel_err": float(ok.theory_max_rel_err.max()) if len(ok) else np.nan,
            }
        )
    return pd.DataFrame(rows)
