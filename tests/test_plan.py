"""Tests for boostreg.plan on small real datasets: group and fit counts, order, ids, and the folds themselves."""

import dataclasses
import itertools

import numpy as np
import pytest

from boostreg.data import load_builtin
from boostreg.errors import BoostregError
from boostreg.folds import fold_digest, fold_indices
from boostreg.plan import make_plan, other_points, penalty_points
from boostreg.study import DatasetSpec, Study

SPARSE = DatasetSpec(name="sparse_linear", params={"n_samples": 200})


@pytest.fixture(scope="module")
def data():
    return {
        "diabetes": load_builtin("diabetes"),
        "breast_cancer": load_builtin("breast_cancer"),
        "sparse_linear": load_builtin("sparse_linear", params={"n_samples": 200}),
    }


def _study(**kw):
    base = dict(
        name="plan",
        datasets=[DatasetSpec(name="diabetes"), DatasetSpec(name="breast_cancer"), SPARSE],
        engines=["xgboost", "lightgbm"],
        grid={"reg_alpha": [0, 0.1, 1], "reg_lambda": [0, 1]},
        params={"n_estimators": 10},
        folds=3,
        seeds=[0],
    )
    return Study(**{**base, **kw})


def _ids(groups):
    return [f.fit_id for g in groups for f in g.fits]


# ---------------------------------------------------------------------------------------------- counts and order


def test_counts_with_zero_in_grid(data):
    grid = {"reg_alpha": [0, 0.1, 1], "reg_lambda": [0, 1], "max_depth": [3, 6]}
    study = _study(grid=grid, seeds=[0, 7], folds=3)
    groups = make_plan(study, data)
    assert len(groups) == 3 * 2 * 2 * 2 * 3  # datasets x engines x max_depth points x seeds x folds = 72
    assert all(len(g.fits) == 3 * 2 for g in groups)
    assert len(_ids(groups)) == 72 * 6 == 432
    assert all(f.in_grid for g in groups for f in g.fits)
    # every combination appears exactly once
    combos = [(g.dataset, g.engine, g.fixed["max_depth"], g.seed, g.fold) for g in groups]
    assert sorted(combos) == sorted(
        itertools.product(
            ["diabetes", "breast_cancer", "sparse_linear"], ["xgboost", "lightgbm"], [3, 6], [0, 7], [0, 1, 2]
        )
    )
    # the penalty points of each group are the grid's, (0, 0) first
    for g in groups:
        points = [(f.params["reg_alpha"], f.params["reg_lambda"]) for f in g.fits]
        assert points[0] == (0.0, 0.0)
        assert sorted(points) == sorted(itertools.product([0.0, 0.1, 1.0], [0.0, 1.0]))


def test_unpenalized_fit_is_added_when_the_grid_lacks_it(data):
    study = _study(
        datasets=[DatasetSpec(name="diabetes")],
        grid={"reg_alpha": [0.1, 1], "reg_lambda": [0, 1]},
        folds=2,
        seeds=[0, 1],
    )
    groups = make_plan(study, data)
    assert len(groups) == 1 * 2 * 1 * 2 * 2
    for g in groups:
        first, rest = g.fits[0], [f for f in g.fits[1:] if f.in_grid]
        assert (first.params["reg_alpha"], first.params["reg_lambda"]) == (0.0, 0.0)
        assert first.in_grid is False
        assert sorted((f.params["reg_alpha"], f.params["reg_lambda"]) for f in rest) == [
            (0.1, 0.0),
            (0.1, 1.0),
            (1.0, 0.0),
            (1.0, 1.0),
        ]
        # XGBoost's library default (0, 1) is not in this grid either: it is added too; LightGBM's is the reference
        added = [(f.params["reg_alpha"], f.params["reg_lambda"]) for f in g.fits if not f.in_grid]
        assert added == ([(0.0, 0.0), (0.0, 1.0)] if g.engine == "xgboost" else [(0.0, 0.0)])
        defaults = [f for f in g.fits if f.is_default]
        assert len(defaults) == 1
        assert (defaults[0].params["reg_alpha"], defaults[0].params["reg_lambda"]) == (
            (0.0, 1.0) if g.engine == "xgboost" else (0.0, 0.0)
        )


