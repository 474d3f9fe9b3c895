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
import shutil
import time
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..errors import BoostregError
from ..paths import PREVIOUS, RUN_DATA, RUN_FILES, check_target, write_atomic
from .schema import (
    CURVE_SCHEMA,
    FIT_SCHEMA,
    LEAF_SCHEMA,
    TABLES,
    fit_schema,
    frame_table,
    record_problems,
    record_table,
    with_kind,
)
from .segments import (
    SEGMENT_PREFIX,
    SINGLE,
    SegmentWriter,
    is_parquet,
    record_files_in,
    segment_name,
    warn,
    write_table,
)

__all__ = [
    "CURVE_SCHEMA",
    "FIT_SCHEMA",
    "LEAF_SCHEMA",
    "TABLES",
    "ParquetStore",
    "fit_schema",
    "read_fits_file",
    "record_problems",
    "with_kind",
]


def read_fits_file(path: str | Path) -> pd.DataFrame:
    """Fit records from one Parquet file written by :meth:`ParquetStore.export_fits` (``kind`` filled in for records
    written before it was a column)."""
    path = Path(path)
    try:
        schema = pq.read_schema(path)
    except (OSError, pa.ArrowInvalid) as err:
        raise BoostregError(
            f"cannot read '{path}' as Parquet ({type(err).__name__}); give a file written by "
            "'boostreg export' or a run's --out folder."
        ) from None
    missing = [c for c in ("fit_id", "engine", "status", "dataset") if c not in schema.names]
    if missing:
        raise BoostregError(
            f"'{path}' is not a file of fit records (no column {missing[0]}); give a file written by "
            "'boostreg export' or a run's --out folder."
        )
    return with_kind(pq.read_table(path).to_pandas())


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
        #: back at the end of the run
        self._live: dict[str, tuple[SegmentWriter, set, bool]] = {}

    def _dir(self, table: str) -> Path:
        return self.root / table

    def record_files(self, table: str) -> list[Path]:
        """The table's record files: one-fit files and segments (never a user's file left there)."""
        return record_files_in(self._dir(table))

    def foreign_files(self, table: str | None = None) -> list[Path]:
        """Files in fits/, curves/ or leaves/ that boostreg did not write (a user's Parquet file, notes): never read,
        moved or deleted."""
        found = []
        for name in [table] if table else list(TABLES):
            folder = self._dir(name)
            if not folder.is_dir():
                continue
            ours = set(record_files_in(folder))
            found += sorted(
                Path(e.path)
                for e in os.scandir(folder)
                if not e.name.startswith((".", "_")) and Path(e.path) not in ours
            )
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
            bad = [p for p in record_files_in(self._dir(table)) if not is_parquet(p)]
            for p in bad:
                self._quarantine(p, "unreadable")
            if bad:
                notes.append(
                    f"{len(bad)} unreadable file(s) in {self._dir(table)} (e.g. {bad[0].name}: truncated or not "
                    f"Parquet) moved to {self.quarantine_dir / table}; their fits will be done again"
                )
            segments = [p for p in record_files_in(self._dir(table)) if p.name.startswith(SEGMENT_PREFIX)]
            if segments:
                held = set()
                for seg in segments:
                    held |= set(self._read_ids(seg))
                for p in record_files_in(self._dir(table)):
                    if not p.name.startswith(SEGMENT_PREFIX) and p.stem in held:
                        p.unlink(missing_ok=True)
        foreign = self.foreign_files()
        if foreign:
            notes.append(
                f"{len(foreign)} file(s) in {self.root} that boostreg did not write (e.g. "
                f"{foreign[0].relative_to(self.root)}) are left alone and not read as records; move them out "
                "of fits/, curves/ and leaves/ so that pandas.read_parquet reads only the run's records"
            )
        return notes

    def drop_failed(self) -> int:
        """Move the records of failed fits out of the table (to OUT/quarantine/failed-*.parquet) so that the next
        run tries them again; return how many."""
        fits = self.fits()
        failed = fits[fits.status != "ok"] if len(fits) else fits
        if failed.empty:
            return 0
        self.quarantine_dir.mkdir(parents=True, exist_ok=True)
        write_table(frame_table(failed, fit_schema()), self.quarantine_dir / f"failed-{time.time_ns()}.parquet")
        self.remove(set(failed.fit_id))
        return len(failed)

    def remove(self, fit_ids: set[str]) -> None:
        """Remove these fits' records, curves and leaves (segments are rewritten without them, atomically)."""
        gone = sorted(set(fit_ids))
        if not gone:
            return
        for table, schema in TABLES.items():
            schema = fit_schema() if table == "fits" else schema
            for p in record_files_in(self._dir(table)):
                if p.name.startswith(SEGMENT_PREFIX):
                    data = pq.read_table(p, schema=schema)
                    keep = data.filter(pc.invert(pc.is_in(data["fit_id"], value_set=pa.array(gone))))
                    if keep.num_rows == data.num_rows:
                        continue
                    if keep.num_rows:
                        write_table(keep, p, compression="zstd")
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
            singles = [p for p in record_files_in(self._dir(table)) if not p.name.startswith(SEGMENT_PREFIX)]
            writer, held = None, set()
            live = self._live.pop(table, None)
            if live is not None:
                writer, held, clean = live
                if not (clean and held <= {p.stem for p in singles}):
                    writer.abort()
                    writer, held = None, set()
            if not singles:
                continue
            writer = writer or SegmentWriter(self._dir(table) / segment_name(), schema, self.MERGE_ROWS)
            rows = self._merge(table, [p for p in singles if p.stem not in held], schema, writer)
            for p in singles:
                p.unlink(missing_ok=True)
            if table == "fits":
                merged = rows
        return merged

    #: rows gathered before one row group of a compacted segment is written
    MERGE_ROWS = 1 << 15

    def _merge(self, table: str, singles: list[Path], schema: pa.Schema, writer: SegmentWriter) -> int:
        """Stream one-fit files into ``writer``'s segment and commit it (crash-safe: a temporary file renamed at
        the end); unreadable files go to quarantine. Returns the segment's rows (0: nothing readable, no segment)."""
        try:
            for p in singles:
                try:
                    part = pq.read_table(p, schema=schema, use_threads=False)
                except (OSError, pa.ArrowInvalid):
                    self._quarantine(p, "unreadable")
                    warn(f"unreadable file {p.name} in {self._dir(table)} moved to {self.quarantine_dir / table}")
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
            self._live[table] = (SegmentWriter(self._dir(table) / segment_name(), schema, self.MERGE_ROWS), set(), True)
        writer, ids, _clean = self._live[table]
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
        for p in record_files_in(self.fits_dir):
            if p.name.startswith(SEGMENT_PREFIX):
                ids |= set(self._read_ids(p))
            else:
                ids.add(p.stem)
        return ids

    def _read(self, table: str) -> pd.DataFrame:
        """Every readable file of a table (unreadable ones are skipped with a warning), one row per fit_id/key."""
        schema = fit_schema() if table == "fits" else TABLES[table]
        files = record_files_in(self._dir(table))
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
                    warn(
                        f"skipped unreadable file {p} ({type(err).__name__}); the next 'boostreg run' into this "
                        "folder moves it to quarantine and does its fits again"
                    )
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
            written["curves"] = frame_table(curves.assign(fit_id=fit_id), CURVE_SCHEMA)
            write_table(written["curves"], self.curves_dir / f"{fit_id}.parquet", **SINGLE)
        if leaves is not None and len(leaves):
            self.leaves_dir.mkdir(exist_ok=True)
            written["leaves"] = frame_table(leaves.assign(fit_id=fit_id), LEAF_SCHEMA)
            write_table(written["leaves"], self.leaves_dir / f"{fit_id}.parquet", **SINGLE)
        written["fits"] = record_table(record, fit_schema())
        write_table(written["fits"], self.fits_dir / f"{fit_id}.parquet", **SINGLE)
        for table, data in written.items():  # the fit is stored: its rows join the next segment
            self._stream(table, data, fit_id)

    def unreadable(self) -> list[Path]:
        """Files of this folder's tables that cannot be read (truncated or not Parquet)."""
        return [p for table in TABLES for p in record_files_in(self._dir(table)) if not is_parquet(p)]

    def require_records(self) -> None:
        """Raise a one-line BoostregError unless this folder holds readable fit records."""
        if self.root.is_dir() and self.fit_ids():
            return
        bad = self.unreadable()
        if bad:
            raise BoostregError(
                f"'{self.root}' holds no readable fit records ({len(bad)} unreadable file(s), e.g. "
                f"{bad[0].relative_to(self.root)}); run the study into it again: boostreg moves them to "
                "quarantine and redoes their fits."
            )
        raise BoostregError(
            f"'{self.root}' holds no fit records (no {self.fits_dir}); give the --out folder of a 'boostreg run'."
        )

    def fits(self) -> pd.DataFrame:
        """All fit records (empty frame with the schema's columns when none); ``kind`` filled in for records
        written before it was a column."""
        return with_kind(self._read("fits"))

    def export_fits(self, path: str | Path) -> int:
        """Write every fit record to one Parquet file (zstd), atomically; return the number of records. A path in a
        run folder's data or that is not a regular file is refused (``boostreg.paths.check_target``)."""
        path = check_target(path, "the export", "another FILE")
        table = pa.Table.from_pandas(self.fits(), schema=fit_schema(), preserve_index=False).sort_by("fit_id")
        write_atomic(path, lambda tmp: pq.write_table(table, tmp, compression="zstd"), "the export", "another FILE")
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
                raise ValueError("no fingerprint")  # noqa: TRY004 - caught just below, as unreadable JSON is
            return doc
        except (OSError, ValueError) as err:
            raise BoostregError(
                f"'{path}' is not a study identity boostreg wrote ({type(err).__name__}); choose "
                "another --out, or remove that file if the folder is yours to reuse."
            ) from None

    def archive(self, label: str) -> Path:
        """Move this folder's study (records, study files, report) to OUT/previous/<label>/; return that path."""
        target = self.root / PREVIOUS / label
        if target.exists():
            target = target.with_name(f"{label}-{time.time_ns()}")
        target.mkdir(parents=True)
        for name in RUN_DATA + RUN_FILES:
            keep = set(self.foreign_files(name)) if name in TABLES else set()
            if keep:  # a user's files stay where they are: only the records move
                (target / name).mkdir()
                for p in (self.root / name).iterdir():
                    if p not in keep:
                        shutil.move(str(p), str(target / name / p.name))
            elif (self.root / name).exists():
                shutil.move(str(self.root / name), str(target / name))
        return target
