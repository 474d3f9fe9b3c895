"""What a study may set: the booster parameters and their ranges, the primary metrics, the penalties, and the grid
helpers (log-spaced grids, penalties in the data's units).

Users write ``reg_alpha`` / ``reg_lambda`` and the other common names for every engine; each engine maps them to its
own names.
"""

from __future__ import annotations

import difflib
import re

import numpy as np

from ..errors import BoostregError
from ..fmt import short_repr
from ..metrics import BUILTIN, PREDICTION, SELECTABLE, Metric, probe

#: The metric a study selects on per task (the tasks of boostreg.data.TASKS; the first is the default) and the
#: alternatives it may choose (boostreg.metrics.SELECTABLE); from Python also a boostreg.Metric.
PRIMARY_METRICS = SELECTABLE

#: Booster parameters shared by the engines (common names); each engine maps those it knows.
BOOSTER_PARAMS = {
    "n_estimators": int,
    "learning_rate": float,
    "max_depth": int,
    "num_leaves": int,
    "max_leaves": int,
    "min_child_weight": float,
    "min_child_samples": int,
    "max_delta_step": float,
    "subsample": float,
    "colsample_bytree": float,
    "max_bin": int,
    "gamma": float,
    "reg_alpha": float,
    "reg_lambda": float,
    # early stopping: stop when the primary metric on a validation split carved from the training fold has not
    # improved for this many rounds (0 = off; n_estimators is then the cap), and that split's share of the fold
    "early_stopping_rounds": int,
    "validation_fraction": float,
}
#: Booster parameters that must lie in a range, beyond ">= 0": (low, high, low excluded?, why and the fix).
PARAM_RANGES = {
    "learning_rate": (
        0.0,
        1.0,
        True,
        "at 0 every leaf is 0 and nothing is learned, and learning_rate above 1 overshoots every step; "
        "use a value in (0, 1], e.g. 0.1",
    ),
    "n_estimators": (1, 100_000, False, "give between 1 and 100000 rounds (with early_stopping_rounds it is the cap)"),
    "subsample": (0.0, 1.0, True, "it is the share of rows each tree sees; give a value in (0, 1]"),
    "colsample_bytree": (0.0, 1.0, True, "it is the share of columns each tree sees; give a value in (0, 1]"),
    "num_leaves": (2, 131_072, False, "a tree needs at least 2 leaves to split; give a value >= 2, e.g. 31"),
    "max_leaves": (0, 131_072, False, "give 0 (no limit) or a number of leaves"),
    "max_depth": (1, 64, False, "give a depth from 1 to 64, e.g. 6"),
    "max_bin": (2, 65_535, False, "a histogram needs at least 2 bins; give e.g. 255"),
}
#: seeds are passed to the engines as 32-bit integers
MAX_SEED = 2**31
#: a study name is a label (it names runs/NAME), never a path
NAME_PATTERN = re.compile(r"[^\W_][\w.\- ]{0,99}")

#: The grid of a study that gives none (and of ``boostreg run --data``): penalties in the data's own units (see
#: :func:`relative`), from "no effect" to "every first-tree leaf is 0" (reg_alpha = alpha_max) and "a typical
#: leaf shrunk to 9%" (reg_lambda = 10 H-bar).
DEFAULT_GRID = {"reg_alpha": {"relative": [0.0, 0.01, 0.1, 1.0]}, "reg_lambda": {"relative": [0.0, 0.1, 1.0, 10.0]}}
PENALTIES = ("reg_alpha", "reg_lambda")
#: What a relative penalty multiplies, read from the group's unpenalized fit's first tree (docs/usage.md,
#: "Penalties in the data's units"): alpha_max = max |G| over its leaves, H-bar = mean H over its leaves.
RELATIVE_UNIT = {"reg_alpha": "alpha_max", "reg_lambda": "H-bar"}


def relative(values) -> dict:
    """A penalty grid in the data's units: reg_alpha as fractions of alpha_max, reg_lambda as multiples of H-bar.

    ``grid={"reg_alpha": relative([0, 0.01, 0.1, 1]), "reg_lambda": relative([0, 1, 10])}``; in TOML,
    ``reg_alpha = { relative = [0, 0.01, 0.1, 1] }``. Each fold's raw values come from its unpenalized fit.

    Parameters
    ----------
    values : iterable of float
        The penalties in the data's units: for reg_alpha fractions of alpha_max (the largest leaf gradient sum of
        the unpenalized fit's first tree; 1 makes every first-tree leaf 0), for reg_lambda multiples of H-bar (the
        mean leaf hessian sum of that tree).

    Returns
    -------
    dict
        ``{"relative": [...]}`` with the numbers as floats: a grid entry a study reads as relative.
    """
    return {
        "relative": [
            float(v) if isinstance(v, (int, float, np.number)) and not isinstance(v, bool) else v for v in values
        ]
    }


def is_relative(entry) -> bool:
    """Whether a grid entry is given in the data's units (see :func:`relative`)."""
    return isinstance(entry, dict) and "relative" in entry


def grid_values(entry) -> list[float]:
    """The numbers of a penalty grid entry, raw or relative."""
    return list(entry["relative"]) if is_relative(entry) else list(entry)


