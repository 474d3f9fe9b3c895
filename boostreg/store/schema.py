"""The fit table's schema (boostreg's columns and every engine's ``record_columns``), and records as Arrow tables.

Records written before a column existed read with that column null; the ``kind`` column (each engine's
"booster" / "baseline") is filled from the registry for them (:func:`with_kind`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from ..engines import ENGINES, engine_kind

#: Every fit-table column and its type, so that parts written by ok and failed fits share one schema.
FIT_SCHEMA = pa.schema(
    [
        ("study", pa.string()),
        ("study_fingerprint", pa.string()),
        ("dataset", pa.string()),
        ("task", pa.string()),
        ("engine", pa.string()),
        ("kind", pa.string()),  # the engine's kind: "booster" or "baseline"
        ("engine_version", pa.string()),
        ("fold", pa.int64()),
        ("seed", pa.int64()),
        ("n_splits", pa.int64()),
        ("fold_digest", pa.string()),
        ("fit_id", pa.string()),
        ("group_id", pa.string()),
        ("in_grid", pa.bool_()),
        ("is_default", pa.bool_()),
        ("point_label", pa.string()),
        ("status", pa.string()),
        ("error", pa.string()),
        ("reg_alpha", pa.float64()),
        ("reg_lambda", pa.float64()),
        # the penalties in the data's units (reg_alpha / alpha_max, reg_lambda / H-bar) and the units the grid gave
        ("reg_alpha_relative", pa.float64()),
        ("reg_lambda_relative", pa.float64()),
        ("reg_alpha_units", pa.string()),
        ("reg_lambda_units", pa.string()),
        ("n_estimators", pa.float64()),
        ("learning_rate", pa.float64()),
        ("max_depth", pa.float64()),
        ("num_leaves", pa.float64()),
        ("max_leaves", pa.float64()),
        ("min_child_weight", pa.float64()),
        ("min_child_samples", pa.float64()),
        ("max_delta_step", pa.float64()),
        ("subsample", pa.float64()),
        ("colsample_bytree", pa.float64()),
        ("max_bin", pa.float64()),
        ("gamma", pa.float64()),
        ("early_stopping_rounds", pa.float64()),
        ("validation_fraction", pa.float64()),
        ("n_valid", pa.int64()),
        ("valid_error", pa.float64()),
        ("params_json", pa.string()),
        ("n_train", pa.int64()),
        ("n_test", pa.int64()),
        ("n_features", pa.int64()),
        ("primary_metric", pa.string()),
        ("train_error", pa.float64()),
        ("test_error", pa.float64()),
        ("generalization_gap", pa.float64()),
        ("train_rmse", pa.float64()),
        ("test_rmse", pa.float64()),
        ("train_mae", pa.float64()),
        ("test_mae", pa.float64()),
        ("train_r2", pa.float64()),
        ("test_r2", pa.float64()),
        ("train_logloss", pa.float64()),
        ("test_logloss", pa.float64()),
        ("train_auc", pa.float64()),
        ("test_auc", pa.float64()),
        ("train_accuracy", pa.float64()),
        ("test_accuracy", pa.float64()),
        # measured counts are float64 so that a failed fit's nulls do not change the column's dtype
        ("n_trees", pa.float64()),
        ("n_leaves_mean", pa.float64()),
        ("n_leaves_max", pa.float64()),
        ("n_leaves_total", pa.float64()),
        ("depth_mean", pa.float64()),
        ("depth_max", pa.float64()),
        ("n_features_used", pa.float64()),
        ("n_noise_features_used", pa.float64()),
        ("leaf_abs_mean", pa.float64()),
        ("zero_leaf_frac", pa.float64()),
        # multiclass: per class (JSON list in class-code order) leaf_abs_mean, zero_leaf_frac, n_leaves_total and the
        # first tree's grad_abs_max / hess_mean (boostreg.softmax.per_class_json)
        ("per_class_json", pa.string()),
        ("shrinkage_vs_unpenalized", pa.float64()),
        ("theory_max_rel_err", pa.float64()),
        ("theory_max_plain_rel_err", pa.float64()),
        ("theory_max_abs_err", pa.float64()),
        ("theory_check", pa.string()),
        ("fit_time_s", pa.float64()),
        ("measure_time_s", pa.float64()),
        # baselines (scikit-learn linear models and SVMs): the estimator's alpha or C, coefficient sizes, support
        # vectors
        ("penalty_kind", pa.string()),
        ("penalty", pa.float64()),
        ("coef_abs_mean", pa.float64()),
        ("coef_l1_norm", pa.float64()),
        ("coef_l2_norm", pa.float64()),
        ("zero_coef_frac", pa.float64()),
        ("n_support", pa.float64()),
        ("support_frac", pa.float64()),
        # one dimensionless penalty axis for every engine (boostreg.penalty_axis)
        ("alpha_normalized", pa.float64()),
        ("lambda_normalized", pa.float64()),
        ("penalty_normalized", pa.float64()),
        ("first_tree_grad_abs_max", pa.float64()),
        ("first_tree_hess_mean", pa.float64()),
        # the same on every row of the dataset (fold 0's unpenalized fit of a relative grid): the answer's raw units
        ("all_rows_grad_abs_max", pa.float64()),
        ("all_rows_hess_mean", pa.float64()),
        # the prior view of the weights: leaf values or coefficients (boostreg.prior)
        ("prior_laplace_scale", pa.float64()),
        ("prior_gauss_scale", pa.float64()),
        ("prior_loglik_laplace", pa.float64()),
        ("prior_loglik_gauss", pa.float64()),
        ("prior_implied_l1", pa.float64()),
        ("prior_implied_l2", pa.float64()),
    ]
)

LEAF_SCHEMA = pa.schema(
    [
        ("fit_id", pa.string()),
        ("tree", pa.int64()),
        ("leaf", pa.int64()),
        ("value", pa.float64()),
        ("theory", pa.float64()),
        ("G", pa.float64()),
        ("H", pa.float64()),
    ]
)

CURVE_SCHEMA = pa.schema(
    [
        ("fit_id", pa.string()),
        ("round", pa.int64()),
        ("train_error", pa.float64()),
        ("test_error", pa.float64()),
        ("valid_error", pa.float64()),
    ]
)

#: a run folder's tables (its subfolders) and their schemas (the fit table's: :func:`fit_schema`)
TABLES = {"fits": FIT_SCHEMA, "curves": CURVE_SCHEMA, "leaves": LEAF_SCHEMA}

_ARROW = {"float64": pa.float64(), "string": pa.string(), "bool": pa.bool_(), "int64": pa.int64()}


def fit_schema() -> pa.Schema:
    """The fit table's schema: boostreg's columns, then every registered engine's ``record_columns``."""
    extra = {}
    for engine in ENGINES.values():
        for name, kind in getattr(engine, "record_columns", {}).items():
            if name not in FIT_SCHEMA.names:
                extra.setdefault(name, _ARROW[kind])
    return pa.schema(list(FIT_SCHEMA) + [pa.field(n, t) for n, t in sorted(extra.items())]) if extra else FIT_SCHEMA


