"""Study files: TOML -> :class:`~boostreg.study.Study` (with the TOML-only forms: log grids, [params.ENGINE]
sections, [baseline_grid.ENGINE] tables, dataset files relative to the study file), the default study, and the
one-file study of ``boostreg run --data``."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from ..data import package_folder
from ..engines import default_engines
from ..errors import BoostregError
from .params import DEFAULT_GRID, PRIMARY_METRICS, _check_keys, _grid_values
from .spec import DatasetSpec
from .study import Study
from .validation import engines_example

STUDIES_DIR = package_folder("boostreg.studies")
DEFAULT_STUDY = STUDIES_DIR / "quickstart.toml"

_STUDY_KEYS = {
    "name",
    "description",
    "engines",
    "folds",
    "seeds",
    "primary_metric",
    "check",
    "curves",
    "refit",
    "fit_timeout",
}
_DATASET_KEYS = {
    "name",
    "file",
    "target",
    "task",
    "max_rows",
    "params",
    "alias",
    "grid",
    "groups",
    "weight",
    "features",
}
_TOP_KEYS = {"study", "datasets", "grid", "params", "baseline_grid", "extra_points"}


def study_from_dict(doc: dict, *, source: str = "<dict>", base_dir: Path | None = None) -> Study:
    """Build a Study from the parsed TOML document; relative dataset files resolve from ``base_dir``."""
    _check_keys(doc, _TOP_KEYS, source)
    for key, kind, example in (
        ("study", dict, "[study]"),
        ("grid", dict, "[grid]"),
        ("params", dict, "[params]"),
        ("datasets", list, "[[datasets]]"),
    ):
        if key in doc and not isinstance(doc[key], kind):
            raise BoostregError(
                f"'{key}' in {source} must be written as a {example} section; see studies/quickstart.toml."
            )
    head = doc.get("study", {})
    _check_keys(head, _STUDY_KEYS, f"[study] of {source}")
    if "seeds" in head and not isinstance(head["seeds"], list):
        raise BoostregError(f"seeds = {head['seeds']!r} in {source} must be a list, e.g. seeds = [0, 1].")
    if "engines" in head and not isinstance(head["engines"], list):
        raise BoostregError(
            f"engines = {head['engines']!r} in {source} must be a list, e.g. engines = {engines_example(1)}."
        )
    datasets = []
    for i, ds in enumerate(doc.get("datasets", [])):
        if not isinstance(ds, dict):
            raise BoostregError(
                f'[[datasets]] #{i + 1} of {source} must be a table, e.g. [[datasets]] name = "diabetes".'
            )
        _check_keys(ds, _DATASET_KEYS, f"[[datasets]] #{i + 1} of {source}")
        if bool(ds.get("name")) == bool(ds.get("file")):
            raise BoostregError(
                f'[[datasets]] #{i + 1} of {source} needs exactly one of name = "diabetes" '
                '(built-in) or file = "data.csv" with target = "column".'
            )
        if ds.get("file"):
            if not ds.get("target"):
                raise BoostregError(
                    f'[[datasets]] #{i + 1} of {source} gives file but no target; add target = "column".'
                )
            path = Path(ds["file"])
            if not path.is_absolute() and base_dir is not None:
                try:
                    ds = {**ds, "file": str((base_dir / path).resolve())}
                except (RuntimeError, OSError):  # a symlink loop: load_file says so in one line
                    ds = {**ds, "file": str((base_dir / path).absolute())}
        if "features" in ds:
            listed = ds["features"]
            if not (isinstance(listed, list) and listed and all(isinstance(c, str) for c in listed)):
                raise BoostregError(
                    f"features of [[datasets]] #{i + 1} in {source} must be a list of column names, e.g. "
                    'features = ["age", "income"].'
                )
        if "grid" in ds:
            if not isinstance(ds["grid"], dict):
                raise BoostregError(
                    f"grid of [[datasets]] #{i + 1} in {source} must be a table, e.g. "
                    "[datasets.grid] reg_alpha = [0, 1, 1000]."
                )
            ds = {**ds, "grid": {k: _grid_values(k, v, source) for k, v in ds["grid"].items()}}
        datasets.append(DatasetSpec(**ds))
    grid = {k: _grid_values(k, v, source) for k, v in doc.get("grid", DEFAULT_GRID).items()}
    baseline_grid = {}
    raw = doc.get("baseline_grid", {})
    if not isinstance(raw, dict):
        raise BoostregError(
            f"'baseline_grid' in {source} must be a [baseline_grid] section; see studies/quickstart.toml."
        )
    for key, value in raw.items():
        if key != "penalty":  # [baseline_grid.ENGINE] penalty = ...
            if not isinstance(value, dict):
                raise BoostregError(
                    f"baseline_grid.{key} in {source} must be a table: [baseline_grid.{key}] penalty = [...]."
                )
            _check_keys(value, {"penalty"}, f"[baseline_grid.{key}] of {source}")
            if "penalty" not in value:
                raise BoostregError(f"[baseline_grid.{key}] in {source} has no penalty; add penalty = [0.01, 0.1, 1].")
            value = value["penalty"]
        baseline_grid[key] = _grid_values(f"baseline_grid.{key}", value, source, zero_default=False)
    params = dict(doc.get("params", {}))
    engine_params = {k: params.pop(k) for k in list(params) if isinstance(params[k], dict)}
    pm = head.get("primary_metric", {})
    if isinstance(pm, str):
        raise BoostregError(
            f"primary_metric in {source} must be a table, e.g. primary_metric = "
            '{ regression = "rmse", binary = "logloss" }.'
        )
    primary = {t: m[0] for t, m in PRIMARY_METRICS.items()} | dict(pm)
    extra = doc.get("extra_points", [])
    if not isinstance(extra, list):
        raise BoostregError(f"'extra_points' in {source} must be written as [[extra_points]] tables.")
    return Study(
        name=head.get("name", ""),
        description=head.get("description", ""),
        datasets=datasets,
        extra_points=extra,
        engines=list(head.get("engines", default_engines())),
        grid=grid,
        params=params,
        engine_params=engine_params,
        folds=head.get("folds", 3),
        seeds=list(head.get("seeds", [0])),
        check=head.get("check", "sample"),
        curves=head.get("curves", "checked"),
        refit=head.get("refit"),
        fit_timeout=head.get("fit_timeout"),
        primary_metric=primary,
        baseline_grid=baseline_grid,
        source=source,
    )


def load_study(path: str | Path) -> Study:
    """Read a study file (TOML) into a validated Study.

    Parameters
    ----------
    path : str or pathlib.Path
        The study file, e.g. ``studies/quickstart.toml`` (``boostreg.study.DEFAULT_STUDY``). Dataset files it names
        by a relative path resolve from the file's folder.

    Returns
    -------
    Study
        The study, validated; its ``source`` is ``path``. A missing or unreadable file, malformed TOML (reported
        with its line and column) or an invalid study raises a one-line BoostregError.
    """
    path = Path(path)
    if not path.exists():
        raise BoostregError(
            f"study file '{path}' does not exist; check the path, or run 'boostreg run' for the default study."
        )
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise BoostregError(
            f"cannot read study file '{path}' ({err.__class__.__name__}); check it is a UTF-8 text file you can read."
        ) from err
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise BoostregError(f"malformed TOML in '{path}': {err}; fix the file at that line and column.") from None
    return study_from_dict(doc, source=str(path), base_dir=path.resolve().parent)


def single_file_study(
    path: str,
    target: str,
    task: str | None = None,
    groups: str | None = None,
    weight: str | None = None,
    features: list[str] | None = None,
) -> Study:
    """The default grid on one user file: what ``boostreg run --data FILE --target COL [--groups COL] [--weight COL]``
    runs."""
    try:
        file = Path(path).resolve()
    except (RuntimeError, OSError):  # a symlink loop (RuntimeError on Python 3.11): load_file says so in one line
        file = Path(path).absolute()
    spec = DatasetSpec(file=str(file), target=target, task=task, groups=groups, weight=weight, features=features)
    label = re.sub(r"[^\w.\- ]", "_", Path(path).stem)[:90] or "data"
    return Study(
        name=f"file-{label}",
        datasets=[spec],
        source=f"--data {path}",
        seeds=[0, 1],
        params={"validation_fraction": 0.2},
        description=f"default reg_alpha x reg_lambda grid on {Path(path).name}",
    )
