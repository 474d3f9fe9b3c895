"""The engine registry: name -> engine instance, and everything the rest of boostreg asks about engines.

Planning, records, tables, report, guide and CLI discover engines here — their names, kinds, defaults, colours,
library versions and the sentence naming their library defaults — never by a list of names of their own. An
engine is registered with :func:`register_engine`; an engine whose library is an optional extra with
:func:`register_optional` (registered where its library is installed; elsewhere :func:`get_engine` names the
``pip install`` that adds it). Nothing here imports an engine's library.
"""

from __future__ import annotations

import colorsys
import difflib
import hashlib
import importlib
import importlib.util

from ..errors import BoostregError
from .base import Engine

#: every engine this process can fit, in registration order (built-ins first)
ENGINES: dict[str, Engine] = {}
#: engines whose library is an optional extra: name -> (engine module, engine class, pip extra)
OPTIONAL_ENGINES: dict[str, tuple[str, str, str]] = {}
KINDS = ("booster", "baseline")
_COLUMN_TYPES = ("float64", "string", "bool", "int64")


def register_engine(engine: Engine, *, replace: bool = False) -> Engine:
    """Make an engine available to studies under its ``name``.

    Parameters
    ----------
    engine : Engine
        An instance of an :class:`~boostreg.engines.Engine` subclass (boosters subclass
        :class:`~boostreg.engines.TreeEngine`, baselines ``boostreg.engines.linear.SklearnEngine``). It must declare
        ``name`` (a plain identifier), ``kind`` ("booster" or "baseline"), ``tasks`` and ``param_names``; boosters
        may declare ``penalties`` (a non-empty subset of reg_alpha / reg_lambda), any engine ``record_columns``
        (name -> "float64" | "string" | "bool" | "int64") and ``color`` ("#rrggbb").
    replace : bool, default False
        Replace an engine of another class already registered under that name (otherwise refused).

    Returns
    -------
    Engine
        ``engine``, as registered.

    Raises
    ------
    BoostregError
        When a declaration is missing or malformed, or the name is taken and ``replace`` is False.
    """
    if not isinstance(engine, Engine):
        raise BoostregError(
            f"register_engine needs an instance of a boostreg Engine subclass; got "
            f"{type(engine).__name__}. Subclass boostreg.engines.TreeEngine (boosters) or "
            "engines.linear.SklearnEngine (baselines)."
        )
    name = getattr(engine, "name", None)
    if not isinstance(name, str) or not name.isidentifier():
        raise BoostregError(f'an engine\'s name must be a plain identifier, e.g. name = "my_booster"; got {name!r}.')
    if engine.kind not in KINDS:
        raise BoostregError(f'engine \'{name}\' has kind {engine.kind!r}; use "booster" or "baseline".')
    if engine.kind == "booster" and (not engine.penalties or set(engine.penalties) - {"reg_alpha", "reg_lambda"}):
        raise BoostregError(
            f"engine '{name}' declares penalties {engine.penalties!r}; use a non-empty subset of "
            '("reg_alpha", "reg_lambda").'
        )
    for column, kind in engine.record_columns.items():
        if kind not in _COLUMN_TYPES:
            raise BoostregError(
                f"engine '{name}' declares column '{column}' of type {kind!r}; use one of {', '.join(_COLUMN_TYPES)}."
            )
    color = getattr(engine, "color", None)
    if color is not None and not _is_hex_color(color):
        raise BoostregError(
            f"engine '{name}' declares color {color!r}; use a hex colour like \"#1f77b4\" (or none: "
            "boostreg then makes one from the name)."
        )
    if name in ENGINES and not replace and type(ENGINES[name]) is not type(engine):
        raise BoostregError(
            f"an engine named '{name}' is already registered; choose another name or pass replace=True."
        )
    ENGINES[name] = engine
    return engine


def register_optional(name: str, module: str, class_name: str, extra: str) -> Engine | None:
    """Declare an engine whose library is an optional extra, and register it when that library is installed.

    Parameters
    ----------
    name : str
        The engine's name.
    module : str
        The module that defines the engine class (importing it must not import the library).
    class_name : str
        The engine class in ``module``.
    extra : str
        The pip extra that installs the library: ``pip install "boostreg[EXTRA]"``.

    Returns
    -------
    Engine or None
        The registered engine, or None when its library is not installed.
    """
    OPTIONAL_ENGINES[name] = (module, class_name, extra)
    return _load_optional(name)