def test_the_library_default_in_the_grid_is_marked_not_added(data):
    study = _study(
        datasets=[DatasetSpec(name="diabetes")],
        engines=["xgboost"],
        grid={"reg_alpha": [0, 1], "reg_lambda": [0, 1]},
        folds=2,
    )
    for g in make_plan(study, data):
        assert len(g.fits) == 4 and all(f.in_grid for f in g.fits)
        assert [(f.params["reg_alpha"], f.params["reg_lambda"]) for f in g.fits if f.is_default] == [(0.0, 1.0)]


def test_relative_points_have_their_own_fit_ids_and_zero_is_raw(data):
    from boostreg.study import relative

    raw = make_plan(
        _study(
            datasets=[DatasetSpec(name="diabetes")],
            engines=["lightgbm"],
            grid={"reg_alpha": [0, 0.5], "reg_lambda": [0]},
            folds=2,
        ),
        data,
    )
    rel = make_plan(
        _study(
            datasets=[DatasetSpec(name="diabetes")],
            engines=["lightgbm"],
            grid={"reg_alpha": relative([0, 0.5]), "reg_lambda": [0]},
            folds=2,
        ),
        data,
    )
    for g_raw, g_rel in zip(raw, rel):
        assert g_raw.fits[0].fit_id == g_rel.fits[0].fit_id  # relative 0 is raw 0: the same fit
        assert g_rel.fits[0].relative == () and g_rel.fits[1].relative == ("reg_alpha",)
        assert g_raw.fits[1].fit_id != g_rel.fits[1].fit_id  # 0.5 raw and 0.5 x alpha_max are different fits
        assert g_rel.fits[1].params["reg_alpha"] == 0.5


def test_baselines_get_scikit_learns_default_penalty(data):
    from boostreg.engines import ENGINES

    study = _study(
        datasets=[DatasetSpec(name="diabetes")], engines=["ridge"], folds=2, baseline_grid={"ridge": [0.1, 10, 1000]}
    )
    default = ENGINES["ridge"].library_defaults.get("penalty")
    for g in make_plan(study, data):
        penalties = [(f.params["penalty"], f.in_grid, f.is_default) for f in g.fits]
        assert penalties[0] == (0.1, True, False)  # the least penalized grid point stays the reference
        if default is not None:
            assert (default, False, True) in penalties


def test_a_validation_split_that_cannot_be_carved_fails_before_any_fit(data):
    from boostreg.errors import BoostregError

    y = np.zeros(40)
    y[:3] = 1  # 3 rows of the rarer class: 1 training row in one of 2 folds, too few to split again
    tiny = dataclasses.replace(data["breast_cancer"], y=y, X=data["breast_cancer"].X.iloc[:40])
    study = _study(
        datasets=[DatasetSpec(name="breast_cancer")], engines=["lightgbm"], folds=2, params={"validation_fraction": 0.2}
    )
    with pytest.raises(BoostregError, match="cannot carve a stratified validation split"):
        make_plan(study, {"breast_cancer": tiny})


def test_zero_in_one_penalty_only_still_adds_the_reference(data):
    study = _study(
        datasets=[DatasetSpec(name="diabetes")],
        engines=["xgboost"],
        grid={"reg_alpha": [0, 1], "reg_lambda": [1, 10]},
        folds=2,
    )
    groups = make_plan(study, data)
    assert len(groups) == 2
    for g in groups:
        assert [(f.params["reg_alpha"], f.params["reg_lambda"], f.in_grid) for f in g.fits] == [
            (0.0, 0.0, False),
            (0.0, 1.0, True),
            (0.0, 10.0, True),
            (1.0, 1.0, True),
            (1.0, 10.0, True),
        ]


