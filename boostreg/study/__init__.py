"""Study specification: TOML <-> dataclasses, validation at the entry point, grid helpers.

A study names datasets, engines, a grid (reg_alpha x reg_lambda, optionally crossed with other booster
parameters), fixed booster parameters, folds and seeds. Baseline engines (scikit-learn linear models and SVMs)
sweep one ``penalty`` from [baseline_grid] instead of the booster grid. Users write ``reg_alpha`` / ``reg_lambda``
and the other common names for every engine; each engine maps them to its own names.

Modules, lowest first: ``params`` (what a study may set, grid helpers), ``spec`` (DatasetSpec), ``validation`` (the
checks), ``study`` (Study), ``files`` (study files, the default study). This package may import ``boostreg.data``;
``boostreg.data`` never imports it.
"""

from __future__ import annotations

from .files import DEFAULT_STUDY, STUDIES_DIR, load_study, single_file_study, study_from_dict
from .params import (
    BOOSTER_PARAMS,
    DEFAULT_GRID,
    MAX_SEED,
    NAME_PATTERN,
    PARAM_RANGES,
    PENALTIES,
    PRIMARY_METRICS,
    RELATIVE_UNIT,
    grid_values,
    is_relative,
    log_grid,
    relative,
)
from .spec import DatasetSpec
from .study import Study
from .validation import validate

__all__ = [
    "BOOSTER_PARAMS",
    "DEFAULT_GRID",
    "DEFAULT_STUDY",
    "MAX_SEED",
    "NAME_PATTERN",
    "PARAM_RANGES",
    "PENALTIES",
    "PRIMARY_METRICS",
    "RELATIVE_UNIT",
    "STUDIES_DIR",
    "DatasetSpec",
    "Study",
    "grid_values",
    "is_relative",
    "load_study",
    "log_grid",
    "relative",
    "single_file_study",
    "study_from_dict",
    "validate",
]
