"""The engines boostreg fits, and the registry that is the one place the rest of boostreg learns about them.

A new engine is one file plus one ``register_engine`` call. Everything downstream (planning, records, summary,
report, guide, CLI) discovers engines through :mod:`boostreg.engines.registry` — by their declared ``kind``
("booster" or "baseline"), ``penalties``, ``record_columns``, ``default``, ``color`` and library — never by a list
of names. Importing this package imports no engine's library: each engine imports its own on first use.
"""

from .base import Engine, Fold, LazyModule, TreeEngine, library_version
from .histgb import HistGBEngine
from .lightgbm import LightGBMEngine
from .linear import LINEAR_ENGINES
from .mlp import MLPEngine
from .registry import (
    ENGINES,
    KINDS,
    MIN_COLOR_DISTANCE,
    OPTIONAL_ENGINES,
    color_distance,
    declared,
    declared_color,
    default_engines,
    defaults_sentence,
    engine_colors,
    engine_kind,
    engine_names,
    get_engine,
    library_versions,
    published,
    register_engine,
    register_optional,
)
from .svm import SVM_ENGINES
from .xgboost import XGBoostEngine

__all__ = [
    "ENGINES",
    "KINDS",
    "MIN_COLOR_DISTANCE",
    "OPTIONAL_ENGINES",
    "Engine",
    "Fold",
    "LazyModule",
    "TreeEngine",
    "color_distance",
    "declared",
    "declared_color",
    "default_engines",
    "defaults_sentence",
    "engine_colors",
    "engine_kind",
    "engine_names",
    "get_engine",
    "library_version",
    "library_versions",
    "published",
    "register_engine",
    "register_optional",
]

# the built-ins, in the order reports list them: the two default boosters, the linear and kernel baselines, then
# engines written as plug-ins are (sklearn's HistGradientBoosting, an L2-only booster; a small MLP baseline) and
# CatBoost, the optional extra boostreg[catboost], registered where catboost is installed
for _cls in (XGBoostEngine, LightGBMEngine, *LINEAR_ENGINES, *SVM_ENGINES, HistGBEngine, MLPEngine):
    register_engine(_cls())
register_optional("catboost", "boostreg.engines.catboost", "CatBoostEngine", extra="catboost")