def test_zero_is_moved_first_when_listed_last(data):
    study = _study(
        datasets=[DatasetSpec(name="diabetes")],
        engines=["lightgbm"],
        grid={"reg_alpha": [5, 0], "reg_lambda": [2, 0]},
        folds=2,
    )
    for g in make_plan(study, data):
        assert [(f.params["reg_alpha"], f.params["reg_lambda"]) for f in g.fits] == [
            (0.0, 0.0),
            (5.0, 2.0),
            (5.0, 0.0),
            (0.0, 2.0),
        ]
        assert all(f.in_grid for f in g.fits)


def test_penalty_and_other_points_by_hand():
    def plain(points):
        return [(p["reg_alpha"], p["reg_lambda"], p["in_grid"], p["is_default"]) for p in points]

    assert plain(penalty_points({"reg_alpha": [1.0], "reg_lambda": [2.0]})) == [
        (0.0, 0.0, False, False),
        (1.0, 2.0, True, False),
    ]
    assert plain(penalty_points({"reg_alpha": [0.0], "reg_lambda": [0.0]})) == [(0.0, 0.0, True, False)]
    assert plain(penalty_points({"reg_alpha": [0.0, 1.0], "reg_lambda": [0.0]}, {"reg_lambda": 1.0})) == [
        (0.0, 0.0, True, False),
        (0.0, 1.0, False, True),
        (1.0, 0.0, True, False),
    ]
    assert other_points({"reg_alpha": [0.0], "reg_lambda": [0.0]}) == [{}]
    assert other_points({"reg_alpha": [0.0], "reg_lambda": [0.0], "max_depth": [3, 6], "learning_rate": [0.1]}) == [
        {"max_depth": 3, "learning_rate": 0.1},
        {"max_depth": 6, "learning_rate": 0.1},
    ]


def test_groups_carry_their_dataset_and_parameters(data):
    study = _study(
        engine_params={"lightgbm": {"num_leaves": 7}},
        grid={"reg_alpha": [0, 1], "reg_lambda": [0], "learning_rate": [0.05, 0.3]},
    )
    groups = make_plan(study, data)
    for g in groups:
        ds = data[g.dataset]
        assert g.fingerprint == ds.fingerprint and g.task == ds.task
        assert g.primary_metric == {"regression": "rmse", "binary": "logloss"}[ds.task]
        assert g.n_splits == 3 and g.fixed["n_estimators"] == 10
        assert g.fixed["learning_rate"] in (0.05, 0.3)
        if g.engine == "lightgbm":
            assert g.fixed["num_leaves"] == 7 and "max_depth" not in g.fixed
        else:
            assert g.fixed["max_depth"] == 6 and "num_leaves" not in g.fixed
        for f in g.fits:
            assert f.group_id == g.group_id and f.study == "plan"
            assert (f.dataset, f.engine, f.fold, f.seed, f.n_splits) == (g.dataset, g.engine, g.fold, g.seed, 3)
            assert f.params == {**g.fixed, "reg_alpha": f.params["reg_alpha"], "reg_lambda": f.params["reg_lambda"]}
    assert {g.noise_features for g in groups if g.dataset == "sparse_linear"} == {data["sparse_linear"].noise}
    assert len(data["sparse_linear"].noise) == 45
    assert {g.noise_features for g in groups if g.dataset != "sparse_linear"} == {None}


# ---------------------------------------------------------------------------------------------- ids


def test_fit_ids_unique_and_deterministic(data):
    study = _study(seeds=[0, 1], grid={"reg_alpha": [0, 0.1, 1], "reg_lambda": [0, 1], "max_depth": [3, 6]})
    first = make_plan(study, data)
    again = make_plan(
        _study(seeds=[0, 1], grid={"reg_alpha": [0, 0.1, 1], "reg_lambda": [0, 1], "max_depth": [3, 6]}),
        {
            "diabetes": load_builtin("diabetes"),
            "breast_cancer": load_builtin("breast_cancer"),
            "sparse_linear": load_builtin("sparse_linear", params={"n_samples": 200}),
        },
    )
    ids = _ids(first)
    assert len(ids) == len(set(ids)) == 3 * 2 * 2 * 2 * 3 * 6
    assert ids == _ids(again)
    assert [g.group_id for g in first] == [g.group_id for g in again]
    assert len({g.group_id for g in first}) == len(first)
    assert all(len(i) == 16 and int(i, 16) >= 0 for i in ids)