def log_grid(low: float, high: float, num: int, *, zero: bool = True) -> list[float]:
    """Log-spaced grid values, rounded to 4 significant digits, with 0 first if ``zero``.

    Parameters
    ----------
    low : float
        The smallest value after 0; must be > 0.
    high : float
        The largest value; must be >= ``low``.
    num : int
        How many log-spaced values from ``low`` to ``high`` (at least 1).
    zero : bool, default True
        Put 0.0 (no penalty) in front of them.

    Returns
    -------
    list of float
        ``[0.0] + num values`` (or the ``num`` values alone when ``zero`` is False), e.g.
        ``log_grid(0.01, 10, 4)`` -> ``[0.0, 0.01, 0.1, 1.0, 10.0]``.
    """
    if not (low > 0 and high >= low and num >= 1):
        raise BoostregError(
            f"log grid needs 0 < low <= high and num >= 1; got low={low}, high={high}, num={num}. "
            "Fix the 'log' entry of the grid."
        )
    values = [float(f"{v:.4g}") for v in np.geomspace(low, high, num)]
    return ([0.0] if zero else []) + values


def _closest(word: str, choices) -> str:
    match = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.5)
    return f"; did you mean '{match[0]}'?" if match else ""


def _check_keys(found, allowed, where: str):
    for key in found:
        if key not in allowed:
            raise BoostregError(
                f"unknown key '{key}' in {where}{_closest(key, allowed)} Allowed keys: {', '.join(sorted(allowed))}."
            )


def _grid_values(key: str, value, where: str, zero_default: bool = True):
    """A grid entry is a list, or {log = [low, high], num = N, zero = true} for a log grid."""
    if is_relative(value):
        if key.split(".")[-1] not in PENALTIES and not key.startswith("baseline_grid"):
            raise BoostregError(
                f"grid.{key} in {where} is relative; only reg_alpha and reg_lambda can be given in the "
                "data's units. Give a list of values."
            )
        _check_keys(value, {"relative"}, f"grid.{key} of {where}")
        return {"relative": _grid_values(key, value["relative"], where, zero_default)}
    if isinstance(value, dict):
        _check_keys(value, {"log", "num", "zero", "relative"}, f"grid.{key} of {where}")
        bounds, num = value.get("log"), value.get("num", 5)
        if not (
            isinstance(bounds, list)
            and len(bounds) == 2
            and all(isinstance(b, (int, float)) and not isinstance(b, bool) for b in bounds)
        ):
            raise BoostregError(
                f"grid.{key} in {where} needs log = [low, high] with two numbers, "
                "e.g. { log = [0.001, 1000], num = 7 }."
            )
        if isinstance(num, bool) or not isinstance(num, int):
            raise BoostregError(f"grid.{key} in {where}: num = {num!r} must be a whole number, e.g. num = 7.")
        return log_grid(float(bounds[0]), float(bounds[1]), num, zero=bool(value.get("zero", zero_default)))
    if not isinstance(value, list):
        value = [value]
    return value


def _quoted(text: str) -> str:
    """A user's string for a one-line message: control characters escaped, long ones cut (closing quote kept)."""
    shown = short_repr(text)
    return shown if shown == repr(text) else shown + "'"


def check_primary_metric(study, where: str) -> None:
    """primary_metric: per task one of PRIMARY_METRICS or (Python) a boostreg.Metric that answers a small probe;
    tasks left out get their default, so the dict names every task."""
    for task, metric in study.primary_metric.items():
        if task not in PRIMARY_METRICS:
            raise BoostregError(
                f"primary_metric names unknown task {_quoted(str(task))} in {where}; use "
                f"{', '.join(repr(t) for t in PRIMARY_METRICS)}."
            )
        if isinstance(metric, Metric):
            if str(metric) in BUILTIN or not NAME_PATTERN.fullmatch(str(metric)):
                raise BoostregError(
                    f"Metric name {_quoted(str(metric))} for {task} in {where} must be a plain label that is not a "
                    f'built-in metric\'s name, e.g. Metric(fn, greater_is_better=True, name="my_{task}_score").'
                )
            problem = probe(metric, task)
            if problem is not None:
                raise BoostregError(
                    f"primary_metric Metric '{metric}' for {task} in {where}: on a small probe it {problem}; it "
                    f"must take (y_true, y_pred, sample_weight=None), y_pred being {PREDICTION[task]}, and return "
                    "a finite number."
                )
        elif callable(metric):
            raise BoostregError(
                f"primary_metric for {task} in {where} is a bare callable; wrap it as boostreg.Metric(fn, "
                'greater_is_better=True, name="...") so boostreg knows its direction and name.'
            )
        elif not isinstance(metric, str) or metric not in PRIMARY_METRICS[task]:
            raise BoostregError(
                f"primary_metric {_quoted(metric) if isinstance(metric, str) else short_repr(metric)} for {task} in "
                f"{where} is not supported; choose one of {', '.join(PRIMARY_METRICS[task])} (or, from Python, "
                "a boostreg.Metric)."
            )
    for task, metrics in PRIMARY_METRICS.items():
        study.primary_metric.setdefault(task, metrics[0])


def primary_metric_of_name(name: str, where: str) -> dict:
    """A study's primary_metric given as one name: that metric for the tasks it belongs to, the defaults for the
    others (a :class:`~boostreg.metrics.Metric` needs its task named)."""
    if isinstance(name, Metric):
        raise BoostregError(
            f"primary_metric = {short_repr(name)} in {where} does not say its task; give "
            f'primary_metric={{"binary": Metric(...)}} (tasks: {", ".join(PRIMARY_METRICS)}).'
        )
    tasks = [t for t, metrics in PRIMARY_METRICS.items() if name in metrics]
    if not tasks:
        choices = "; ".join(f"{t}: {', '.join(m)}" for t, m in PRIMARY_METRICS.items())
        raise BoostregError(
            f"primary_metric = {short_repr(name)} in {where} is not a metric "
            f'boostreg knows ({choices}); give e.g. primary_metric={{"regression": "mae"}}.'
        )
    return {t: m[0] for t, m in PRIMARY_METRICS.items()} | {t: name for t in tasks}
