"""Engine registry: name -> engine instance. A new engine is one file plus one ``register_engine`` call.

Everything downstream (planning, records, summary, report, guide) discovers engines here, by their declared
``kind`` ("booster" or "baseline"), ``penalties`` and ``record_columns`` — never by a list of names.
"""

from .base import Engine, Fold, TreeEngine
from .lightgbm import LightGBMEngine
from .linear import LINEAR_ENGINES
from .svm import SVM_ENGINES
from .xgboost import XGBoostEngine

ENGINES: dict[str, Engine] = {}
_COLUMN_TYPES = ("float64", "string", "bool", "int64")

# ---------------------------------------------------------------------------------------------- colours

#: two engines' colours in one figure differ by at least this CIE76 colour difference (ΔE*ab in CIELAB)
MIN_COLOR_DISTANCE = 25.0
_WHITE, _GREY = "#ffffff", "#808080"  # the page, and the neutral lines of the legends (test / train, ...)


def _is_hex_color(c) -> bool:
    return isinstance(c, str) and len(c) == 7 and c[0] == "#" and all(ch in "0123456789abcdefABCDEF" for ch in c[1:])


def _lab(color: str) -> tuple[float, float, float]:
    """CIELAB (D65) of a "#rrggbb" sRGB colour."""
    rgb = [int(color[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb)
    xyz = ((0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047, 0.2126 * r + 0.7152 * g + 0.0722 * b,
           (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883)
    fx, fy, fz = (t ** (1 / 3) if t > 216 / 24389 else (24389 / 27 * t + 16) / 116 for t in xyz)
    return 116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)


def color_distance(a: str, b: str) -> float:
    """CIE76 ΔE between two "#rrggbb" colours (about 2.3 is just noticeable; boostreg keeps engines 25 apart)."""
    return sum((p - q) ** 2 for p, q in zip(_lab(a.lower()), _lab(b.lower()))) ** 0.5


def declared_color(engine: Engine) -> str | None:
    """The colour ``engine`` declares for itself: its ``color`` when the class that sets it is the one that sets
    ``name`` or a subclass of it (a plug-in that subclasses XGBoostEngine under its own name does not inherit
    XGBoost's colour); None otherwise."""
    own = getattr(engine, "__dict__", {})
    if "name" in own:  # set on the instance
        return own.get("color")
    mro = type(engine).__mro__
    owner = {attr: next((k for k, cls in enumerate(mro) if attr in vars(cls)), None) for attr in ("name", "color")}
    if owner["color"] is None or owner["name"] is None or owner["color"] > owner["name"]:
        return None
    return vars(mro[owner["color"]])["color"]


def _fallback_colors(name: str):
    """Candidate colours for an engine that declares none, in an order fixed by its name alone."""
    import colorsys
    import hashlib

    start = int(hashlib.sha256(name.encode("utf-8")).hexdigest()[:8], 16) % 3600 / 10
    for k in range(48):  # hues a golden angle apart, each at three lightnesses
        hue = (start + 137.50776 * k) % 360 / 360
        for light in (0.45, 0.32, 0.58):
            r, g, b = colorsys.hls_to_rgb(hue, light, 0.8)
            yield "#" + "".join(f"{round(v * 255):02x}" for v in (r, g, b))


def _clear_of(color: str, avoid, floor: float) -> bool:
    """Whether ``color`` reads on the page, differs from the legends' grey and from each colour in ``avoid``."""
    return (color_distance(color, _WHITE) >= 40 and color_distance(color, _GREY) >= 15
            and all(color_distance(color, u) >= floor for u in avoid))


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


def register_engine(engine: Engine, *, replace: bool = False) -> Engine:
    """Make ``engine`` (an instance of an :class:`Engine` subclass) available to studies by its ``name``.

    It must declare ``name``, ``kind`` ("booster" or "baseline"), ``tasks`` and ``param_names``; boosters may
    declare ``penalties`` (which of reg_alpha / reg_lambda they take), any engine ``record_columns`` for its
    records. A name already registered is refused unless ``replace``. Returns the engine.
    """
    from ..errors import BoostregError

    if not isinstance(engine, Engine):
        raise BoostregError(f"register_engine needs an instance of a boostreg Engine subclass; got {type(engine).__name__}. "
                            "Subclass boostreg.engines.TreeEngine (boosters) or engines.linear.SklearnEngine (baselines).")
    name = getattr(engine, "name", None)
    if not isinstance(name, str) or not name.isidentifier():
        raise BoostregError(f"an engine's name must be a plain identifier, e.g. name = \"my_booster\"; got {name!r}.")
    if engine.kind not in ("booster", "baseline"):
        raise BoostregError(f"engine '{name}' has kind {engine.kind!r}; use \"booster\" or \"baseline\".")
    if engine.kind == "booster" and (not engine.penalties or set(engine.penalties) - {"reg_alpha", "reg_lambda"}):
        raise BoostregError(f"engine '{name}' declares penalties {engine.penalties!r}; use a non-empty subset of "
                            "(\"reg_alpha\", \"reg_lambda\").")
    for column, kind in engine.record_columns.items():
        if kind not in _COLUMN_TYPES:
            raise BoostregError(f"engine '{name}' declares column '{column}' of type {kind!r}; use one of "
                                f"{', '.join(_COLUMN_TYPES)}.")
    color = getattr(engine, "color", None)
    if color is not None and not _is_hex_color(color):
        raise BoostregError(f"engine '{name}' declares color {color!r}; use a hex colour like \"#1f77b4\" (or none: "
                            "boostreg then makes one from the name).")
    if name in ENGINES and not replace and type(ENGINES[name]) is not type(engine):
        raise BoostregError(f"an engine named '{name}' is already registered; choose another name or pass replace=True.")
    ENGINES[name] = engine
    return engine


for _engine in (XGBoostEngine(), LightGBMEngine(), *(cls() for cls in LINEAR_ENGINES), *(cls() for cls in SVM_ENGINES)):
    register_engine(_engine)

__all__ = ["ENGINES", "Engine", "Fold", "TreeEngine", "engine_colors", "register_engine"]

# plug-ins, registered like any user engine: sklearn's HistGradientBoosting (an L2-only booster), a small MLP
# baseline, and CatBoost where it is installed (the optional extra boostreg[catboost]; looked up, not imported:
# importing catboost takes most of a second, and engines/catboost.py imports it when a fit needs it)
import importlib.util as _importlib_util  # noqa: E402

from .histgb import HistGBEngine  # noqa: E402
from .mlp import MLPEngine  # noqa: E402

register_engine(HistGBEngine())
register_engine(MLPEngine())
if _importlib_util.find_spec("catboost") is not None:
    from .catboost import CatBoostEngine  # noqa: E402

    register_engine(CatBoostEngine())
