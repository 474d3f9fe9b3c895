"""Study -> fit groups: dataset x engine x (non-penalty grid point) x fold x seed, each holding its penalty grid.

A group shares one binned training fold; its fits are the reg_alpha x reg_lambda grid points, the
unpenalized fit (reg_alpha = reg_lambda = 0) first, because every other fit's shrinkage is measured
against it. ``fit_id`` is a deterministic hash of what defines a fit, so a rerun skips stored fits.

A baseline engine (scikit-learn, ``kind = "baseline"``) makes one group per dataset x fold x seed holding its
``penalty`` grid, least penalized first (that fit is the group's reference). Engine x dataset pairs whose
task the engine does not fit (``Engine.tasks``) are skipped. All engines share the same folds, made once per
dataset and seed by :mod:`boostreg.folds`.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import dataclass, field

import numpy as np

from .data import Dataset
from .engines import ENGINES
from .folds import outer_split, split_folds, splits_digest, validation_split
from .study import PENALTIES, DatasetSpec, Study, grid_values, is_relative, validate


@dataclass(frozen=True)
class FitSpec:
    """One fit: identity columns of its record and the full (common-name) parameters."""

    fit_id: str
    group_id: str
    study: str
    dataset: str
    engine: str
    fold: int
    seed: int
    n_splits: int
    params: dict
    in_grid: bool = True  # False for a fit the grid itself does not contain (the unpenalized reference, the default)
    #: penalties given in the data's units: their value in ``params`` is relative (reg_alpha x alpha_max,
    #: reg_lambda x H-bar of the group's unpenalized fit); the runner turns them into raw values
    relative: tuple[str, ...] = ()
    is_default: bool = False  # the library's own penalties (what users run without tuning)
    label: str = ""  # an extra point's label (e.g. "probst2019"): fitted beside the grid to compare with
    check: bool = True  # whether this fit gets the theory check (study.check; see checked())
    #: training rows x trees the check may recompute in this fit (0: every tree, as check = "all" asks; see
    #: boostreg.engines.base.CHECK_ROW_TREES)
    check_budget: int = 0
    #: whether a fit the check skips still gets a per-round training curve (study.curves = "all"): the engine then
    #: evaluates every training row after each round
    train_curve: bool = False


@dataclass(frozen=True)
class FitGroup:
    """Fits that share one dataset, engine, fold, seed and fixed parameters (one binned training fold)."""

    group_id: str
    dataset_spec: DatasetSpec
    dataset: str
    fingerprint: str
    task: str
    engine: str
    fold: int
    seed: int
    n_splits: int
    primary_metric: str
    noise_features: tuple[str, ...] | None
    fixed: dict
    fits: list[FitSpec] = field(default_factory=list)
    keep_leaves: bool = False  # store every leaf of these fits (fold 0 of the first seed) for the report
    #: share of the training fold carved off as the validation split (selection, early stopping); 0: none
    validation_fraction: float = 0.0
    n_rows: int = 0  # the dataset's rows (the scheduler runs the largest groups first)
    cv: object = None  # the study's splitter (None: shuffled K-fold, stratified for binary tasks, seeded by ``seed``)
    #: how the outer folds are made (:func:`outer_split`), e.g. "GroupKFold(5) over 40 groups, each group whole ..."
    split: str = ""
    #: this fold's (train, test) rows, split once by the plan: every engine of the dataset, fold and seed gets the
    #: same rows (None: split again from ``cv`` / ``seed``)
    rows: tuple | None = field(default=None, compare=False, repr=False)
    #: :func:`splits_digest` of the dataset's folds for this seed: what identifies the study's splitter
    splits: str = ""


#: with check = "sample", a checked fit recomputes the leaves of its first trees only, as many as keep training rows x
#: trees within this budget (a checked fit of 100 trees is checked whole up to 20,000 training rows): the check's
#: extra passes (each training row's leaf in each checked tree, then their gradient sums; about 70 ns a row and tree)
#: then cost at most about 0.15 s a fit whatever the rows, against a fit whose cost grows with them
#: (benchmarks/README.md, Scaling)
CHECK_ROW_TREES = 2_000_000

#: with check = "sample", one fit in this many (by fit_id, deterministic) is checked beside the stored-leaves fits
CHECK_EVERY = 10


def checked(fit_id: str, keep_leaves: bool, mode: str) -> bool:
    """Whether a fit gets the theory check: every fit with check = "all"; otherwise the fits whose leaves are stored
    (fold 0 of the first seed) and one in CHECK_EVERY of the rest, chosen by its fit_id (the same in every run)."""
    return mode == "all" or keep_leaves or int(fit_id[:8], 16) % CHECK_EVERY == 0


def _digest(obj) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _compact_rows(rows: np.ndarray, n_rows: int) -> np.ndarray:
    """A fold's row indices as they travel to workers with the group (int32 where they fit)."""
    return np.asarray(rows, dtype=np.int32 if n_rows < 2**31 else np.int64)


