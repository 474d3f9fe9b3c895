"""Engine registry: name -> engine instance. A new engine is one new file here plus one line below."""

from .base import Engine, Fold, TreeEngine
from .lightgbm import LightGBMEngine
from .xgboost import XGBoostEngine

ENGINES: dict[str, Engine] = {e.name: e for e in (XGBoostEngine(), LightGBMEngine())}

__all__ = ["ENGINES", "Engine", "Fold", "TreeEngine"]
