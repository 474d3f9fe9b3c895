"""Append-only Parquet store of fit records, learning curves and leaves, written atomically and kept readable.

Contract:

* While a run goes, ``OUT/fits/<fit_id>.parquet`` holds one fit record and ``OUT/curves/<fit_id>.parquet`` (and
  ``OUT/leaves/<fit_id>.parquet``) its per-round errors (leaves). Each file is written to a hidden temporary name
  and renamed into place, curves and leaves first: a fit file is the commit mark, so a killed run leaves no torn
  record, and a fit counts as stored exactly when its record is.
* When a run ends (or the next one starts), the one-fit files are **compacted** into one ``segment-*.parquet``
  per table: the segment is written and renamed into place first, then the one-fit files it holds are removed,
  so a crash in between leaves duplicates that readers drop and the next run removes.
* **Self-healing**: a file that cannot be read (truncated, not Parquet) is moved to ``OUT/quarantine/`` with one
  warning and its fit is done again; readers skip unreadable files with a warning instead of failing.
* Failed fits are moved out of the table (to ``OUT/quarantine/failed-*.parquet``, for the record) when a run
  starts, so they are tried again.
* ``pandas.read_parquet(OUT / "fits")`` reads the whole table (hidden files are skipped).
* ``OUT/study.json`` holds the study's fingerprint (what its records depend on); every record carries it as
  ``study_fingerprint``. Earlier studies kept with ``--force`` live apart under ``OUT/previous/<fingerprint>/``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

#: Every fit-table column and its type, so that parts written by ok and failed fits share one schema.
FIT_SCHEMA = pa.schema([
    ("study", pa.string()), ("study_fingerprint", pa.string()), ("dataset", pa.string()), ("task", pa.string()), ("engine", pa.string()),
    ("engine_version", pa.string()), ("fold", pa.int64()), ("seed", pa.int64()), ("n_splits", pa.int64()),
    ("fold_digest", pa.string()), ("fit_id", pa.string()), ("group_id", pa.string()), ("in_grid", pa.bool_()),
    ("is_default", pa.bool_()), ("point_label", pa.string()), ("status", pa.string()), ("error", pa.string()),
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


_ARROW = {"float64": pa.float64(), "string": pa.string(), "bool": pa.bool_(), "int64": pa.int64()}


def fit_schema() -> pa.Schema:
    """The fit table's schema: boostreg's columns, then every registered engine's ``record_columns``."""
    try:
        from .engines import ENGINES
    except ImportError:  # pragma: no cover - the store is usable without the engines
        return FIT_SCHEMA
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


def _table(frame: pd.DataFrame, schema: pa.Schema) -> pa.Table:
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


def _record_table(record: dict, schema: pa.Schema) -> pa.Table:
    """One fit record as a one-row table: the same table as ``_table(pd.DataFrame([record]), schema)`` (NaN and
    None are null, a missing column is null), without building a DataFrame, which took 7 ms of the parent's time
    per fit, one third of the default study's writing."""
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


def _write_atomic(table: pa.Table, path: Path, **options) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    pq.write_table(table, tmp, **options)
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, path)


SEGMENT_PREFIX = "segment-"
#: one-fit files live until the run's compaction: no dictionaries or statistics (of one row), 0.5 ms a file less
SINGLE = {"use_dictionary": False, "write_statistics": False}
TABLES = {"fits": FIT_SCHEMA, "curves": CURVE_SCHEMA, "leaves": LEAF_SCHEMA}


def _is_parquet(path: Path) -> bool:
    """Cheap integrity check: a Parquet file starts and ends with the magic bytes PAR1 (a truncated one does not)."""
    try:
        size = path.stat().st_size
        if size < 12:
            return False
        with open(path, "rb") as fh:
            start = fh.read(4)
            fh.seek(-4, os.SEEK_END)
            return start == b"PAR1" and fh.read(4) == b"PAR1"
    except OSError:
        return False


#: a one-fit file: its fit_id (16 hex digits, boostreg.plan) and .parquet
_FIT_FILE = re.compile(r"[0-9a-f]{16}\.parquet")
#: the columns that make a Parquet file of a table folder one of its record files
_KEY_COLUMNS = {"fits": {"fit_id", "status"}, "curves": {"fit_id", "round"}, "leaves": {"fit_id", "tree", "leaf"}}
#: (path, mtime, size) -> whether the file is a record file, so each segment's schema is read once
_OURS_CACHE: dict[tuple, bool] = {}


