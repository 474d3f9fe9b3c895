"""features = [...] (issue 29 item 6): the columns a user lists are the features, kept even where they look like
row numbers, which are otherwise dropped with a warning."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from conftest import run_cli

from boostreg import DatasetSpec
from boostreg.data import load_file, load_frame
from boostreg.errors import BoostregError
from boostreg.loading import load_dataset
from boostreg.study import study_from_dict


def _frame(n=60):
    rng = np.random.default_rng(0)
    x = rng.normal(size=n)
    # 'index' is a real feature here (a day counter the target trends with), and exactly 0..n-1
    return pd.DataFrame({"index": np.arange(n), "x": x, "z": rng.normal(size=n), "y": 0.1 * np.arange(n) + x})


def test_a_row_counter_is_dropped_unless_listed():
    with pytest.warns(UserWarning, match="dropped column"):
        ds = load_frame(_frame(), "y", name="t")
    assert list(ds.X.columns) == ["x", "z"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # listed: no warning, and kept as it is
        ds = load_frame(_frame(), "y", name="t", features=["index", "x"])
    assert list(ds.X.columns) == ["index", "x"]  # z left out: only the listed columns
    np.testing.assert_array_equal(ds.X["index"].to_numpy(), np.arange(60.0))


def test_a_listed_feature_reaches_a_study_file_and_a_file(tmp_path):
    path = tmp_path / "t.csv"
    _frame().to_csv(path, index=False)
    assert list(load_file(path, "y", features=["index", "z"]).X.columns) == ["index", "z"]
    study = study_from_dict(
        {"study": {"name": "f"}, "datasets": [{"file": str(path), "target": "y", "features": ["index", "x"]}]},
        source="s.toml",
    )
    assert list(load_dataset(study.datasets[0]).X.columns) == ["index", "x"]
    assert study.datasets[0].to_dict()["features"] == ["index", "x"]  # part of the study's identity


@pytest.mark.parametrize(
    "features, message",
    [
        (["idx"], "feature column 'idx' not found .* did you mean 'index'"),
        (["x", "y"], "lists the target 'y'"),
        (["x", "x"], "lists 'x' twice"),
        ([], "is empty"),
    ],
)
def test_bad_feature_lists_are_one_line(features, message):
    with pytest.raises(BoostregError, match=message) as err:
        load_frame(_frame(), "y", name="t", features=features)
    assert "\n" not in str(err.value)


def test_features_are_refused_on_a_builtin_and_must_be_a_list():
    with pytest.raises(BoostregError, match="built-in dataset's features are its card's"):
        load_dataset(DatasetSpec(name="diabetes", features=["age"]))
    with pytest.raises(BoostregError, match="must be a list of column names"):
        study_from_dict(
            {"study": {"name": "f"}, "datasets": [{"file": "a.csv", "target": "y", "features": "x"}]}, source="s.toml"
        )


def test_features_on_the_command_line(tmp_path):
    path = tmp_path / "t.csv"
    _frame().to_csv(path, index=False)
    res = run_cli(["run", "--data", path, "--target", "y", "--features", "index,x", "--dry-run"], tmp_path)
    assert res.returncode == 0, res.stderr
    assert "dropped column" not in res.stderr
    bad = run_cli(["run", "--data", path, "--target", "y", "--features", "index,w"], tmp_path)
    assert bad.returncode == 2 and "feature column 'w' not found" in bad.stderr
    assert not (tmp_path / "runs").exists()  # nothing written
