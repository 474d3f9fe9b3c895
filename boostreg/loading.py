"""A study's dataset entry -> a loaded Dataset, and the per-process cache workers load each dataset through."""

from __future__ import annotations

import json
import warnings

from .data import Dataset, load_builtin, load_file, load_frame
from .errors import BoostregError
from .study import DatasetSpec


def load_dataset(spec: DatasetSpec) -> Dataset:
    """A study's dataset entry -> Dataset (an in-memory frame, a built-in by name, or a user file)."""
    weight = getattr(spec, "weight", None)
    if spec.frame is not None:
        return load_frame(
            spec.frame,
            spec.target,
            name=spec.name,
            task=spec.task,
            max_rows=spec.max_rows,
            groups=spec.groups,
            weight=weight,
            features=spec.features,
        )
    if spec.name:
        if spec.features is not None:
            raise BoostregError(
                f"features = [...] for dataset '{spec.label}': a built-in dataset's features are its card's; remove "
                "features (or save the table and use file = ...)."
            )
        if weight is not None:
            raise BoostregError(
                f"weight = {weight!r} for dataset '{spec.label}': sample weights are for your own files and frames "
                "(built-in datasets have none); remove it."
            )
        return load_builtin(spec.name, max_rows=spec.max_rows, params=spec.params or None)
    return load_file(
        spec.file,
        spec.target,
        task=spec.task,
        max_rows=spec.max_rows,
        groups=spec.groups,
        weight=weight,
        features=spec.features,
    )


#: datasets loaded in this process (a worker loads each once), by their entry
_DATASETS: dict[str, Dataset] = {}
#: datasets a process keeps at once (the oldest goes first)
CACHE_SIZE = 4


def cached_dataset(spec: DatasetSpec) -> Dataset:
    """``load_dataset(spec)``, loaded once per process: a worker fits many groups of the same dataset."""
    key = _spec_key(spec)
    if key not in _DATASETS:
        with warnings.catch_warnings():  # the main process already warned about this dataset
            warnings.simplefilter("ignore")
            _DATASETS[key] = load_dataset(spec)
        while len(_DATASETS) > CACHE_SIZE:
            _DATASETS.pop(next(iter(_DATASETS)))
    return _DATASETS[key]


def _spec_key(spec: DatasetSpec) -> str:
    return json.dumps(spec.to_dict(), sort_keys=True, default=str)