def penalty_points(grid: dict, default: dict | None = None) -> list[dict]:
    """The reg_alpha x reg_lambda points, (0, 0) first (added if the grid lacks it), then the library ``default``.

    A point is ``{"reg_alpha": a, "reg_lambda": l}`` plus ``"relative": (names...)`` for the penalties given in
    the data's units (a 0 is the same fit in either unit, so it is raw), ``"in_grid"`` and ``"is_default"``.
    ``default`` (raw values) is added when the grid does not hold it.
    """

    def values(key):
        rel = is_relative(grid[key])
        return [(float(v), rel and v != 0) for v in grid_values(grid[key])]

    points = []
    for a, a_rel in values("reg_alpha"):
        for l, l_rel in values("reg_lambda"):
            rel = tuple(k for k, r in (("reg_alpha", a_rel), ("reg_lambda", l_rel)) if r)
            points.append({"reg_alpha": a, "reg_lambda": l, "relative": rel, "in_grid": True, "is_default": False})
    zero = [p for p in points if p["reg_alpha"] == 0 and p["reg_lambda"] == 0]
    ref = (
        zero[0]
        if zero
        else {"reg_alpha": 0.0, "reg_lambda": 0.0, "relative": (), "in_grid": False, "is_default": False}
    )
    rest = [p for p in points if p is not ref]
    if default is not None:
        d = {k: float(default.get(k, 0.0)) for k in PENALTIES}
        match = [p for p in [ref] + rest if not p["relative"] and all(p[k] == d[k] for k in PENALTIES)]
        if match:
            match[0]["is_default"] = True
        else:
            rest.insert(0, {**d, "relative": (), "in_grid": False, "is_default": True})
    return [ref] + rest


def other_points(grid: dict[str, list]) -> list[dict]:
    """The cross product of the non-penalty grid parameters (one empty point if there are none)."""
    keys = [k for k in grid if k not in PENALTIES]
    return [dict(zip(keys, values)) for values in itertools.product(*(grid[k] for k in keys))]