def _load_optional(name: str) -> Engine | None:
    """Register the optional engine ``name`` if its module imports and its library is installed (looked up, not
    imported); None otherwise."""
    module, class_name, _ = OPTIONAL_ENGINES[name]
    try:
        cls = getattr(importlib.import_module(module), class_name)
        found = importlib.util.find_spec(cls.library or cls.name) is not None
    except (ImportError, AttributeError, ValueError):
        return None
    return register_engine(cls()) if found else None


def get_engine(name: str, where: str | None = None) -> Engine:
    """The registered engine called ``name``.

    Parameters
    ----------
    name : str
        An engine name.
    where : str, optional
        Where the name was read (e.g. a study file), for the error message.

    Returns
    -------
    Engine
        The engine instance.

    Raises
    ------
    BoostregError
        For an unknown name (with the closest known one), or an optional engine whose library is not installed
        (with the ``pip install`` that adds it).
    """
    if name in ENGINES:
        return ENGINES[name]
    at = f" in {where}" if where else ""
    if name in OPTIONAL_ENGINES:
        engine = _load_optional(name)
        if engine is not None:
            return engine
        extra = OPTIONAL_ENGINES[name][2]
        raise BoostregError(f"engine '{name}'{at} needs its library: pip install \"boostreg[{extra}]\"")
    match = difflib.get_close_matches(str(name), [*ENGINES, *OPTIONAL_ENGINES], n=1, cutoff=0.5)
    hint = f"; did you mean '{match[0]}'?" if match else "."
    raise BoostregError(f"unknown engine '{name}'{at}{hint} Known engines: {', '.join(ENGINES)}.")


def engine_names(kind: str | None = None) -> list[str]:
    """The registered engines' names in registration order; ``kind`` "booster" or "baseline": those only."""
    if kind is not None and kind not in KINDS:
        raise BoostregError(f'unknown engine kind {kind!r}; use "booster" or "baseline".')
    return [n for n, e in ENGINES.items() if kind is None or e.kind == kind]


def engine_kind(name: str) -> str:
    """ "booster" or "baseline"; a name not registered in this process counts as a booster (records of a plug-in
    written elsewhere: boosters are what boostreg studies)."""
    engine = ENGINES.get(str(name))
    return engine.kind if engine is not None else "booster"


def declared(engine: Engine, attr: str, missing=None):
    """``engine``'s ``attr`` when the class that sets it is the one that sets ``name`` or a subclass of it (a
    plug-in that subclasses XGBoostEngine under its own name does not inherit XGBoost's colour, default status or
    published points); ``missing`` otherwise."""
    own = getattr(engine, "__dict__", {})
    if "name" in own:  # set on the instance
        return own.get(attr, missing)
    mro = type(engine).__mro__
    owner = {a: next((k for k, cls in enumerate(mro) if a in vars(cls)), None) for a in ("name", attr)}
    if owner[attr] is None or owner["name"] is None or owner[attr] > owner["name"]:
        return missing
    return vars(mro[owner[attr]])[attr]


def default_engines() -> list[str]:
    """The engines a study that names none fits: those whose class declares ``default = True``, in registration
    order."""
    return [n for n, e in ENGINES.items() if declared(e, "default", False)]


def published(kind: str | None = None) -> list[dict]:
    """The literature's reference points and ranges the registered engines declare (``Engine.published``), in
    registration order, as copies; ``kind`` "point" (those with a ``label``: fitted beside the grid) or "range"."""
    out = []
    for engine in ENGINES.values():
        for entry in declared(engine, "published", ()):
            if kind is None or (kind == "point") == ("label" in entry):
                out.append(dict(entry))
    return out


def library_versions(names=None) -> dict[str, str]:
    """The versions of the libraries records depend on: each engine's library (engines ``names``, default all
    registered, taken in name order) -> its version, e.g. {"lightgbm": "4.7.0", "sklearn": "1.9.1", "xgboost":
    "3.2.0"}. No library is imported for it where its package metadata says its version."""
    names = list(ENGINES) if names is None else [str(n) for n in names]
    engines = [get_engine(n) for n in sorted(set(names))]
    return {(getattr(e, "library", None) or e.name): e.version() for e in engines}


