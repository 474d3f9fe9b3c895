"""Append-only Parquet store of fit records and learning curves, one file per fit, written atomically.

Contract: ``OUT/fits/<fit_id>.parquet`` holds one fit record and ``OUT/curves/<fit_id>.parquet`` its
per-round errors. Each file is written to a hidden temporary name and renamed into place, curves first:
a fit file is the commit mark, so a killed run leaves no torn record, and a fit counts as stored exactly
when its fit file exists. ``pandas.read_parquet(OUT / "fits")`` reads the whole table (hidden files are
skipped). Nothing is ever rewritten except a curves file left by a fit whose record never landed.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

#: Every fit-table column and its type, so that parts written by ok and failed fits share one schema.
FIT_SCHEMA = pa.schema([
    ("study", pa.string()), ("dataset", pa.string()), ("task", pa.string()), ("engine", pa.string()),
    ("engine_version", pa.string()), ("fold", pa.int64()), ("seed", pa.int64()), ("n_splits", pa.int64()),
    ("fold_digest", pa.string()), ("fit_id", pa.string()), ("group_id", pa.string()), ("in_grid", pa.bool_()),
    ("is_default", pa.bool_()), ("status", pa.string()), ("error", pa.string()),
    ("reg_alpha", pa.float64()), ("reg_lambda", pa.float64()),
    # the penalties in the data's units (reg_alpha / alpha_max, reg_lambda / H-bar) and the units the grid gave
    ("reg_alpha_relative", pa.float64()), ("reg_lambda_relative", pa.float64()),
    ("reg_alpha_units", pa.string()), ("reg_lambda_units", pa.string()),
    ("n_estimators", pa.float64()), ("learning_rate", pa.float64()), ("max_depth", pa.float64()),
    ("num_leaves", pa.float64()), ("max_leaves", pa.float64()), ("min_child_weight", pa.float64()),
    ("min_child_samples", pa.float64()), ("max_delta_step", pa.float64()), ("subsample", pa.float64()),
    ("colsample_bytree", pa.float64()), ("max_bin", pa.float64()), ("gamma", pa.float64()),
    ("early_stopping_rounds", pa.float64()), ("validation_fraction", pa.float64()), ("n_valid", pa.int64()),
    ("valid_error", pa.float64()),
    ("params_json", pa.string()), ("n_train", pa.int64()), ("n_test", pa.int64()), ("n_features", pa.int64()),
    ("primary_metric", pa.string()), ("train_error", pa.float64()), ("test_error", pa.float64()),
    ("generalization_gap", pa.float64()),
    ("train_rmse", pa.float64()), ("test_rmse", pa.float64()), ("train_mae", pa.float64()), ("test_mae", pa.float64()),
    ("train_r2", pa.float64()), ("test_r2", pa.float64()),
    ("train_logloss", pa.float64()), ("test_logloss", pa.float64()), ("train_auc", pa.float64()),
    ("test_auc", pa.float64()), ("train_accuracy", pa.float64()), ("test_accuracy", pa.float64()),
    # measured counts are float64 so that a failed fit's nulls do not change the column's dtype
    ("n_trees", pa.float64()), ("n_leaves_mean", pa.float64()), ("n_leaves_max", pa.float64()),
    ("n_leaves_total", pa.float64()), ("depth_mean", pa.float64()), ("depth_max", pa.float64()),
    ("n_features_used", pa.float64()), ("n_noise_features_used", pa.float64()),
    ("leaf_abs_mean", pa.float64()), ("zero_leaf_frac", pa.float64()), ("shrinkage_vs_unpenalized", pa.float64()),
    ("theory_max_rel_err", pa.float64()), ("theory_max_plain_rel_err", pa.float64()),
    ("theory_max_abs_err", pa.float64()), ("theory_check", pa.string()),
    ("fit_time_s", pa.float64()), ("measure_time_s", pa.float64()),
    # baselines (scikit-learn linear models and SVMs): the estimator's alpha or C, coefficient sizes, support vectors
    ("penalty_kind", pa.string()), ("penalty", pa.float64()),
    ("coef_abs_mean", pa.float64()), ("coef_l1_norm", pa.float64()), ("coef_l2_norm", pa.float64()),
    ("zero_coef_frac", pa.float64()), ("n_support", pa.float64()), ("support_frac", pa.float64()),
    # one dimensionless penalty axis for every engine (boostreg.penalty_axis)
    ("alpha_normalized", pa.float64()), ("lambda_normalized", pa.float64()), ("penalty_normalized", pa.float64()),
    ("first_tree_grad_abs_max", pa.float64()), ("first_tree_hess_mean", pa.float64()),
    # the prior view of the weights: leaf values or coefficients (boostreg.prior)
    ("prior_laplace_scale", pa.float64()), ("prior_gauss_scale", pa.float64()),
    ("prior_loglik_laplace", pa.float64()), ("prior_loglik_gauss", pa.float64()),
    ("prior_implied_l1", pa.float64()), ("prior_implied_l2", pa.float64()),
])

LEAF_SCHEMA = pa.schema([("fit_id", pa.string()), ("tree", pa.int64()), ("leaf", pa.int64()),
                         ("value", pa.float64()), ("theory", pa.float64()), ("G", pa.float64()), ("H", pa.float64())])

CURVE_SCHEMA = pa.schema([("fit_id", pa.string()), ("round", pa.int64()),
                          ("train_error", pa.float64()), ("test_error", pa.float64()), ("valid_error", pa.float64())])


def read_fits_file(path: str | Path) -> pd.DataFrame:
    """Fit records from one Parquet file written by :meth:`ParquetStore.export_fits`."""
    from .errors import BoostregError

    path = Path(path)
    try:
        schema = pq.read_schema(path)
    except (OSError, pa.ArrowInvalid) as err:
        raise BoostregError(f"cannot read '{path}' as Parquet ({type(err).__name__}); give a file written by "
                            "'boostreg export' or a run's --out folder.") from None
    missing = [c for c in ("fit_id", "engine", "status", "dataset") if c not in schema.names]
    if missing:
        raise BoostregError(f"'{path}' is not a file of fit records (no column {missing[0]}); give a file written by "
                            "'boostreg export' or a run's --out folder.")
    return pq.read_table(path).to_pandas()


def _table(frame: pd.DataFrame, schema: pa.Schema) -> pa.Table:
    unknown = set(frame.columns) - set(schema.names)
    if unknown:
        raise KeyError(f"columns missing from the store schema: {sorted(unknown)}")
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


def _write_atomic(table: pa.Table, path: Path, **options) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    pq.write_table(table, tmp, **options)
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, path)


class ParquetStore:
    """The fits and curves of one output folder."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.fits_dir = self.root / "fits"
        self.curves_dir = self.root / "curves"

    def create(self) -> None:
        """Make the folders, and remove temporary files that a killed run left half-written."""
        for folder in (self.fits_dir, self.curves_dir, self.root / "leaves"):
            folder.mkdir(parents=True, exist_ok=True)
            for stale in folder.glob(".*.tmp"):
                stale.unlink(missing_ok=True)

    def fit_ids(self) -> set[str]:
        """The fit_ids already stored (a fit is stored when its fit file exists)."""
        if not self.fits_dir.exists():
            return set()
        return {p.name[:-8] for p in os.scandir(self.fits_dir) if p.name.endswith(".parquet") and not p.name.startswith(".")}

    def write(self, record: dict, curves: pd.DataFrame | None) -> None:
        """Store one fit: its curves and leaves (a record's ``"_leaves"`` frame), then its record (the commit mark)."""
        record = dict(record)
        leaves = record.pop("_leaves", None)
        fit_id = record["fit_id"]
        if curves is not None and len(curves):
            curves = curves.assign(fit_id=fit_id)
            _write_atomic(_table(curves, CURVE_SCHEMA), self.curves_dir / f"{fit_id}.parquet")
        if leaves is not None and len(leaves):
            (self.root / "leaves").mkdir(exist_ok=True)
            _write_atomic(_table(leaves.assign(fit_id=fit_id), LEAF_SCHEMA), self.root / "leaves" / f"{fit_id}.parquet")
        _write_atomic(_table(pd.DataFrame([record]), FIT_SCHEMA), self.fits_dir / f"{fit_id}.parquet")

    def fits(self) -> pd.DataFrame:
        """All fit records (empty frame with the schema's columns when none)."""
        if not self.fit_ids():
            return FIT_SCHEMA.empty_table().to_pandas()
        return pq.read_table(self.fits_dir, schema=FIT_SCHEMA).to_pandas()

    def export_fits(self, path: str | Path) -> int:
        """Write every fit record to one Parquet file (zstd), atomically; return the number of records."""
        table = pq.read_table(self.fits_dir, schema=FIT_SCHEMA).sort_by("fit_id")
        path = Path(path)
        _write_atomic(table, path, compression="zstd")
        return table.num_rows

    def leaves(self) -> pd.DataFrame:
        """Per-leaf values of the fits that stored them (empty frame when none)."""
        leaves_dir = self.root / "leaves"
        if not leaves_dir.exists() or not any(leaves_dir.glob("*.parquet")):
            return LEAF_SCHEMA.empty_table().to_pandas()
        frame = pq.read_table(leaves_dir, schema=LEAF_SCHEMA).to_pandas()
        return frame[frame["fit_id"].isin(self.fit_ids())].reset_index(drop=True)

    def curves(self) -> pd.DataFrame:
        """Per-round errors of the stored fits (curves of fits whose record never landed are left out)."""
        if not self.curves_dir.exists() or not any(self.curves_dir.glob("*.parquet")):
            return CURVE_SCHEMA.empty_table().to_pandas()
        frame = pq.read_table(self.curves_dir, schema=CURVE_SCHEMA).to_pandas()
        return frame[frame["fit_id"].isin(self.fit_ids())].reset_index(drop=True)

