"""The loaded dataset every loader returns, its content fingerprints and the seeded subsample."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

#: The tasks boostreg handles (a study's primary metrics are keyed by them).
TASKS = ("regression", "binary", "multiclass")
SUBSAMPLE_SEED = 0


# Dataset objects hold DataFrames, so equality is identity (eq=False); compare ``fingerprint`` instead.
@dataclass(frozen=True, eq=False)
class Dataset:
    """A loaded dataset: features, target, task and (for synthetic data) the ground truth.

    ``y`` is a float64 vector: the numbers of a regression target, 0.0/1.0 for a binary one, and the class codes
    0.0..K-1 of a multiclass one, whose names ``classes`` holds in code order (binary: negative, positive)."""

    name: str
    X: pd.DataFrame
    y: np.ndarray
    task: str
    source: str
    informative: tuple[str, ...] | None = None
    noise: tuple[str, ...] | None = None
    classes: tuple[str, ...] | None = None
    fingerprint: str = ""
    #: the task was inferred from the target (not given): binary when the target has 2 distinct values
    task_inferred: bool = False
    #: feature name in X -> the column's name in the data, for the columns renamed for the engines
    original_names: dict[str, str] = field(default_factory=dict)
    #: each row's group (``groups=COLUMN``): a group splitter (GroupKFold) and the validation split keep groups whole
    groups: np.ndarray | None = None
    #: each row's sample weight (``weight=COLUMN``; float64, finite, >= 0, not all 0); None: every row weighs 1
    weight: np.ndarray | None = None

    @property
    def n_rows(self) -> int:
        return len(self.X)

    @property
    def n_classes(self) -> int | None:
        """The number of classes K of a multiclass task (None for the other tasks)."""
        return len(self.classes) if self.task == "multiclass" and self.classes is not None else None

    @property
    def categorical(self) -> tuple[str, ...]:
        return tuple(c for c in self.X.columns if isinstance(self.X[c].dtype, pd.CategoricalDtype))


def _subsample(n: int, size: int, y: np.ndarray | None) -> np.ndarray:
    """Sorted row positions of a seeded subsample; stratified by class when ``y`` (class codes) is given, every
    class has 2 rows or more and both sides have room for every class."""
    from sklearn.model_selection import train_test_split

    stratify = None
    if y is not None:
        counts = np.unique(y, return_counts=True)[1]
        if len(counts) >= 2 and counts.min() >= 2 and min(size, n - size) >= len(counts):
            stratify = y
    keep, _ = train_test_split(np.arange(n), train_size=size, random_state=SUBSAMPLE_SEED, stratify=stratify)
    return np.sort(keep)


def content_fingerprint(X: pd.DataFrame, y: np.ndarray, task: str, weight: np.ndarray | None = None) -> str:
    """Short sha256 of the content: task, column names, feature values (categories by label), target and, when
    there are some, the sample weights (a dataset without weights keeps the fingerprint it always had)."""
    h = hashlib.sha256(task.encode())
    for col in X.columns:
        s = X[col]
        h.update(b"\x00col\x00" + str(col).encode())
        if isinstance(s.dtype, pd.CategoricalDtype):
            h.update("\x1f".join(map(str, s.cat.categories)).encode())
            h.update(s.cat.codes.to_numpy().astype(np.int32).tobytes())
        else:
            h.update(s.to_numpy(dtype=np.float64).tobytes())
    h.update(b"\x00y\x00" + np.asarray(y, dtype=np.float64).tobytes())
    if weight is not None:
        h.update(b"\x00weight\x00" + np.asarray(weight, dtype=np.float64).tobytes())
    return h.hexdigest()[:16]


def frame_fingerprint(frame: pd.DataFrame) -> str:
    """A short hash of a DataFrame's values, column names and dtypes (what an in-memory dataset's identity is)."""
    h = hashlib.sha256("\x1f".join(f"{c}:{t}" for c, t in frame.dtypes.astype(str).items()).encode())
    h.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return h.hexdigest()[:16]
