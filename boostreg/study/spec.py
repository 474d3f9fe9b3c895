"""One dataset of a study: which data (a built-in card, a user's file or an in-memory DataFrame) and how it is used."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..data import frame_fingerprint


@dataclass(frozen=True)
class DatasetSpec:
    """One dataset of a study: a built-in ``name``, a ``file`` with its ``target``, or a pandas DataFrame
    ``frame`` with its ``target`` and a ``name`` for the records.

    Parameters
    ----------
    name : str, optional
        A built-in dataset's card name (``boostreg datasets`` lists them), or the records' name of a ``frame``.
    file : str, optional
        A CSV, TSV or Parquet file of the user's (give ``target`` too); a relative path in a study file resolves
        from the study file's folder.
    target : str, optional
        The column to predict, for a ``file`` or a ``frame``.
    task : {"regression", "binary", "multiclass"}, optional
        The task; inferred from the target when left out (binary when it has 2 distinct values, multiclass for text
        with 3 or more; a whole-number target with 3 to 20 values is refused until you say which).
    max_rows : int, optional
        A deterministic (seeded, for binary and multiclass tasks stratified) subsample of this many rows; a card's own
        ``max_rows`` when left out.
    params : dict, optional
        A synthetic generator's parameters (e.g. ``{"n_samples": 500}``); only for the synthetic cards.
    alias : str, optional
        Names the dataset in the records when one card is used twice (e.g. at two sizes via ``max_rows``).
    grid : dict, optional
        Replaces entries of the study's [grid] for this dataset only (e.g. fewer penalty points on the largest
        dataset, or min_child_weight crossed on the small ones).
    groups : str, optional
        A column of group labels (files and frames): it leaves the features, and a group splitter
        (``Study(cv=GroupKFold(...))``) and the validation split keep each group on one side.
    weight : str, optional
        A column of sample weights (files and frames): numbers >= 0, not all 0, none missing. It leaves the
        features; every engine fits with the weights, and the metrics, the theory check's G and H and the relative
        units (alpha_max, H-bar) are weighted. A weight of 2 counts a row twice.
    features : list of str, optional
        The columns to learn from (files and frames; default: every column but the target, groups and weight, less
        columns that number the rows). A listed column is kept even where it looks like row numbers.
    frame : pandas.DataFrame, optional
        A table held in memory (give ``name`` and ``target``, no ``file``); the records name it by a fingerprint of
        its content.
    """

    name: str | None = None
    file: str | None = None
    target: str | None = None
    task: str | None = None
    max_rows: int | None = None
    params: dict = field(default_factory=dict)
    alias: str | None = None
    grid: dict = field(default_factory=dict)
    groups: str | None = None
    features: list | None = None
    weight: str | None = None
    frame: Any = field(default=None, compare=False, repr=False)

    @property
    def label(self) -> str:
        """The dataset's name in the records: its alias, else its name, else its file's stem."""
        return self.alias or self.name or Path(self.file).stem

    def to_dict(self) -> dict:
        """The fields that are set, as a study file's [[datasets]] entry (a frame as its fingerprint)."""
        d = {k: v for k, v in asdict(self).items() if k != "frame" and v not in (None, {})}
        if self.frame is not None:  # an in-memory table is named by its content
            d["frame"] = f"in-memory DataFrame {frame_fingerprint(self.frame)}"
        return d