def _check_columns(names, schema: pa.Schema) -> None:
    unknown = set(names) - set(schema.names)
    if unknown:
        raise KeyError(f"columns missing from the store schema: {sorted(unknown)}")


def frame_table(frame: pd.DataFrame, schema: pa.Schema) -> pa.Table:
    _check_columns(frame.columns, schema)
    arrays = []
    for f in schema:
        if f.name in frame:
            col = frame[f.name]
            if pa.types.is_integer(f.type):
                col = pd.to_numeric(col).astype("Int64")
            arrays.append(pa.array(col, type=f.type, from_pandas=True))
        else:
            arrays.append(pa.nulls(len(frame), type=f.type))
    return pa.Table.from_arrays(arrays, schema=schema)


def record_table(record: dict, schema: pa.Schema) -> pa.Table:
    """One fit record as a one-row table: the same table as ``frame_table(pd.DataFrame([record]), schema)`` (NaN and
    None are null, a missing column is null), without building a DataFrame: the parent writes every record, so
    this is on the run's critical path."""
    _check_columns(record, schema)
    arrays = [_record_array(record.get(f.name), f) for f in schema]
    return pa.Table.from_arrays(arrays, schema=schema)


def _record_array(value, f: pa.Field) -> pa.Array:
    """One record value as a one-row array of its column's type (raises when the value is not of that type)."""
    if pa.types.is_integer(f.type) and value is not None and not isinstance(value, (int, np.integer)):
        value = pd.to_numeric(pd.Series([value])).astype("Int64").iloc[0]  # as _table: 3.0 -> 3, NaN -> null
    return pa.array([value], type=f.type, from_pandas=True)


def record_problems(values: dict, schema: pa.Schema | None = None, columns: dict | None = None) -> dict[str, str]:
    """The values of a (partial) fit record that its table cannot store, {column: why}: a column not in the schema,
    or a value not of its column's type (text in a number column). A fit checks what its engine measured with this,
    so a wrong value fails that fit instead of the run's writing. ``columns``: the engine's ``record_columns``
    (a worker's registry may lack an engine registered in the calling process)."""
    schema = schema if schema is not None else fit_schema()
    extra = [pa.field(n, _ARROW[k]) for n, k in (columns or {}).items() if n not in schema.names and k in _ARROW]
    if extra:
        schema = pa.schema(list(schema) + extra)
    problems, names = {}, set(schema.names)
    for name, value in values.items():
        if name.startswith("_"):  # not a column: e.g. "_leaves", the frame the store writes apart
            continue
        if name not in names:
            problems[name] = f"column '{name}' is not in the record schema (declare it in the engine's record_columns)"
            continue
        f = schema.field(name)
        try:
            _record_array(value, f)
        except (pa.ArrowException, ValueError, TypeError, OverflowError):
            problems[name] = f"{name} = {value!r} ({type(value).__name__}) is not a {f.type} value"
    return problems


def with_kind(fits: pd.DataFrame) -> pd.DataFrame:
    """Fit records with every ``kind`` known: records written before the column existed get their engine's kind
    from the registry (:func:`boostreg.engines.engine_kind`)."""
    if "engine" not in fits or not len(fits):
        return fits
    missing = fits["kind"].isna() if "kind" in fits else pd.Series(True, index=fits.index)
    if missing.any():
        fits = fits.copy()
        kinds = {name: engine_kind(name) for name in fits.loc[missing, "engine"].dropna().unique()}
        fits.loc[missing, "kind"] = fits.loc[missing, "engine"].map(kinds)
    return fits
