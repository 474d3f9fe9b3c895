"""The loaded dataset every loader returns, its content fingerprints and the seeded subsample."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

#: The tasks boostreg handles (a study's primary metrics are keyed by them).
TASKS = ("regression", "binary")
SUBSAMPLE_SEED = 0


# Dataset objects hold DataFrames, so equality is identity (eq=False); compare ``fingerprint`` instead.
@dataclass(frozen=True, eq=False)
class Dataset:
    """A loaded dataset: features, target, task and (for synthetic data) the ground truth."""

    name: str
    X: pd.DataFrame
    y: np.ndarray
    task: str
    source: str
    informative: tuple[str, ...] | None = None
    noise: tuple[str, ...] | None = None
    classes: tuple[str, str] | None = None
    fingerprint: str = ""
    #: the task was inferred from the target (not given): binary when the target has 2 distinct values
    task_inferred: bool = False
    #: feature name in X -> the column's name in the data, for the columns renamed for the engines
    original_names: dict[str, str] = field(default_factory=dict)
    #: each row's group (``groups=COLUMN``): a group splitter (GroupKFold) and the validation split keep groups whole
    groups: np.ndarray | None = None

    @property
    def n_rows(self) -> int:
        return len(self.X)

    @property
    def categorical(self) -> tuple[str, ...]:
        return tuple(c for c in self.X.columns if isinstance(self.X[c].dtype, pd.CategoricalDtype))


def _subsample(n: int, size: int, y: np.ndarray | None) -> np.ndarray:
    """Sorted row positions of a seeded subsample; stratified by class when ``y`` is given."""
    from sklearn.model_selection import train_test_split

    stratify = y if y is not None and min(np.sum(y == 0), np.sum(y == 1)) >= 2 else None
    keep, _ = train_test_split(np.arange(n), train_size=size, random_state=SUBSAMPLE_SEED, stratify=stratify)
    return np.sort(keep)


def content_fingerprint(X: pd.DataFrame, y: np.ndarray, task: str) -> str:
    """Short sha256 of the content: task, column names, feature values (categories by label) and target."""
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
    return h.hexdigest()[:16]


def frame_fingerprint(frame: pd.DataFrame) -> str:
    """A short hash of a DataFrame's values, column names and dtypes (what an in-memory dataset's identity is)."""
    h = hashlib.sha256("\x1f".join(f"{c}:{t}" for c, t in frame.dtypes.astype(str).items()).encode())
    h.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return h.hexdigest()[:16]
