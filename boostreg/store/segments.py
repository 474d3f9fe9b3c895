"""The files of a run folder's tables: one-fit files, segments and the writer that streams rows into a segment."""

from __future__ import annotations

import os
import re
import time
import warnings
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ..paths import write_atomic

SEGMENT_PREFIX = "segment-"
#: one-fit files live until the run's compaction: no dictionaries or statistics (of one row), which cost time to write
#: and save nothing
SINGLE = {"use_dictionary": False, "write_statistics": False}


def write_table(table: pa.Table, path: Path, **options) -> None:
    """Write ``table`` to ``path`` atomically (``boostreg.paths.write_atomic``); a failed write raises its OSError."""
    write_atomic(path, lambda tmp: pq.write_table(table, tmp, **options), one_line=False)


def is_parquet(path: Path) -> bool:
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


def record_files_in(folder: Path) -> list[Path]:
    """The record files of a table folder (files of other origin are left out: see ``ParquetStore.foreign_files``)."""
    if not folder.exists():
        return []
    return sorted(
        p
        for p in (
            Path(e.path)
            for e in os.scandir(folder)
            if e.name.endswith(".parquet") and not e.name.startswith(".") and e.is_file()
        )
        if _is_record_file(p, folder.name)
    )


def warn(message: str) -> None:
    warnings.warn(message, UserWarning, stacklevel=3)


class SegmentWriter:
    """Rows of one table streamed into a new segment: written to a hidden temporary file a row group of about
    ``rows_per_group`` rows at a time (memory holds one row group, not the table), renamed into place by
    :meth:`commit`. Text columns get dictionaries; float columns of distinct values (leaf values, G, H) do not:
    there a dictionary never pays, and building one doubled the merge's memory."""

    def __init__(self, target: Path, schema: pa.Schema, rows_per_group: int):
        self.target, self.schema, self.rows_per_group = target, schema, rows_per_group
        self.tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        self.text = [f.name for f in schema if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)]
        self._writer, self._batch, self._pending, self.rows, self._consolidated = None, [], 0, 0, 0

    #: tables added before they are copied into one: a one-row record table holds a buffer per column, so a segment
    #: kept as many small tables would grow the parent's memory far beyond the rows it holds
    CONSOLIDATE = 64

    def add(self, table: pa.Table) -> None:
        self._batch.append(table)
        self._pending += table.num_rows
        if self._pending >= self.rows_per_group:
            self._flush()
        elif len(self._batch) >= self._consolidated + self.CONSOLIDATE:
            loose = self._batch[self._consolidated :]
            self._batch[self._consolidated :] = [pa.concat_tables(loose).combine_chunks()]
            self._consolidated += 1

    def _flush(self) -> None:
        if self._batch:
            data = pa.concat_tables(self._batch)
            if self._writer is None:  # created on the first rows: nothing added, no segment
                self._writer = pq.ParquetWriter(
                    self.tmp, self.schema, compression="zstd", use_dictionary=self.text or False
                )
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


def segment_name() -> str:
    return f"{SEGMENT_PREFIX}{time.strftime('%Y%m%dT%H%M%S')}-{time.time_ns() % 10**9:09d}.parquet"
