"""boostreg: measure what reg_alpha (L1) and reg_lambda (L2) do to gradient-boosted trees.

The Python API mirrors the CLI::

    from boostreg import Study, DatasetSpec, log_grid, run_study
    study = Study(name="mine", datasets=[DatasetSpec(name="diabetes")],
                  grid={"reg_alpha": log_grid(0.01, 10, 4), "reg_lambda": [0, 1, 10]})
    result = run_study(study, "runs/mine")
    result.fits       # one row per fit
    summarize(result.fits)  # validation-selected setting and its gain over the library default, per dataset x engine

``import boostreg`` loads nothing heavy: each public name is imported from its module on first use (PEP 562), and
each engine imports its library on its first fit.
"""

from __future__ import annotations

import importlib

from ._version import __version__ as __version__

#: public name -> (module, attribute)
_PUBLIC = {
    "BoostregError": ("errors", "BoostregError"),
    "DatasetSpec": ("study", "DatasetSpec"),
    "Metric": ("metrics", "Metric"),
    "Study": ("study", "Study"),
    "load_study": ("study", "load_study"),
    "log_grid": ("study", "log_grid"),
    "relative": ("study", "relative"),
    "register_engine": ("engines", "register_engine"),
    "summarize": ("tables", "summary_table"),
    "Run": ("results", "Run"),
    "open_run": ("results", "open_run"),
    "StudyResult": ("run", "StudyResult"),
    "run_study": ("run", "run_study"),
    "recommend": ("advice", "recommend"),
}

__all__ = sorted(_PUBLIC)


def __getattr__(name: str):
    if name in _PUBLIC:
        module, attr = _PUBLIC[name]
        value = getattr(importlib.import_module(f".{module}", __name__), attr)
        globals()[name] = value  # the next lookup is a plain attribute
        return value
    raise AttributeError(f"module 'boostreg' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_PUBLIC))