def test_study_name_and_description_do_not_change_ids(data):
    a = make_plan(_study(), data)
    b = make_plan(_study(name="renamed", description="other words"), data)
    assert _ids(a) == _ids(b)


@pytest.mark.parametrize(
    "change",
    [
        {"params": {"n_estimators": 11}},
        {"params": {"n_estimators": 10, "learning_rate": 0.2}},
        {"engine_params": {"xgboost": {"max_depth": 3}, "lightgbm": {"num_leaves": 15}}},
        {"seeds": [1]},
        {"folds": 4},
        {"primary_metric": {"regression": "mae", "binary": "error"}},
    ],
)
def test_fit_ids_change_when_a_parameter_changes(data, change):
    before = set(_ids(make_plan(_study(), data)))
    after = set(_ids(make_plan(_study(**change), data)))
    assert before.isdisjoint(after)


def test_fit_ids_change_with_the_data(data):
    study = _study(datasets=[SPARSE])
    before = set(_ids(make_plan(study, data)))
    other = {"sparse_linear": load_builtin("sparse_linear", params={"n_samples": 201})}
    assert other["sparse_linear"].fingerprint != data["sparse_linear"].fingerprint
    assert before.isdisjoint(_ids(make_plan(study, other)))


def test_fit_id_changes_only_for_the_changed_grid_point(data):
    study = _study(datasets=[DatasetSpec(name="diabetes")], engines=["xgboost"], folds=2)
    wider = _study(
        datasets=[DatasetSpec(name="diabetes")],
        engines=["xgboost"],
        folds=2,
        grid={"reg_alpha": [0, 0.1, 1, 10], "reg_lambda": [0, 1]},
    )
    a, b = set(_ids(make_plan(study, data))), set(_ids(make_plan(wider, data)))
    assert a < b and len(b - a) == 2 * 2  # the two new (10, *) points in each of the 2 folds: old ids are kept


# ---------------------------------------------------------------------------------------------- folds


def _check_partition(folds, n):
    tests = [te for _, te in folds]
    assert np.array_equal(np.sort(np.concatenate(tests)), np.arange(n))  # union = all rows, each once
    for tr, te in folds:
        assert len(np.intersect1d(tr, te)) == 0
        assert np.array_equal(np.sort(np.concatenate([tr, te])), np.arange(n))
    sizes = [len(te) for te in tests]
    assert max(sizes) - min(sizes) <= 1


@pytest.mark.parametrize("n_splits", [2, 3, 5, 10])
@pytest.mark.parametrize("seed", [0, 1, 42])
def test_binary_folds_are_stratified_partitions(data, n_splits, seed):
    y = data["breast_cancer"].y
    assert set(np.unique(y)) == {0.0, 1.0}
    share = y.mean()  # 212 / 569
    assert share == pytest.approx(212 / 569)
    folds = fold_indices(y, "binary", n_splits, seed)
    assert len(folds) == n_splits
    _check_partition(folds, len(y))
    for _, te in folds:
        assert abs(y[te].sum() - share * len(te)) <= 1


@pytest.mark.parametrize("n_splits", [2, 3, 7])
def test_regression_folds_are_partitions(data, n_splits):
    folds = fold_indices(data["diabetes"].y, "regression", n_splits, 0)
    assert len(folds) == n_splits
    _check_partition(folds, 442)


def test_folds_differ_across_seeds_and_repeat_for_one_seed(data):
    y = data["breast_cancer"].y
    digests = {seed: [fold_digest(te) for _, te in fold_indices(y, "binary", 3, seed)] for seed in (0, 1, 2)}
    assert digests[0] == [fold_digest(te) for _, te in fold_indices(y, "binary", 3, 0)]
    assert len({d for ds in digests.values() for d in ds}) == 9
    assert digests[0] != digests[1] != digests[2]


