"""Engine registry: name -> engine instance. A new engine is one file plus one ``register_engine`` call.

Everything downstream (planning, records, summary, report, guide) discovers engines here, by their declared
``kind`` ("booster" or "baseline"), ``penalties`` and ``record_columns`` — never by a list of names.
"""

from .base import Engine, Fold, TreeEngine
from .lightgbm import LightGBMEngine
from .linear import LINEAR_ENGINES
from .svm import SVM_ENGINES
from .xgboost import XGBoostEngine

ENGINES: dict[str, Engine] = {}
_COLUMN_TYPES = ("float64", "string", "bool", "int64")


def register_engine(engine: Engine, *, replace: bool = False) -> Engine:
    """Make ``engine`` (an instance of an :class:`Engine` subclass) available to studies by its ``name``.

    It must declare ``name``, ``kind`` ("booster" or "baseline"), ``tasks`` and ``param_names``; boosters may
    declare ``penalties`` (which of reg_alpha / reg_lambda they take), any engine ``record_columns`` for its
    records. A name already registered is refused unless ``replace``. Returns the engine.
    """
    from ..errors import BoostregError

    if not isinstance(engine, Engine):
        raise BoostregError(f"register_engine needs an instance of a boostreg Engine subclass; got {type(engine).__name__}. "
                            "Subclass boostreg.engines.TreeEngine (boosters) or engines.linear.SklearnEngine (baselines).")
    name = getattr(engine, "name", None)
    if not isinstance(name, str) or not name.isidentifier():
        raise BoostregError(f"an engine's name must be a plain identifier, e.g. name = \"my_booster\"; got {name!r}.")
    if engine.kind not in ("booster", "baseline"):
        raise BoostregError(f"engine '{name}' has kind {engine.kind!r}; use \"booster\" or \"baseline\".")
    if engine.kind == "booster" and (not engine.penalties or set(engine.penalties) - {"reg_alpha", "reg_lambda"}):
        raise BoostregError(f"engine '{name}' declares penalties {engine.penalties!r}; use a non-empty subset of "
                            "(\"reg_alpha\", \"reg_lambda\").")
    for column, kind in engine.record_columns.items():
        if kind not in _COLUMN_TYPES:
            raise BoostregError(f"engine '{name}' declares column '{column}' of type {kind!r}; use one of "
                                f"{', '.join(_COLUMN_TYPES)}.")
    if name in ENGINES and not replace and type(ENGINES[name]) is not type(engine):
        raise BoostregError(f"an engine named '{name}' is already registered; choose another name or pass replace=True.")
    ENGINES[name] = engine
    return engine


for _engine in (XGBoostEngine(), LightGBMEngine(), *(cls() for cls in LINEAR_ENGINES), *(cls() for cls in SVM_ENGINES)):
    register_engine(_engine)

__all__ = ["ENGINES", "Engine", "Fold", "TreeEngine", "register_engine"]

# plug-ins, registered like any user engine: sklearn's HistGradientBoosting (an L2-only booster), a small MLP
# baseline, and CatBoost where it is installed (the optional extra boostreg[catboost]; looked up, not imported:
# importing catboost takes most of a second, and engines/catboost.py imports it when a fit needs it)
import importlib.util as _importlib_util  # noqa: E402

from .histgb import HistGBEngine  # noqa: E402
from .mlp import MLPEngine  # noqa: E402

register_engine(HistGBEngine())
register_engine(MLPEngine())
if _importlib_util.find_spec("catboost") is not None:
    from .catboost import CatBoostEngine  # noqa: E402

    register_engine(CatBoostEngine())
