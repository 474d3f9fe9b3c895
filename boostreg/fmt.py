"""Numbers as people read them: the one formatter every table, sentence, figure and console line uses.

A missing or non-finite value prints as an en dash ("–"); booleans as yes / no; everything else through one format
string. Pure standard library (plus numpy's scalar types, recognised by duck typing), so it sits at the bottom of
the import graph.
"""

from __future__ import annotations

import math

DASH = "–"


def _is_missing(v) -> bool:
    if v is None:
        return True
    try:
        return not math.isfinite(float(v))
    except (TypeError, ValueError):
        return False


def num(v, spec: str = ".3g") -> str:
    """``v`` formatted with ``spec`` (a format spec such as ".3g", "+.1%", "g"); "–" for None, NaN or inf;
    "yes"/"no" for booleans; text as it is.

    >>> num(0.012345), num(float("nan")), num(0.0123, "+.1%"), num(True)
    ('0.0123', '–', '+1.2%', 'yes')
    """
    if isinstance(v, bool) or type(v).__name__ in ("bool_", "bool"):  # numpy 1 calls its scalar bool_, numpy 2 bool
        return "yes" if v else "no"
    if isinstance(v, str):
        return v
    if _is_missing(v):
        return DASH
    try:
        return format(v, spec)
    except (TypeError, ValueError):
        return str(v)


def pct(v, spec: str = "+.1%") -> str:
    """A signed percentage: ``pct(0.0123)`` -> "+1.2%"; "–" when missing."""
    return num(v, spec)


def count(v) -> str:
    """A whole number: ``count(3.0)`` -> "3"; "–" when missing."""
    return DASH if _is_missing(v) else str(int(v))


def interval(mean, low, high, spec: str = ".3g") -> str:
    """ "mean [low, high]", e.g. ``interval(0.0113, -0.0138, 0.0364)`` -> "0.0113 [-0.0138, 0.0364]"."""
    return f"{num(mean, spec)} [{num(low, spec)}, {num(high, spec)}]"


def short_repr(value, limit: int = 60) -> str:
    """repr of a user's value for a one-line message, cut to ``limit`` characters."""
    shown = repr(value)
    return shown if len(shown) <= limit else shown[: limit - 3] + "..."