def make_plan(study: Study, datasets: dict[str, Dataset]) -> list[FitGroup]:
    """Every fit of the study, grouped so that each group bins its training fold once."""
    validate(study)  # a Study's dicts and lists can be changed after it was built
    groups = []
    for spec in study.datasets:
        ds = datasets[spec.label]
        grid = study.grid_for(spec)
        split = outer_split(ds, study)
        metric = study.primary_metric[ds.task]
        # the folds, made once per dataset and seed (failing early when they cannot be made): every engine gets them
        folds = {
            seed: [
                (_compact_rows(tr, len(ds.y)), _compact_rows(te, len(ds.y)))
                for tr, te in split_folds(ds, study.folds, seed, study.cv)
            ]
            for seed in study.seeds
        }
        digests = {seed: splits_digest(f) for seed, f in folds.items()}
        n_splits = len(folds[study.seeds[0]])
        for engine in study.engines:
            if ds.task not in ENGINES[engine].tasks:
                continue
            if ENGINES[engine].kind == "baseline":
                groups.extend(_baseline_groups(study, spec, ds, engine, metric, n_splits, folds, digests))
                continue
            default = {k: ENGINES[engine].library_defaults.get(k, 0.0) for k in PENALTIES}
            points = penalty_points(grid, default)
            taken = getattr(ENGINES[engine], "penalties", PENALTIES)  # an L2-only engine fits reg_alpha = 0 only
            points = [p for p in points if all(p[k] == 0 or k in taken for k in PENALTIES)]
            for extra in study.extra_points:
                if extra["engine"] == engine:
                    point = {k: float(extra[k]) for k in PENALTIES}
                    same = [p for p in points if not p["relative"] and all(p[k] == point[k] for k in PENALTIES)]
                    if same:
                        same[0]["label"] = extra["label"]
                    else:
                        points.append(
                            {**point, "relative": (), "in_grid": False, "is_default": False, "label": extra["label"]}
                        )
            for other in other_points(grid):
                fixed = {**study.fixed_params(engine), **other}
                fraction = _validation_fraction(fixed)
                for seed in study.seeds:
                    for fold in range(n_splits):
                        key = {
                            "dataset": spec.label,
                            "fingerprint": ds.fingerprint,
                            "engine": engine,
                            "fixed": fixed,
                            "fold": fold,
                            "seed": seed,
                            "n_splits": n_splits,
                            "metric": metric,
                            **({"cv": digests[seed]} if study.cv is not None else {}),
                            **_group_key(ds, study),
                        }
                        group_id = _digest(key)
                        fits = []
                        keep = fold == 0 and seed == study.seeds[0]
                        for point in points:
                            params = {**fixed, "reg_alpha": point["reg_alpha"], "reg_lambda": point["reg_lambda"]}
                            ident = {**params, **{k: {"relative": params[k]} for k in point["relative"]}}
                            fit_id = _digest({**key, "params": ident})
                            fits.append(
                                FitSpec(
                                    fit_id=fit_id,
                                    group_id=group_id,
                                    study=study.name,
                                    check=checked(fit_id, keep, study.check),
                                    check_budget=0 if study.check == "all" else CHECK_ROW_TREES,
                                    train_curve=study.curves == "all",
                                    dataset=spec.label,
                                    engine=engine,
                                    fold=fold,
                                    seed=seed,
                                    n_splits=n_splits,
                                    params=params,
                                    in_grid=point["in_grid"],
                                    relative=point["relative"],
                                    is_default=point["is_default"],
                                    label=point.get("label", ""),
                                )
                            )
                        groups.append(
                            FitGroup(
                                group_id=group_id,
                                dataset_spec=spec,
                                dataset=spec.label,
                                fingerprint=ds.fingerprint,
                                task=ds.task,
                                engine=engine,
                                fold=fold,
                                seed=seed,
                                n_splits=n_splits,
                                cv=study.cv,
                                primary_metric=metric,
                                noise_features=ds.noise,
                                fixed=fixed,
                                fits=fits,
                                keep_leaves=fold == 0 and seed == study.seeds[0],
                                validation_fraction=fraction,
                                n_rows=len(ds.y),
                                split=split,
                                rows=folds[seed][fold],
                                splits=digests[seed],
                            )
                        )
    _check_validation_splits(groups, datasets)
    return groups


def _group_key(ds: Dataset, study: Study) -> dict:
    """What a fit's identity adds when its outer folds keep groups whole (records of the plain K-fold that groups
    without cv= gave before are other fits)."""
    return {"outer": "groups"} if study.cv is None and getattr(ds, "groups", None) is not None else {}