def _is_record_file(path: Path, table: str) -> bool:
    """A record file of a table: a one-fit file named by its fit_id, or a segment (``segment-*.parquet``) with the
    table's key columns. A segment that cannot be read is ours (torn: quarantined and redone); any other file (a
    user's Parquet file, an export copied there) is not: never read, moved or deleted."""
    if _FIT_FILE.fullmatch(path.name):
        return True
    if not path.name.startswith(SEGMENT_PREFIX):
        return False
    try:
        st = path.stat()
    except OSError:
        return False
    key = (str(path), st.st_mtime_ns, st.st_size)
    if key not in _OURS_CACHE:
        try:
            ours = _KEY_COLUMNS.get(table, {"fit_id"}) <= set(pq.read_schema(path).names)
        except (OSError, pa.ArrowInvalid):
            ours = True
        if len(_OURS_CACHE) > 4096:
            _OURS_CACHE.clear()
        _OURS_CACHE[key] = ours
    return _OURS_CACHE[key]


def _visible(folder: Path) -> list[Path]:
    """The record files of a table folder (files of other origin are left out: see ``ParquetStore.foreign_files``)."""
    if not folder.exists():
        return []
    return sorted(p for p in (Path(e.path) for e in os.scandir(folder) if e.name.endswith(".parquet")
                              and not e.name.startswith(".") and e.is_file()) if _is_record_file(p, folder.name))


def _warn(message: str) -> None:
    warnings.warn(message, UserWarning, stacklevel=3)


