"""A study's dataset entry -> a loaded Dataset, and the per-process cache workers load each dataset through.

A run loads and cleans each dataset once, in the process the user started (:func:`load_dataset`), and saves the
cleaned Dataset to a run-scoped file (:func:`save_for_workers`). Workers read that file (:func:`cached_dataset`)
instead of reading and cleaning the user's file again, which at a million rows is most of a worker's start-up and
its largest transient allocation; where the file is not there (a Dask worker on another machine), a worker loads
the entry itself. Both give the same Dataset (its fingerprint is checked where it is used).
"""

from __future__ import annotations

import json
import os
import pickle
import warnings
from pathlib import Path

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


def load_quietly(spec: DatasetSpec) -> Dataset:
    """``load_dataset(spec)`` without its warnings: for a dataset this run already loaded (and warned about) once."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return load_dataset(spec)


#: datasets loaded in this process (a worker loads each once), by their entry
_DATASETS: dict[str, Dataset] = {}
#: datasets a process keeps at once (the oldest goes first)
CACHE_SIZE = 4


def cached_dataset(spec: DatasetSpec, data_file: str | None = None) -> Dataset:
    """``load_dataset(spec)``, loaded once per process: a worker fits many groups of the same dataset.

    ``data_file``: the cleaned Dataset the run saved (:func:`save_for_workers`); read instead of loading ``spec``
    when it exists here. A Dataset read from such a file is not kept (reading it again costs a fraction of a second
    at a million rows), so a worker holds the whole table only while it cuts a fold from it."""
    key = _spec_key(spec)
    if key not in _DATASETS:
        if data_file is not None and os.path.exists(data_file):
            with open(data_file, "rb") as fh:
                return pickle.load(fh)  # noqa: S301 - this run's own file, written by save_for_workers
        _DATASETS[key] = load_quietly(spec)  # the main process already warned about this dataset
        while len(_DATASETS) > CACHE_SIZE:
            _DATASETS.pop(next(iter(_DATASETS)))
    return _DATASETS[key]


def save_for_workers(ds: Dataset, folder: str | Path) -> str:
    """Save a loaded Dataset where this run's workers read it (:func:`cached_dataset`); the file's path. The folder
    is the run's own temporary folder, removed when the run ends."""
    path = Path(folder) / f"{ds.fingerprint}.pickle"
    if not path.exists():
        with open(path, "wb") as fh:
            pickle.dump(ds, fh, protocol=pickle.HIGHEST_PROTOCOL)
    return str(path)


def _spec_key(spec: DatasetSpec) -> str:
    return json.dumps(spec.to_dict(), sort_keys=True, default=str)
