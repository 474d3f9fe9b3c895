"""Helpers shared by the test files (one copy each), and the ``slow`` marker.

``pytest -m "not slow"`` is the fast subset to run while developing (docs/developing.md); CI runs everything.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from boostreg.errors import BoostregError

ROOT = Path(__file__).resolve().parents[1]


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "slow: a test that fits real studies or drives a browser (over ~5 s); "
        'deselect with -m "not slow" while developing',
    )


def run_cli(args, cwd, *, timeout: float = 600, **kw) -> subprocess.CompletedProcess:
    """``boostreg ARGS`` as a user runs it (a new process, text output captured)."""
    return subprocess.run(
        [sys.executable, "-m", "boostreg.cli", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        **kw,
    )


def one_line_error(call, *words) -> str:
    """Run ``call``; it must raise a one-line BoostregError mentioning every word. The message."""
    with pytest.raises(BoostregError) as info:
        call()
    message = str(info.value)
    assert "\n" not in message, message
    for word in words:
        assert word in message, f"{word!r} not in: {message}"
    return message


def synthetic_xy(
    task: str,
    n: int,
    n_features: int,
    *,
    offset: float = 0.0,
    categorical: bool = False,
    colour_missing: bool = False,
    seed: int = 0,
):
    """A small table with a known signal, 2 x0 - |x2|, 5% missing x1 and optionally a categorical colour column
    (5% missing when ``colour_missing``): (X, y) for regression (offset + signal + N(0, 1)) or binary (logistic)."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n, n_features)), columns=[f"x{i}" for i in range(n_features)])
    X.loc[rng.random(n) < 0.05, "x1"] = np.nan  # missing values take the default direction
    signal = 2 * X["x0"].to_numpy() - np.abs(X["x2"].to_numpy())
    if categorical:
        colour = rng.choice(list("abcdefgh"), size=n)
        X["colour"] = pd.Categorical(colour, categories=list("abcdefgh"))
        if colour_missing:
            X.loc[rng.random(n) < 0.05, "colour"] = np.nan
        signal = signal + np.where(np.isin(colour, ["a", "c", "f"]), 1.5, -1.0)
    if task == "regression":
        y = offset + signal + rng.normal(size=n)
    else:
        y = (rng.random(n) < 1 / (1 + np.exp(-signal))).astype(float)
    return X, y
