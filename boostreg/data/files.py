"""A user's data: CSV/TSV/Parquet files (with the reasons a file cannot be read said in one line: a symlink loop, not
UTF-8, another separator) and pandas DataFrames held in memory."""

from __future__ import annotations

import errno
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import BoostregError
from .clean import _build
from .dataset import Dataset, frame_fingerprint
from .messages import _clip, _one_line

FILE_SUFFIXES = (".csv", ".tsv", ".parquet", ".pq")


def load_file(
    path: str | Path,
    target: str,
    *,
    task: str | None = None,
    name: str | None = None,
    max_rows: int | None = None,
    groups: str | None = None,
    weight: str | None = None,
    features: list[str] | None = None,
) -> Dataset:
    """Load a user's CSV/TSV/Parquet file with ``target`` as the label; the task is inferred when not given.
    ``groups`` and ``weight`` name a column of group labels and one of sample weights (both leave the features);
    ``features`` lists the columns to learn from (default: every other column, row numbers dropped)."""
    path = Path(path).expanduser()
    suffix = path.suffix.lower()
    if suffix not in FILE_SUFFIXES:
        raise BoostregError(
            f"unsupported file type {path.suffix or '(none)'!r} for {str(path)!r}; "
            f"use one of {', '.join(FILE_SUFFIXES)} (e.g. save the table as CSV)."
        )
    if _is_symlink_loop(path):
        raise BoostregError(
            f"{str(path)!r} is a symbolic link loop (it leads back to itself); give the path of the file itself."
        )
    if not path.exists():
        raise BoostregError(f"file {str(path)!r} not found; check the path (relative paths start at {Path.cwd()}).")
    if path.is_dir():
        raise BoostregError(f"{str(path)!r} is a folder, not a file; pass the path of a {suffix} file.")
    try:
        if suffix in (".parquet", ".pq"):
            frame = _read_parquet(path)
        else:
            frame = pd.read_csv(path, sep="\t" if suffix == ".tsv" else ",", low_memory=False)
    except pd.errors.EmptyDataError:
        raise BoostregError(f"file {str(path)!r} is empty; give a file with a header row and data rows.") from None
    except UnicodeDecodeError:
        raise BoostregError(
            f"{str(path)!r} is not UTF-8 text ({_first_bad_byte(path)}); save it as UTF-8 "
            "(e.g. Excel's 'CSV UTF-8', or iconv -f latin1 -t utf-8 FILE > NEW.csv)."
        ) from None
    except Exception as err:  # noqa: BLE001 - any reader failure is the user's file, reported in one line
        kind = "Parquet" if suffix in (".parquet", ".pq") else suffix[1:].upper()
        reason = _one_line(Exception(str(err).replace(str(path), path.name)))  # the path is said once, in front
        raise BoostregError(
            f"could not read {str(path)!r} as {kind}: {reason}; check that it is a valid {kind} file you can read."
        ) from None
    frame.columns = [str(c) for c in frame.columns]
    if len(frame) == 0:
        raise BoostregError(f"file {str(path)!r} has no data rows; give a file with at least a few rows.")
    if str(target) not in frame.columns and suffix in (".csv", ".tsv"):
        _check_separator(frame, str(target), suffix, path)
    return _build(
        name or path.stem,
        frame,
        str(target),
        task,
        f"file:{path.resolve()}",
        max_rows=max_rows,
        groups=groups,
        weight=weight,
        features=features,
        where=f"{str(path)!r}",
    )


def _is_symlink_loop(path: Path) -> bool:
    try:
        path.resolve(strict=True)
    except RuntimeError:  # Python 3.11 and 3.12 say "Symlink loop" this way
        return True
    except OSError as err:
        return err.errno == errno.ELOOP
    return False


def _first_bad_byte(path: Path) -> str:
    """Where a file stops being UTF-8: 'byte 0xe9 on line 2'."""
    try:
        data = path.read_bytes()
        data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        return f"byte 0x{data[err.start]:02x} on line {line}"
    except OSError:
        pass
    return "a byte that is not UTF-8"


#: separators a CSV/TSV may really use -> how the message names them
_SEPARATORS = {";": "';'", "\t": "tabs", "|": "'|'", ",": "commas"}


def _read_parquet(path: Path) -> pd.DataFrame:
    """``pd.read_parquet(path)``, one column at a time: reading the whole table at once holds Arrow's copy, its
    decompression buffers and pandas' copy together (about 3.5 x the table at a million rows), a column at a time
    holds the table once and one column's buffers. The frame is the same (columns side by side, a RangeIndex: the
    file's own index, if it saved one, is dropped here as every loader drops it after reading), except that float32
    columns come as float64, exactly what cleaning makes of every number column: the table is never held in both
    widths at once."""
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(path)
    meta = pf.schema_arrow.pandas_metadata or {}
    index = {c for c in meta.get("index_columns", []) if isinstance(c, str)}
    names = [n for n in pf.schema_arrow.names if n not in index]
    if len(set(names)) < len(names) or not names:  # repeated names cannot be read by name: the whole file
        return pd.read_parquet(path)
    parts = []
    for name in names:
        part = pf.read(columns=[name], use_threads=False).to_pandas(self_destruct=True).reset_index(drop=True)
        if part.dtypes.iloc[0] == np.float32:  # exact: every float32 is a float64
            part = part.astype(np.float64)
        parts.append(part)
    return pd.concat(parts, axis=1)


def _check_separator(frame: pd.DataFrame, target: str, suffix: str, path: Path) -> None:
    """The target was not found: refuse with the fix when the header holds it behind another separator."""
    used = "\t" if suffix == ".tsv" else ","
    header = used.join(frame.columns)
    for sep, said in _SEPARATORS.items():
        if sep == used or sep not in header or target not in [c.strip().strip('"') for c in header.split(sep)]:
            continue
        if sep == "\t":
            fix = f"rename it to {path.stem}.tsv (.tsv files are read tab-separated) or save it comma-separated"
        elif sep == ",":
            fix = f"rename it to {path.stem}.csv (.csv files are read comma-separated) or save it tab-separated"
        else:
            fix = "save it comma-separated (.csv) or tab-separated (.tsv)"
        raise BoostregError(
            f"target column {target!r} not found in {str(path)!r}: the file seems to use {said} as "
            f"its separator (header {_clip(header)!r}); {fix}."
        )


def load_frame(
    frame: pd.DataFrame,
    target: str,
    *,
    name: str,
    task: str | None = None,
    max_rows: int | None = None,
    groups: str | None = None,
    weight: str | None = None,
    features: list[str] | None = None,
) -> Dataset:
    """A pandas DataFrame a user holds in memory -> Dataset, checked and cleaned as a file would be."""
    if not isinstance(frame, pd.DataFrame):
        raise BoostregError(
            f"dataset {name!r}: frame must be a pandas DataFrame, got {type(frame).__name__}; "
            "pass frame=df with the target among its columns."
        )
    frame = frame.copy()
    texts = [str(c) for c in frame.columns]
    for i, text in enumerate(texts):
        first = texts.index(text)
        if first < i and frame.columns[first] != frame.columns[i]:
            raise BoostregError(
                f"DataFrame {name!r} has columns {frame.columns[first]!r} and {frame.columns[i]!r}, "
                f"which are one name as text ({text!r}); rename one of them."
            )
    frame.columns = texts
    return _build(
        name,
        frame.reset_index(drop=True),
        str(target),
        task,
        f"frame:{frame_fingerprint(frame)}",
        max_rows=max_rows,
        where=f"DataFrame {name!r}",
        groups=groups,
        weight=weight,
        features=features,
    )