def _check_validation_splits(groups: list[FitGroup], datasets: dict[str, Dataset]) -> None:
    """Carve every validation split the plan needs once, so a split that cannot be made fails before any fit."""
    needed = {
        (g.dataset, g.seed, g.n_splits, g.fold, g.validation_fraction): g for g in groups if g.validation_fraction
    }
    folds = {}
    for (dataset, seed, n_splits, fold, fraction), g in sorted(needed.items(), key=lambda kv: kv[0]):
        ds = datasets[dataset]
        if g.rows is not None:
            train = g.rows[0]
        else:
            if (dataset, seed, n_splits) not in folds:
                folds[dataset, seed, n_splits] = split_folds(ds, n_splits, seed, g.cv)
            train = folds[dataset, seed, n_splits][fold][0]
        validation_split(
            train,
            ds.y,
            ds.task,
            fraction,
            seed,
            where=f"dataset '{dataset}', fold {fold}, seed {seed}",
            groups=getattr(ds, "groups", None),
            classes=getattr(ds, "classes", None),
        )


def _validation_fraction(fixed: dict) -> float:
    """The validation split of a group's fixed parameters: validation_fraction, else 0.2 with early stopping."""
    if "validation_fraction" in fixed:
        return float(fixed["validation_fraction"])
    return 0.2 if fixed.get("early_stopping_rounds", 0) else 0.0


def _baseline_groups(
    study: Study, spec: DatasetSpec, ds: Dataset, engine: str, metric: str, n_splits: int, folds: dict, digests: dict
) -> list[FitGroup]:
    """One group per fold x seed; its fits are the engine's penalty grid, least penalized first."""
    fixed = study.fixed_params(engine)
    eng = ENGINES[engine]
    penalties = study.baseline_penalties(engine)
    default = eng.library_defaults.get("penalty")
    # the library default as users run it is a fit of its own where it differs from the grid point of the same
    # penalty (a regression baseline's default is fitted on the target's own scale, the grid on standardized y)
    own = default is not None and bool(getattr(eng, "own_default_fit", False))
    # the least penalized grid point first (the group's reference), then the library default if the grid lacks it
    entries = [(p, True, p == default and not own) for p in penalties]
    if default is not None and (own or float(default) not in penalties):
        entries.insert(1, (float(default), False, True))
    groups = []
    for seed in study.seeds:
        for fold in range(n_splits):
            key = {
                "dataset": spec.label,
                "fingerprint": ds.fingerprint,
                "engine": engine,
                "fixed": fixed,
                "fold": fold,
                "seed": seed,
                "n_splits": n_splits,
                "metric": metric,
                **({"cv": digests[seed]} if study.cv is not None else {}),
                **_group_key(ds, study),
            }
            group_id = _digest(key)
            # an own default fit has the grid point's params: its fit_id says it is the default
            mark = {"default": "as users run it"} if own else {}
            fits = [
                FitSpec(
                    fit_id=_digest({**key, "params": {**fixed, "penalty": p}, **(mark if is_default else {})}),
                    group_id=group_id,
                    study=study.name,
                    dataset=spec.label,
                    engine=engine,
                    fold=fold,
                    seed=seed,
                    n_splits=n_splits,
                    params={**fixed, "penalty": p},
                    in_grid=in_grid,
                    is_default=is_default,
                )
                for p, in_grid, is_default in entries
            ]
            groups.append(
                FitGroup(
                    group_id=group_id,
                    dataset_spec=spec,
                    dataset=spec.label,
                    fingerprint=ds.fingerprint,
                    task=ds.task,
                    engine=engine,
                    fold=fold,
                    seed=seed,
                    n_splits=n_splits,
                    cv=study.cv,
                    primary_metric=metric,
                    noise_features=ds.noise,
                    fixed=fixed,
                    fits=fits,
                    validation_fraction=_validation_fraction(fixed),
                    n_rows=len(ds.y),
                    split=outer_split(ds, study),
                    rows=folds[seed][fold],
                    splits=digests[seed],
                )
            )
    return groups
