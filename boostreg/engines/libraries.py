"""The engines' libraries: imported on first use (:class:`LazyModule`) and their versions read without importing
them (:func:`library_version`)."""

from __future__ import annotations


class LazyModule:
    """A module imported on first attribute access. Every engine module is imported with ``boostreg.engines``, in
    each worker too; an engine whose library is heavy can keep it out of the processes that never fit it."""

    def __init__(self, name: str):
        self._name = name
        self._module = None

    def __getattr__(self, attr: str):
        if self._module is None:
            import importlib

            self._module = importlib.import_module(self._name)
        return getattr(self._module, attr)


def library_version(module: str) -> str:
    """``module.__version__``, read from the installed package's metadata where the module is not imported yet (so
    asking costs no import): the distribution of the module's name (xgboost, lightgbm, catboost), else the one that
    provides the module (sklearn: scikit-learn); a module already imported, or one no metadata names, answers
    itself. "?" when the module cannot be imported or has no ``__version__``."""
    import importlib
    import importlib.metadata as metadata
    import importlib.util
    import sys

    if module not in sys.modules and "." not in module:
        if importlib.util.find_spec(module) is None:
            return "?"
        for dist in _distributions_of(module):
            try:
                return metadata.version(dist)
            except (metadata.PackageNotFoundError, ValueError):
                continue
    try:
        return getattr(sys.modules.get(module) or importlib.import_module(module), "__version__", "?")
    except ImportError:
        return "?"


#: a module's distribution where their names differ (spares reading every installed package's file list)
_DISTRIBUTION_OF = {"sklearn": "scikit-learn"}
_PROVIDERS: dict[str, list[str]] = {}


def _distributions_of(module: str):
    """The distributions that may provide ``module``: the one of its name first; then, read once per process (it
    lists every installed package's files), those whose files hold it."""
    named = _DISTRIBUTION_OF.get(module, module)
    yield named
    if not _PROVIDERS:
        import importlib.metadata as metadata

        _PROVIDERS.update(metadata.packages_distributions())
    yield from (d for d in _PROVIDERS.get(module, ()) if d != named)