def test_same_fold_and_seed_give_the_same_rows_for_both_engines(data):
    study = _study(datasets=[DatasetSpec(name="breast_cancer")], seeds=[0, 3])
    groups = make_plan(study, data)
    y = data["breast_cancer"].y
    by_engine = {}
    for g in groups:
        _, te = fold_indices(y, g.task, g.n_splits, g.seed)[g.fold]
        by_engine.setdefault(g.engine, {})[(g.fold, g.seed)] = fold_digest(te)
    assert by_engine["xgboost"] == by_engine["lightgbm"]
    assert len(set(by_engine["xgboost"].values())) == 6  # 3 folds x 2 seeds, all different


def test_fold_digest_by_hand():
    assert fold_digest(np.array([1, 2, 3])) == fold_digest([1, 2, 3]) == fold_digest(np.array([1, 2, 3], np.int32))
    assert fold_digest([1, 2, 3]) != fold_digest([1, 2, 4])
    assert len(fold_digest([0])) == 12


def test_too_many_folds_for_the_rarer_class():
    y = np.array([0.0] * 20 + [1.0] * 3)
    with pytest.raises(BoostregError, match="rarer class has only 3 rows") as info:
        fold_indices(y, "binary", 4, 0)
    assert "folds <= 3" in str(info.value)
    assert len(fold_indices(y, "binary", 3, 0)) == 3


def test_too_many_folds_in_a_plan():
    small = load_builtin("breast_cancer", max_rows=30)
    rare = int(min(small.y.sum(), len(small.y) - small.y.sum()))
    assert 5 <= rare < 15
    study = _study(datasets=[DatasetSpec(name="breast_cancer", max_rows=30)], folds=rare + 1)
    with pytest.raises(BoostregError, match=f"only {rare} rows"):
        make_plan(study, {"breast_cancer": small})
    assert (
        len(
            make_plan(
                _study(datasets=[DatasetSpec(name="breast_cancer", max_rows=30)], folds=rare), {"breast_cancer": small}
            )
        )
        == 2 * rare
    )


def test_too_many_folds_for_a_small_regression_set():
    y = np.arange(4, dtype=float)
    with pytest.raises(BoostregError, match="only 4 rows"):
        fold_indices(y, "regression", 5, 0)


def test_a_dataset_grid_replaces_the_study_grid_for_that_dataset_only():
    from boostreg.loading import load_dataset
    from boostreg.plan import make_plan
    from boostreg.study import study_from_dict

    doc = {
        "study": {"name": "g", "engines": ["xgboost"], "folds": 2},
        "grid": {"reg_alpha": [0, 1, 10], "reg_lambda": [0, 1], "learning_rate": [0.1, 0.3]},
        "datasets": [
            {"name": "diabetes"},
            {
                "name": "diabetes",
                "alias": "diabetes_coarse",
                "grid": {"reg_alpha": [0, 10], "min_child_weight": [1, 5]},
            },
        ],
    }
    study = study_from_dict(doc)
    datasets = {s.label: load_dataset(s) for s in study.datasets}
    fits = [f for g in make_plan(study, datasets) for f in g.fits]
    per = {label: [f for f in fits if f.dataset == label] for label in datasets}
    assert len(per["diabetes"]) == 3 * 2 * 2 * 2  # alpha x lambda x learning_rate x folds
    assert len(per["diabetes_coarse"]) == 2 * 2 * 2 * 2 * 2  # x min_child_weight, with 2 alphas
    assert {f.params["reg_alpha"] for f in per["diabetes_coarse"]} == {0.0, 10.0}
    assert {f.params["min_child_weight"] for f in per["diabetes_coarse"]} == {1, 5}
    assert all("min_child_weight" not in f.params for f in per["diabetes"])


def test_a_dataset_listed_twice_needs_an_alias():
    import pytest

    from boostreg.errors import BoostregError
    from boostreg.study import study_from_dict

    with pytest.raises(BoostregError, match="dataset 'diabetes' appears twice .* alias"):
        study_from_dict({"study": {"name": "g"}, "datasets": [{"name": "diabetes"}, {"name": "diabetes"}]})
    with pytest.raises(BoostregError, match="unknown grid parameter 'reg_alfa' in \\[datasets.grid\\]"):
        study_from_dict({"study": {"name": "g"}, "datasets": [{"name": "diabetes", "grid": {"reg_alfa": [1]}}]})


