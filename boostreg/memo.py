"""Tables computed once per document: inside :func:`shared_tables`, a table function of the same fits frame (the same
object) runs once and its callers get copies (the report's sections ask for the same tables many times)."""

from __future__ import annotations

import contextlib
import functools
import json

import pandas as pd

#: while :func:`shared_tables` is active: (table, id of the fits, identity) -> (fits, table)
_SHARED: dict | None = None


@contextlib.contextmanager
def shared_tables():
    """Within this block, :func:`selection_table` and :func:`summary_table` of the same fits frame (the same object)
    and identity are computed once: a document whose sections each ask for them (the report) pays for one. Callers
    get copies, so a section that changes its frame changes no other's.

    Yields
    ------
    None
    """
    global _SHARED
    outer = _SHARED
    if outer is None:
        _SHARED = {}
    try:
        yield
    finally:
        _SHARED = outer


def shared_frame(fn):
    """A function of one fits frame, computed once per frame object inside :func:`shared_tables` (callers get
    copies), like :func:`selection_table`."""

    @functools.wraps(fn)
    def wrapper(fits: pd.DataFrame) -> pd.DataFrame:
        if _SHARED is None:
            return fn(fits)
        key = (fn.__qualname__, id(fits))
        hit = _SHARED.get(key)
        if hit is None or hit[0] is not fits:
            hit = _SHARED[key] = (fits, fn(fits))
        return hit[1].copy()

    return wrapper


def shared_table(fn):
    @functools.wraps(fn)
    def wrapper(fits: pd.DataFrame, identity: dict | None = None) -> pd.DataFrame:
        if _SHARED is None:
            return fn(fits, identity)
        key = (fn.__name__, id(fits), json.dumps(identity, sort_keys=True, default=str))
        hit = _SHARED.get(key)
        if hit is None or hit[0] is not fits:
            hit = _SHARED[key] = (fits, fn(fits, identity))
        return hit[1].copy()

    return wrapper
