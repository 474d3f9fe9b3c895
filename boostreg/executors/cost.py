"""The one model of what a fit costs: the scheduler orders and cuts tasks with it, ``boostreg run --dry-run``
estimates a study's time with it.

A rough linear model of a booster fit: a time per training row and boosting round, plus a fixed time per fit
(a fit without rounds, a baseline, costs the fixed time). Its constants come from this project's measurements on
two cores (benchmarks/README.md); only the ratios between groups matter to the scheduler.
"""

from __future__ import annotations

from ..plan import FitGroup

#: seconds per training row and boosting round of a booster fit
SECONDS_PER_ROW_ROUND = 4e-7
#: seconds every fit costs besides its rounds (preparing, measuring, writing its record)
SECONDS_PER_FIT = 0.02


def estimate_seconds(n_rows: int, rounds: float, n_fits: int = 1) -> float:
    """Estimated CPU seconds of ``n_fits`` fits on a dataset of ``n_rows`` rows with ``rounds`` boosting rounds
    (0 or None: a fit without rounds)."""
    rounds = float(rounds or 0)
    per_fit = SECONDS_PER_ROW_ROUND * n_rows * rounds + SECONDS_PER_FIT if rounds else SECONDS_PER_FIT
    return per_fit * n_fits


def group_rounds(group: FitGroup) -> float:
    """The boosting rounds of a group's fits (0 for an engine without rounds)."""
    return float(group.fixed.get("n_estimators", 0) or 0)


def fit_seconds(group: FitGroup) -> float:
    """Estimated CPU seconds of one fit of ``group``."""
    return estimate_seconds(group.n_rows, group_rounds(group))