@pytest.mark.parametrize("task", ["regression", "binary"])
def test_groups_without_cv_keep_every_group_on_one_side_of_every_outer_fold(task):
    import pandas as pd

    from boostreg.data import load_frame
    from boostreg.folds import split_folds

    rng = np.random.default_rng(0)
    n = 300
    frame = pd.DataFrame({"x1": rng.normal(size=n), "x2": rng.normal(size=n), "store": rng.integers(0, 12, n)})
    frame["y"] = frame.x1 + rng.normal(size=n)
    if task == "binary":
        frame["y"] = (frame.y > 0).astype(int)
    spec = DatasetSpec(frame=frame, name="shops", target="y", groups="store")
    study = Study(
        name="g",
        datasets=[spec],
        engines=["lightgbm"],
        grid={"reg_alpha": [0]},
        params={"n_estimators": 3},
        folds=3,
        seeds=[0, 1],
    )
    ds = load_frame(frame, "y", name="shops", groups="store")
    groups = make_plan(study, {"shops": ds})
    kind = "StratifiedGroupKFold" if task == "binary" else "GroupKFold"
    assert {g.split for g in groups} == {f"{kind}(3) over 12 groups, each group whole on one side"}  # said in the plan
    for seed in (0, 1):
        folds = split_folds(ds, 3, seed)
        assert len(folds) == 3 and sorted(np.concatenate([te for _, te in folds]).tolist()) == list(range(n))
        for train, test in folds:
            assert not set(ds.groups[train]) & set(ds.groups[test])
    plain = make_plan(
        dataclasses.replace(study, datasets=[dataclasses.replace(spec, groups=None)]),
        {"shops": load_frame(frame.drop(columns="store"), "y", name="shops")},
    )
    assert plain[0].split.startswith(("KFold", "StratifiedKFold"))
    with pytest.raises(BoostregError, match="only 12 group"):
        split_folds(ds, 13, 0)


# ---------------------------------------------------------------------------------------------- a fold is its rows


def test_a_splitter_is_the_rows_it_gives_not_its_repr(data):
    """Two PredefinedSplit that differ in the middle share a repr but are other folds (other fit ids); a splitter
    seeded by a RandomState gives the same folds (and ids) in every plan; every engine of a fold gets its rows."""
    from sklearn.model_selection import KFold, PredefinedSplit

    from boostreg.folds import split_folds, splits_digest

    ds = data["diabetes"]
    n = len(ds.y)
    first = np.repeat([0, 1], [n // 2, n - n // 2])
    second = first.copy()
    second[n // 2 - 1], second[n // 2] = 1, 0
    assert repr(PredefinedSplit(first)) == repr(PredefinedSplit(second))
    study = _study(datasets=[DatasetSpec(name="diabetes")], folds=2)
    a = make_plan(dataclasses.replace(study, cv=PredefinedSplit(first)), data)
    b = make_plan(dataclasses.replace(study, cv=PredefinedSplit(second)), data)
    assert set(_ids(a)).isdisjoint(_ids(b))
    assert {g.splits for g in a} != {g.splits for g in b}

    def seeded():
        return KFold(3, shuffle=True, random_state=np.random.RandomState(0))

    cv = seeded()
    plans = [make_plan(dataclasses.replace(study, cv=c), data) for c in (cv, cv, seeded())]
    assert _ids(plans[0]) == _ids(plans[1]) == _ids(plans[2])
    assert (
        splits_digest(split_folds(ds, 3, 0, cv)) == splits_digest(split_folds(ds, 3, 0, seeded())) == plans[0][0].splits
    )
    for groups in plans:
        rows = {}
        for g in groups:
            rows.setdefault((g.dataset, g.fold, g.seed), set()).add((fold_digest(g.rows[0]), fold_digest(g.rows[1])))
        assert {g.engine for g in groups} == {"xgboost", "lightgbm"} and len(rows) == 3
        assert all(len(v) == 1 for v in rows.values())  # every engine is scored on the same rows
