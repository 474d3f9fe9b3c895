"""Engine registry: name -> engine instance. A new engine is one new file here plus one line below."""

from .base import Engine, Fold, TreeEngine
from .lightgbm import LightGBMEngine
from .linear import LINEAR_ENGINES
from .svm import SVM_ENGINES
from .xgboost import XGBoostEngine

ENGINES: dict[str, Engine] = {e.name: e for e in (XGBoostEngine(), LightGBMEngine())}
ENGINES.update({cls.name: cls() for cls in LINEAR_ENGINES})  # Lasso, Ridge, ... LinearSVC (scikit-learn baselines)
ENGINES.update({cls.name: cls() for cls in SVM_ENGINES})     # RBF SVR / SVC

__all__ = ["ENGINES", "Engine", "Fold", "TreeEngine"]