def defaults_sentence(names) -> str:
    """The library-default penalties of these engines, read from each engine's own ``library_defaults`` (boosters
    by boostreg's names with the library's in brackets, baselines by their class's alpha or C), boosters first,
    e.g. 'xgboost reg_alpha 0, reg_lambda 1 (alpha, lambda); catboost reg_lambda 3 (l2_leaf_reg); mlp alpha
    0.0001'."""
    parts = []
    for name in sorted(set(map(str, names)), key=lambda e: (engine_kind(e) != "booster", e)):
        eng = ENGINES.get(name)
        defaults = getattr(eng, "library_defaults", None) or {}
        if eng is None or not defaults:
            parts.append(f"{name} not declared by the engine")
        elif eng.kind == "booster":
            keys = list(eng.penalties)
            native = [eng.param_names.get(k, k) for k in keys]
            parts.append(
                f"{name} "
                + ", ".join(f"{k} {float(defaults.get(k, 0.0)):g}" for k in keys)
                + (f" ({', '.join(native)})" if native != keys else "")
            )
        else:
            penalty = str(getattr(eng, "penalty_param", "penalty"))
            parts.append(f"{name} {penalty} {float(defaults.get('penalty', float('nan'))):g}")
    return "; ".join(parts)


# ---------------------------------------------------------------------------------------------- colours

#: two engines' colours in one figure differ by at least this CIE76 colour difference (ΔE*ab in CIELAB)
MIN_COLOR_DISTANCE = 25.0
_WHITE, _GREY = "#ffffff", "#808080"  # the page, and the neutral lines of the legends (test / train, ...)


def _is_hex_color(c) -> bool:
    return isinstance(c, str) and len(c) == 7 and c[0] == "#" and all(ch in "0123456789abcdefABCDEF" for ch in c[1:])


def _lab(color: str) -> tuple[float, float, float]:
    """CIELAB (D65) of a "#rrggbb" sRGB colour."""
    rgb = [int(color[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb)
    xyz = (
        (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047,
        0.2126 * r + 0.7152 * g + 0.0722 * b,
        (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883,
    )
    fx, fy, fz = (t ** (1 / 3) if t > 216 / 24389 else (24389 / 27 * t + 16) / 116 for t in xyz)
    return 116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)


def color_distance(a: str, b: str) -> float:
    """CIE76 ΔE between two "#rrggbb" colours (about 2.3 is just noticeable; boostreg keeps engines 25 apart)."""
    return sum((p - q) ** 2 for p, q in zip(_lab(a.lower()), _lab(b.lower()))) ** 0.5


def declared_color(engine: Engine) -> str | None:
    """The colour ``engine`` declares for itself: its ``color`` when the class that sets it is the one that sets
    ``name`` or a subclass of it (a plug-in that subclasses XGBoostEngine under its own name does not inherit
    XGBoost's colour); None otherwise."""
    return declared(engine, "color")


def _fallback_colors(name: str):
    """Candidate colours for an engine that declares none, in an order fixed by its name alone."""
    start = int(hashlib.sha256(name.encode("utf-8")).hexdigest()[:8], 16) % 3600 / 10
    for k in range(48):  # hues a golden angle apart, each at three lightnesses
        hue = (start + 137.50776 * k) % 360 / 360
        for light in (0.45, 0.32, 0.58):
            r, g, b = colorsys.hls_to_rgb(hue, light, 0.8)
            yield "#" + "".join(f"{round(v * 255):02x}" for v in (r, g, b))


def _clear_of(color: str, avoid, floor: float) -> bool:
    """Whether ``color`` reads on the page, differs from the legends' grey and from each colour in ``avoid``."""
    return (
        color_distance(color, _WHITE) >= 40
        and color_distance(color, _GREY) >= 15
        and all(color_distance(color, u) >= floor for u in avoid)
    )


def engine_colors(names) -> dict[str, str]:
    """A colour per engine name, distinct within the set (at least :data:`MIN_COLOR_DISTANCE` apart) and the
    same in every figure and report: each registered engine's declared ``color``; for an engine without one (a
    plug-in, or a name whose engine is not registered in this process) the first colour of a sequence made from
    its name that keeps clear of every registered engine's colour, of the others in the set, of white and of grey.
    """
    names = list(dict.fromkeys(str(n) for n in names))
    declared = {n: declared_color(e) for n, e in ENGINES.items()}
    reserved = [c for c in declared.values() if c]
    out: dict[str, str] = {}
    for n in ENGINES:  # registration order: built-ins first, so a plug-in never takes a built-in's colour
        c = declared[n]
        if n in names and c and all(color_distance(c, u) >= MIN_COLOR_DISTANCE for u in out.values()):
            out[n] = c.lower()
    for n in sorted(set(names) - set(out)):
        for floor in (MIN_COLOR_DISTANCE, MIN_COLOR_DISTANCE / 2, 0.0):  # relaxed only when the space runs out
            avoid = [*reserved, *out.values()]
            pick = next((c for c in _fallback_colors(n) if _clear_of(c, avoid, floor)), None)
            if pick is not None:
                out[n] = pick
                break
        else:
            out[n] = next(_fallback_colors(n))
    return {n: out[n] for n in names}
