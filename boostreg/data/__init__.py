"""Datasets: the built-in cards (``datasets/*.toml``), user CSV/Parquet files, and seeded synthetic generators.

Every loader ends in ``clean._build``, which applies the same rules to all data: the target
becomes a float vector (binary tasks as 0.0/1.0, multiclass tasks as class codes 0..K-1), an optional column of
sample weights and one of groups leave the features, numeric features become float64, text/bool features become pandas
``category`` (categories fixed on the full data), useless columns (constant, empty, identifiers, a saved row
index, dates) are dropped with a warning, names the engines reject are renamed with a warning, and an
optional deterministic subsample keeps big sets fast. What cannot work is refused up front: a feature that
copies the target, infinite values, values beyond float32 range.

Modules, lowest first: ``dataset`` (the Dataset and its fingerprints), ``messages``, ``target`` and ``features``
(the rules for each side), ``clean`` (the rules applied in order), ``synthetic`` (the generators), ``cards`` (the
built-in datasets) and ``files`` (a user's files and DataFrames). ``boostreg.study`` builds on this package, never the
other way round.
"""

from __future__ import annotations

from .cards import DATASETS_DIR, LOADERS, DatasetCard, builtin_cards, dataset_summary, load_builtin, package_folder
from .dataset import SUBSAMPLE_SEED, TASKS, Dataset, content_fingerprint, frame_fingerprint
from .features import (
    DATE_SAMPLE,
    ENGINE_UNSAFE,
    FLOAT32_MAX,
    MAX_LEVELS,
    MAX_NUMERIC_TOKENS,
    MAX_TOKEN_SHARE,
    MAX_UNIQUE_SHARE,
    MIN_ID_LEVELS,
)
from .features import _is_datetime as _is_datetime  # tests check the date detection directly
from .files import FILE_SUFFIXES, load_file, load_frame
from .synthetic import GENERATORS
from .target import MAX_COPY_CORRELATION, MAX_GRADIENT_SUM, MAX_ROUNDING_SHARE, MIN_TARGET_SPREAD

__all__ = [
    "DATASETS_DIR",
    "DATE_SAMPLE",
    "ENGINE_UNSAFE",
    "FILE_SUFFIXES",
    "FLOAT32_MAX",
    "GENERATORS",
    "LOADERS",
    "MAX_COPY_CORRELATION",
    "MAX_GRADIENT_SUM",
    "MAX_LEVELS",
    "MAX_NUMERIC_TOKENS",
    "MAX_ROUNDING_SHARE",
    "MAX_TOKEN_SHARE",
    "MAX_UNIQUE_SHARE",
    "MIN_ID_LEVELS",
    "MIN_TARGET_SPREAD",
    "SUBSAMPLE_SEED",
    "TASKS",
    "Dataset",
    "DatasetCard",
    "builtin_cards",
    "content_fingerprint",
    "dataset_summary",
    "frame_fingerprint",
    "load_builtin",
    "load_file",
    "load_frame",
    "package_folder",
]