class _SegmentWriter:
    """Rows of one table streamed into a new segment: written to a hidden temporary file a row group of about
    ``rows_per_group`` rows at a time (memory holds one row group, not the table), renamed into place by
    :meth:`commit`. Text columns get dictionaries; float columns of distinct values (leaf values, G, H) do not:
    there a dictionary never pays, and building one doubled the merge's memory."""

    def __init__(self, target: Path, schema: pa.Schema, rows_per_group: int):
        self.target, self.schema, self.rows_per_group = target, schema, rows_per_group
        self.tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        self.text = [f.name for f in schema if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)]
        self._writer, self._batch, self._pending, self.rows, self._consolidated = None, [], 0, 0, 0

    #: tables added before they are copied into one: a one-row record table holds ~100 buffers of its own. Writing
    #: the default study's fits, curves and leaves, streaming grew the parent by 170 MiB more than not streaming
    #: with every table kept apart, and by 17 MiB with this copying
    CONSOLIDATE = 64

    def add(self, table: pa.Table) -> None:
        self._batch.append(table)
        self._pending += table.num_rows
        if self._pending >= self.rows_per_group:
            self._flush()
        elif len(self._batch) >= self._consolidated + self.CONSOLIDATE:
            loose = self._batch[self._consolidated:]
            self._batch[self._consolidated:] = [pa.concat_tables(loose).combine_chunks()]
            self._consolidated += 1

    def _flush(self) -> None:
        if self._batch:
            data = pa.concat_tables(self._batch)
            if self._writer is None:  # created on the first rows: nothing added, no segment
                self._writer = pq.ParquetWriter(self.tmp, self.schema, compression="zstd",
                                                use_dictionary=self.text or False)
            self._writer.write_table(data)
            self.rows += data.num_rows
            self._batch, self._pending, self._consolidated = [], 0, 0

    def commit(self) -> int:
        """Write what is left, then rename the segment into place (after fsync); return its rows (0: none, no file)."""
        try:
            self._flush()
        except BaseException:
            self.abort()
            raise
        if self._writer is None:
            return 0
        self._writer.close()
        with open(self.tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(self.tmp, self.target)
        return self.rows

    def abort(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        self._batch, self._consolidated = [], 0
        self.tmp.unlink(missing_ok=True)


def _segment_name() -> str:
    return f"{SEGMENT_PREFIX}{time.strftime('%Y%m%dT%H%M%S')}-{time.time_ns() % 10**9:09d}.parquet"


class ParquetStore:
    """The fits, curves and leaves of one output folder (see the module docstring for the contract)."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.fits_dir = self.root / "fits"
        self.curves_dir = self.root / "curves"
        self.leaves_dir = self.root / "leaves"
        self.quarantine_dir = self.root / "quarantine"
        #: what this store wrote, streamed into each table's next segment as it goes: (writer, fit_ids, whether
        #: every fit_id was written once); compact() renames it into place instead of reading every one-fit file
        #: back (3 ms a file: 10 s at the end of the default study)
        self._live: dict[str, tuple[_SegmentWriter, set, bool]] = {}

    def _dir(self, table: str) -> Path:
        return self.root / table

    def record_files(self, table: str) -> list[Path]:
        """The table's record files: one-fit files and segments (never a user's file left there)."""
        return _visible(self._dir(table))

    def foreign_files(self, table: str | None = None) -> list[Path]:
        """Files in fits/, curves/ or leaves/ that boostreg did not write (a user's Parquet file, notes): never read,
        moved or deleted."""
        found = []
        for name in [table] if table else list(TABLES):
            folder = self._dir(name)
            if not folder.is_dir():
                continue
            ours = set(_visible(folder))
            found += sorted(Path(e.path) for e in os.scandir(folder)
                            if not e.name.startswith((".", "_")) and Path(e.path) not in ours)
        return found

    def create(self) -> None:
        """Make the folders, and remove temporary files that a killed run left half-written."""
        for folder in (self.fits_dir, self.curves_dir, self.leaves_dir):
            folder.mkdir(parents=True, exist_ok=True)
            for stale in folder.glob(".*.tmp"):
                stale.unlink(missing_ok=True)

    # ------------------------------------------------------------------------------------------ healing

    def _quarantine(self, path: Path, why: str) -> Path:
        sub = path.parent.name if path.parent.resolve() != self.root.resolve() else ""
        target = self.quarantine_dir / sub / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            target = target.with_name(f"{target.stem}-{time.time_ns()}{target.suffix}")
        os.replace(path, target)
        return target

    def heal(self) -> list[str]:
        """Move unreadable files to OUT/quarantine (their fits are done again) and drop one-fit files that a
        segment already holds (a compaction cut short); return what was done, one line each."""
        notes = []
        for table in TABLES:
            bad = [p for p in _visible(self._dir(table)) if not _is_parquet(p)]
            for p in bad:
                self._quarantine(p, "unreadable")
            if bad:
                notes.append(f"{len(bad)} unreadable file(s) in {self._dir(table)} (e.g. {bad[0].name}: truncated or not "
                             f"Parquet) moved to {self.quarantine_dir / table}; their fits will be done again")
            segments = [p for p in _visible(self._dir(table)) if p.name.startswith(SEGMENT_PREFIX)]
            if segments:
                held = set()
                for seg in segments:
                    held |= set(self._read_ids(seg))
                for p in _visible(self._dir(table)):
                    if not p.name.startswith(SEGMENT_PREFIX) and p.stem in held:
                        p.unlink(missing_ok=True)
        foreign = self.foreign_files()
        if foreign:
            notes.append(f"{len(foreign)} file(s) in {self.root} that boostreg did not write (e.g. "
                         f"{foreign[0].relative_to(self.root)}) are left alone and not read as records; move them out "
                         "of fits/, curves/ and leaves/ so that pandas.read_parquet reads only the run's records")
        return notes

    def drop_failed(self) -> int:
        """Move the records of failed fits out of the table (to OUT/quarantine/failed-*.parquet) so that the next
        run tries them again; return how many."""
        fits = self.fits()
        failed = fits[fits.status != "ok"] if len(fits) else fits
        if failed.empty:
            return 0
        self.quarantine_dir.mkdir(parents=True, exist_ok=True)
        _write_atomic(_table(failed, fit_schema()), self.quarantine_dir / f"failed-{time.time_ns()}.parquet")
        self.remove(set(failed.fit_id))
        return len(failed)

    def remove(self, fit_ids: set[str]) -> None:
        """Remove these fits' records, curves and leaves (segments are rewritten without them, atomically)."""
        gone = sorted(set(fit_ids))
        if not gone:
            return
        for table, schema in TABLES.items():
            schema = fit_schema() if table == "fits" else schema
            for p in _visible(self._dir(table)):
                if p.name.startswith(SEGMENT_PREFIX):
                    data = pq.read_table(p, schema=schema)
                    keep = data.filter(pc.invert(pc.is_in(data["fit_id"], value_set=pa.array(gone))))
                    if keep.num_rows == data.num_rows:
                        continue
                    if keep.num_rows:
                        _write_atomic(keep, p, compression="zstd")
                    else:
                        p.unlink()
                elif p.stem in gone:
                    p.unlink()

    def compact(self) -> int:
        """Merge every one-fit file of each table into one new segment (crash-safe); return the records merged.

        The rows this store wrote are already in the segment's temporary file (``_stream``); only one-fit files it
        did not write (a killed run's) are read. If a file it wrote is gone or a fit was written twice, that
        segment is dropped and every one-fit file is read, as before streaming."""
        merged = 0
        for table, schema in TABLES.items():
            schema = fit_schema() if table == "fits" else schema
            singles = [p for p in _visible(self._dir(table)) if not p.name.startswith(SEGMENT_PREFIX)]
            writer, held = None, set()
            live = self._live.pop(table, None)
            if live is not None:
                writer, held, clean = live
                if not (clean and held <= {p.stem for p in singles}):
                    writer.abort()
                    writer, held = None, set()
            if not singles:
                continue
            writer = writer or _SegmentWriter(self._dir(table) / _segment_name(), schema, self.MERGE_ROWS)
            rows = self._merge(table, [p for p in singles if p.stem not in held], schema, writer)
            for p in singles:
                p.unlink(missing_ok=True)
            if table == "fits":
                merged = rows
        return merged

    #: rows gathered before one row group of a compacted segment is written
    MERGE_ROWS = 1 << 15

    def _merge(self, table: str, singles: list[Path], schema: pa.Schema, writer: _SegmentWriter) -> int:
        """Stream one-fit files into ``writer``'s segment and commit it (crash-safe: a temporary file renamed at
        the end); unreadable files go to quarantine. Returns the segment's rows (0: nothing readable, no segment)."""
        try:
            for p in singles:
                try:
                    part = pq.read_table(p, schema=schema, use_threads=False)
                except (OSError, pa.ArrowInvalid):
                    self._quarantine(p, "unreadable")
                    _warn(f"unreadable file {p.name} in {self._dir(table)} moved to {self.quarantine_dir / table}")
                    continue
                writer.add(part)
        except BaseException:
            writer.abort()
            raise
        return writer.commit()

    def _stream(self, table: str, data: pa.Table, fit_id: str) -> None:
        """Add one fit's rows, just written to their one-fit file, to the table's next segment."""
        if table not in self._live:
            schema = fit_schema() if table == "fits" else TABLES[table]
            self._live[table] = (_SegmentWriter(self._dir(table) / _segment_name(), schema, self.MERGE_ROWS), set(), True)
        writer, ids, clean = self._live[table]
        if fit_id in ids:  # written twice: the segment would hold both; compact() reads the files instead
            self._live[table] = (writer, ids, False)
            return
        ids.add(fit_id)
        writer.add(data)

    # ------------------------------------------------------------------------------------------ reading

    @staticmethod
    def _read_ids(path: Path) -> list[str]:
        try:
            return pq.read_table(path, columns=["fit_id"]).column("fit_id").to_pylist()
        except (OSError, pa.ArrowInvalid, KeyError):
            return []

    def fit_ids(self) -> set[str]:
        """The fit_ids already stored (a fit is stored when its record is)."""
        ids = set()
        for p in _visible(self.fits_dir):
            if p.name.startswith(SEGMENT_PREFIX):
                ids |= set(self._read_ids(p))
            else:
                ids.add(p.stem)
        return ids

    def _read(self, table: str) -> pd.DataFrame:
        """Every readable file of a table (unreadable ones are skipped with a warning), one row per fit_id/key."""
        schema = fit_schema() if table == "fits" else TABLES[table]
        files = _visible(self._dir(table))
        if not files:
            return schema.empty_table().to_pandas()
        try:
            data = pq.read_table(files, schema=schema) if len(files) > 1 else pq.read_table(files[0], schema=schema)
        except (OSError, pa.ArrowInvalid):
            parts = []
            for p in files:
                try:
                    parts.append(pq.read_table(p, schema=schema))
                except (OSError, pa.ArrowInvalid) as err:
                    _warn(f"skipped unreadable file {p} ({type(err).__name__}); the next 'boostreg run' into this "
                          "folder moves it to quarantine and does its fits again")
            data = pa.concat_tables(parts) if parts else schema.empty_table()
        frame = data.to_pandas()
        key = ["fit_id"] + (["round"] if table == "curves" else ["tree", "leaf"] if table == "leaves" else [])
        if frame.duplicated(key).any():  # a compaction cut short: the same rows in a segment and in one-fit files
            frame = frame.drop_duplicates(key, keep="last")
        # in key order, however the rows were stored (a segment holds them in the order the fits ended)
        return frame.sort_values(key, kind="stable").reset_index(drop=True)

    def write(self, record: dict, curves: pd.DataFrame | None) -> None:
        """Store one fit: its curves and leaves (a record's ``"_leaves"`` frame), then its record (the commit mark)."""
        record = dict(record)
        leaves = record.pop("_leaves", None)
        fit_id = record["fit_id"]
        written = {}
        if curves is not None and len(curves):
            written["curves"] = _table(curves.assign(fit_id=fit_id), CURVE_SCHEMA)
            _write_atomic(written["curves"], self.curves_dir / f"{fit_id}.parquet", **SINGLE)
        if leaves is not None and len(leaves):
            self.leaves_dir.mkdir(exist_ok=True)
            written["leaves"] = _table(leaves.assign(fit_id=fit_id), LEAF_SCHEMA)
            _write_atomic(written["leaves"], self.leaves_dir / f"{fit_id}.parquet", **SINGLE)
        written["fits"] = _record_table(record, fit_schema())
        _write_atomic(written["fits"], self.fits_dir / f"{fit_id}.parquet", **SINGLE)
        for table, data in written.items():  # the fit is stored: its rows join the next segment
            self._stream(table, data, fit_id)

    def unreadable(self) -> list[Path]:
        """Files of this folder's tables that cannot be read (truncated or not Parquet)."""
        return [p for table in TABLES for p in _visible(self._dir(table)) if not _is_parquet(p)]

    def require_records(self) -> None:
        """Raise a one-line BoostregError unless this folder holds readable fit records."""
        from .errors import BoostregError

        if self.root.is_dir() and self.fit_ids():
            return
        bad = self.unreadable()
        if bad:
            raise BoostregError(f"'{self.root}' holds no readable fit records ({len(bad)} unreadable file(s), e.g. "
                                f"{bad[0].relative_to(self.root)}); run the study into it again: boostreg moves them to "
                                "quarantine and redoes their fits.")
        raise BoostregError(f"'{self.root}' holds no fit records (no {self.fits_dir}); give the --out folder of a "
                            "'boostreg run'.")

    def fits(self) -> pd.DataFrame:
        """All fit records (empty frame with the schema's columns when none)."""
        return self._read("fits")

    def export_fits(self, path: str | Path) -> int:
        """Write every fit record to one Parquet file (zstd), atomically; return the number of records. A path in a
        run folder's data or that is not a regular file is refused (``boostreg.paths.check_target``)."""
        from .errors import BoostregError
        from .paths import check_target

        path = check_target(path, "the export", "another FILE")
        table = pa.Table.from_pandas(self.fits(), schema=fit_schema(), preserve_index=False).sort_by("fit_id")
        try:
            _write_atomic(table, path, compression="zstd")
        except OSError as err:
            path.with_name(f".{path.name}.{os.getpid()}.tmp").unlink(missing_ok=True)
            raise BoostregError(f"writing the export '{path}' failed ({err.strerror or err}); free space or choose "
                                "another FILE.") from None
        return table.num_rows

    def leaves(self) -> pd.DataFrame:
        """Per-leaf values of the fits that stored them (empty frame when none)."""
        frame = self._read("leaves")
        return frame[frame["fit_id"].isin(self.fit_ids())].reset_index(drop=True) if len(frame) else frame

    def curves(self) -> pd.DataFrame:
        """Per-round errors of the stored fits (curves of fits whose record never landed are left out)."""
        frame = self._read("curves")
        return frame[frame["fit_id"].isin(self.fit_ids())].reset_index(drop=True) if len(frame) else frame

    # ------------------------------------------------------------------------------------------ study identity

    def identity(self) -> dict | None:
        """OUT/study.json: {"fingerprint": ..., "name": ..., "parts": {...}} of the study whose records are here."""
        path = self.root / "study.json"
        if not path.exists():
            return None
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(doc, dict) or not isinstance(doc.get("fingerprint"), str):
                raise ValueError("no fingerprint")
            return doc
        except (OSError, ValueError) as err:
            from .errors import BoostregError

            raise BoostregError(f"'{path}' is not a study identity boostreg wrote ({type(err).__name__}); choose "
                                "another --out, or remove that file if the folder is yours to reuse.") from None

    def archive(self, label: str) -> Path:
        """Move this folder's study (records, study files, report) to OUT/previous/<label>/; return that path."""
        target = self.root / "previous" / label
        if target.exists():
            target = target.with_name(f"{label}-{time.time_ns()}")
        target.mkdir(parents=True)
        for name in ("fits", "curves", "leaves", "study.toml", "study.json", "runs.json", "report.html",
                     "dynamics.parquet", "quarantine"):
            keep = set(self.foreign_files(name)) if name in TABLES else set()
            if keep:  # a user's files stay where they are: only the records move
                (target / name).mkdir()
                for p in (self.root / name).iterdir():
                    if p not in keep:
                        shutil.move(str(p), str(target / name / p.name))
            elif (self.root / name).exists():
                shutil.move(str(self.root / name), str(target / name))
        return target
