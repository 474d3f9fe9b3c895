"""Tests for boostreg.study: TOML round trip, log grids, engine sections, file paths, and every validation error."""

import dataclasses
import math
import re
import textwrap

import numpy as np
import pytest
import tomli_w

from boostreg.errors import BoostregError
from boostreg.study import DEFAULT_STUDY, DatasetSpec, Study, load_study, log_grid, single_file_study

HEAD = '[study]\nname = "t"\n\n[[datasets]]\nname = "diabetes"\n'
GRID = "[grid]\nreg_alpha = [0, 1]\nreg_lambda = [0]\n"


def _write(tmp_path, text, name="study.toml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def _load(tmp_path, text):
    return load_study(_write(tmp_path, text))


def _raises(tmp_path, text, *words):
    """Loading ``text`` as a study file must raise a one-line BoostregError containing every word."""
    with pytest.raises(BoostregError) as info:
        _load(tmp_path, text)
    message = str(info.value)
    assert "\n" not in message, message
    for word in words:
        assert word in message, f"{word!r} not in: {message}"
    return message


# ---------------------------------------------------------------------------------------------- round trip


def _rich_study(tmp_path) -> Study:
    return Study(
        name="round-trip",
        description="every field set",
        datasets=[
            DatasetSpec(name="diabetes", max_rows=100),
            DatasetSpec(name="sparse_linear", params={"n_samples": 200, "seed": 3}, alias="sparse_small"),
            DatasetSpec(file=str((tmp_path / "data" / "mine.csv").resolve()), target="price", task="regression"),
        ],
        engines=["lightgbm", "xgboost"],
        grid={"reg_alpha": [0.0, 0.5, 2.0], "reg_lambda": [0.0, 10.0], "max_depth": [3, 6]},
        params={"n_estimators": 50, "learning_rate": 0.05},
        engine_params={"xgboost": {"grow_policy": "lossguide"}, "lightgbm": {"num_leaves": 7, "path_smooth": 1.0}},
        folds=4,
        seeds=[0, 2],
        primary_metric={"regression": "mae", "binary": "error"},
    )


def test_toml_round_trip_gives_an_equal_study(tmp_path):
    study = _rich_study(tmp_path)
    path = tmp_path / "study.toml"
    path.write_text(tomli_w.dumps(study.to_toml_dict()), encoding="utf-8")
    loaded = load_study(path)
    assert loaded.source == str(path)
    assert loaded == dataclasses.replace(study, source=loaded.source)
    assert loaded.to_toml_dict() == study.to_toml_dict()
    # and a second trip changes nothing either
    path2 = tmp_path / "again.toml"
    path2.write_text(tomli_w.dumps(loaded.to_toml_dict()), encoding="utf-8")
    assert load_study(path2) == dataclasses.replace(study, source=str(path2))


def test_round_trip_of_a_minimal_study_keeps_the_defaults(tmp_path):
    study = Study(name="min", datasets=[DatasetSpec(name="diabetes")])
    path = tmp_path / "min.toml"
    path.write_text(tomli_w.dumps(study.to_toml_dict()), encoding="utf-8")
    loaded = load_study(path)
    assert loaded == dataclasses.replace(study, source=str(path))
    assert loaded.engines == ["xgboost", "lightgbm"]
    assert loaded.folds == 3 and loaded.seeds == [0]
    assert loaded.grid == {
        "reg_alpha": {"relative": [0.0, 0.01, 0.1, 1.0]},
        "reg_lambda": {"relative": [0.0, 0.1, 1.0, 10.0]},
    }
    assert loaded.primary_metric == {"regression": "rmse", "binary": "logloss", "multiclass": "mlogloss"}


def test_toml_without_grid_uses_the_default_grid_and_engines(tmp_path):
    study = _load(tmp_path, HEAD)
    assert study.grid == {
        "reg_alpha": {"relative": [0.0, 0.01, 0.1, 1.0]},
        "reg_lambda": {"relative": [0.0, 0.1, 1.0, 10.0]},
    }
    assert study.engines == ["xgboost", "lightgbm"] and study.folds == 3 and study.seeds == [0]


def test_grid_integers_become_floats(tmp_path):
    study = _load(tmp_path, HEAD + "[grid]\nreg_alpha = [0, 1, 10]\nreg_lambda = 5\n")
    assert study.grid["reg_alpha"] == [0.0, 1.0, 10.0]
    assert all(type(v) is float for v in study.grid["reg_alpha"])
    assert study.grid["reg_lambda"] == [5.0]  # a scalar is a one-point grid


def test_the_default_quickstart_study_loads():
    from boostreg.data import builtin_cards

    study = load_study(DEFAULT_STUDY)
    assert study.name == "quickstart"
    assert {"diabetes", "breast_cancer"} <= {d.name for d in study.datasets}
    assert {d.name for d in study.datasets} <= {c.name for c in builtin_cards()}
    # relative grids from 0, two seeds of repeated K-fold and a validation split: what the summary needs
    assert 0.0 in study.grid["reg_alpha"]["relative"] and 0.0 in study.grid["reg_lambda"]["relative"]
    assert len(study.seeds) >= 2 and study.validation_fraction == 0.2
    from boostreg.engines import ENGINES

    assert {"xgboost", "lightgbm"} <= set(study.engines)
    assert all(ENGINES[e].kind == "baseline" for e in set(study.engines) - {"xgboost", "lightgbm"})  # baselines


def test_single_file_study_uses_the_default_grid(tmp_path):
    study = single_file_study(str(tmp_path / "prices.csv"), "price")
    assert study.name == "file-prices"
    assert study.datasets == [DatasetSpec(file=str((tmp_path / "prices.csv").resolve()), target="price")]
    assert len(study.grid["reg_alpha"]["relative"]) * len(study.grid["reg_lambda"]["relative"]) == 16
    assert study.folds == 3 and study.engines == ["xgboost", "lightgbm"]
    assert study.seeds == [0, 1] and study.validation_fraction == 0.2


# ---------------------------------------------------------------------------------------------- log grid


def test_log_grid_by_hand():
    assert log_grid(1e-3, 1e3, 7) == [0.0, 0.001, 0.01, 0.1, 1.0, 10.0, 100.0, 1000.0]
    assert log_grid(1e-3, 1e3, 7, zero=False) == [0.001, 0.01, 0.1, 1.0, 10.0, 100.0, 1000.0]
    # 10 ** 0.5 = 3.16227... rounded to 4 significant digits
    assert log_grid(1, 10, 3) == [0.0, 1.0, 3.162, 10.0]
    assert log_grid(2, 2, 1) == [0.0, 2.0]


@pytest.mark.parametrize("low, high, num", [(0, 10, 3), (-1, 10, 3), (10, 1, 3), (1, 10, 0)])
def test_log_grid_rejects_bad_bounds(low, high, num):
    with pytest.raises(BoostregError, match="log grid"):
        log_grid(low, high, num)


def test_log_grid_entries_in_toml(tmp_path):
    study = _load(
        tmp_path,
        HEAD
        + """
        [grid]
        reg_alpha = { log = [0.001, 1000], num = 7 }
        reg_lambda = { log = [0.1, 10], num = 3, zero = false }
        """,
    )
    assert study.grid["reg_alpha"] == [0.0, 0.001, 0.01, 0.1, 1.0, 10.0, 100.0, 1000.0]
    assert study.grid["reg_lambda"] == [0.1, 1.0, 10.0]


def test_log_grid_entry_default_num_is_five(tmp_path):
    study = _load(tmp_path, HEAD + "[grid]\nreg_alpha = { log = [0.01, 100] }\nreg_lambda = [0]\n")
    assert study.grid["reg_alpha"] == [0.0, 0.01, 0.1, 1.0, 10.0, 100.0]


def test_log_grid_entry_errors(tmp_path):
    _raises(tmp_path, HEAD + "[grid]\nreg_alpha = { log = [0.001], num = 7 }\nreg_lambda = [0]\n", "log = [low, high]")
    _raises(tmp_path, HEAD + "[grid]\nreg_alpha = { log = [0, 10] }\nreg_lambda = [0]\n", "low=0")
    _raises(
        tmp_path, HEAD + "[grid]\nreg_alpha = { log = [0.1, 10], steps = 3 }\nreg_lambda = [0]\n", "unknown key 'steps'"
    )


# ---------------------------------------------------------------------------------------------- engine sections


def test_engine_sections(tmp_path):
    study = _load(
        tmp_path,
        HEAD
        + GRID
        + """
        [params]
        n_estimators = 20
        learning_rate = 0.2

        [params.xgboost]
        max_depth = 3
        grow_policy = "lossguide"

        [params.lightgbm]
        num_leaves = 7
        """,
    )
    assert study.params == {"n_estimators": 20, "learning_rate": 0.2}
    assert study.engine_params == {
        "xgboost": {"max_depth": 3, "grow_policy": "lossguide"},
        "lightgbm": {"num_leaves": 7},
    }
    xgb = study.fixed_params("xgboost")
    lgb = study.fixed_params("lightgbm")
    assert xgb == {"n_estimators": 20, "learning_rate": 0.2, "max_depth": 3, "grow_policy": "lossguide"}
    assert lgb == {"n_estimators": 20, "learning_rate": 0.2, "num_leaves": 7}


def test_engine_defaults_apply_when_the_study_sets_nothing(tmp_path):
    study = _load(tmp_path, HEAD + GRID)
    assert study.fixed_params("xgboost") == {"n_estimators": 100, "learning_rate": 0.1, "max_depth": 6}
    assert study.fixed_params("lightgbm") == {"n_estimators": 100, "learning_rate": 0.1, "num_leaves": 31}


def test_unknown_engine_section_and_native_param(tmp_path):
    _raises(tmp_path, HEAD + GRID + "[params.catboost]\ndepth = 3\n", "[params.catboost]")
    _raises(
        tmp_path,
        HEAD + GRID + '[params.xgboost]\ngrow_polcy = "lossguide"\n',
        "grow_polcy",
        "did you mean 'grow_policy'",
    )
    # a LightGBM-only native parameter is not an XGBoost one
    _raises(tmp_path, HEAD + GRID + "[params.xgboost]\npath_smooth = 1.0\n", "path_smooth", "[params.xgboost]")


# ---------------------------------------------------------------------------------------------- file paths


def test_relative_dataset_file_resolves_from_the_study_folder(tmp_path, monkeypatch):
    folder = tmp_path / "studies" / "mine"
    folder.mkdir(parents=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    path = _write(
        folder,
        """
        [study]
        name = "files"

        [[datasets]]
        file = "data/train.csv"
        target = "y"

        [[datasets]]
        file = "../shared.parquet"
        target = "z"
        task = "binary"

        [grid]
        reg_alpha = [0]
        reg_lambda = [0]
        """,
    )
    study = load_study(path)
    assert study.datasets[0].file == str((folder / "data" / "train.csv").resolve())
    assert study.datasets[1].file == str((tmp_path / "studies" / "shared.parquet").resolve())
    assert study.datasets[1].task == "binary" and study.datasets[1].target == "z"
    assert [d.label for d in study.datasets] == ["train", "shared"]


def test_absolute_dataset_file_is_kept(tmp_path):
    absolute = (tmp_path / "abs" / "d.csv").resolve()
    study = _load(tmp_path, f'[study]\nname = "a"\n\n[[datasets]]\nfile = "{absolute.as_posix()}"\ntarget = "y"\n')
    assert study.datasets[0].file == str(absolute)


# ---------------------------------------------------------------------------------------------- validation


def test_unknown_top_level_key(tmp_path):
    _raises(tmp_path, HEAD + GRID + "[grids]\nmax_depth = [3]\n", "unknown key 'grids'", "did you mean 'grid'")


def test_unknown_study_key(tmp_path):
    _raises(
        tmp_path,
        '[study]\nname = "t"\nengins = ["xgboost"]\n\n[[datasets]]\nname = "diabetes"\n',
        "unknown key 'engins'",
        "[study]",
        "did you mean 'engines'",
    )


def test_unknown_dataset_key(tmp_path):
    _raises(
        tmp_path,
        '[study]\nname = "t"\n\n[[datasets]]\nfile = "d.csv"\ntargt = "y"\n',
        "unknown key 'targt'",
        "[[datasets]] #1",
        "did you mean 'target'",
    )


def test_unknown_key_far_from_any_gives_the_allowed_list(tmp_path):
    message = _raises(tmp_path, HEAD + GRID + "[zzzqqq]\n", "unknown key 'zzzqqq'", "Allowed keys")
    assert "did you mean" not in message


def test_unknown_grid_parameter(tmp_path):
    _raises(
        tmp_path,
        HEAD + "[grid]\nreg_alpha = [0]\nreg_lambda = [0]\nmax_dept = [3, 6]\n",
        "unknown grid parameter 'max_dept'",
        "did you mean 'max_depth'",
    )


def test_near_miss_under_params_is_suggested(tmp_path):
    _raises(tmp_path, HEAD + GRID + "[params]\nreg_alfa = 1.0\n", "reg_alfa", "did you mean 'reg_alpha'")


def test_near_miss_penalty_in_grid_is_suggested(tmp_path):
    # the typo is named even though reg_alpha is then missing from the grid
    _raises(
        tmp_path,
        HEAD + "[grid]\nreg_alfa = [0, 1]\nreg_lambda = [0]\n",
        "unknown grid parameter 'reg_alfa'",
        "did you mean 'reg_alpha'",
    )


def test_unknown_engine(tmp_path):
    _raises(
        tmp_path,
        '[study]\nname = "t"\nengines = ["xgbost"]\n\n[[datasets]]\nname = "diabetes"\n',
        "unknown engine 'xgbost'",
        "did you mean 'xgboost'",
        "Known engines: xgboost, lightgbm",
    )


def test_no_engines(tmp_path):
    _raises(tmp_path, '[study]\nname = "t"\nengines = []\n\n[[datasets]]\nname = "diabetes"\n', "no engines")


@pytest.mark.parametrize("key", ["reg_alpha", "reg_lambda"])
@pytest.mark.parametrize(
    "literal, words",
    [
        ("-1", ("-1", ">= 0")),
        ("-0.5", ("-0.5", ">= 0")),
        ("inf", ("inf", "finite")),
        ("-inf", ("-inf", "finite")),
        ("nan", ("nan", "finite")),
        ('"big"', ("'big'", "not a number")),
        ("true", ("True", "not a number")),
    ],
)
def test_bad_penalty_values(tmp_path, key, literal, words):
    other = "reg_lambda" if key == "reg_alpha" else "reg_alpha"
    _raises(tmp_path, HEAD + f"[grid]\n{key} = [0, {literal}]\n{other} = [0]\n", key, *words)


@pytest.mark.parametrize("key", ["reg_alpha", "reg_lambda"])
def test_empty_penalty_grid(tmp_path, key):
    other = "reg_lambda" if key == "reg_alpha" else "reg_alpha"
    _raises(tmp_path, HEAD + f"[grid]\n{key} = []\n{other} = [0]\n", key, "empty")


def test_empty_other_grid_list(tmp_path):
    _raises(tmp_path, HEAD + "[grid]\nreg_alpha = [0]\nreg_lambda = [0]\nmax_depth = []\n", "max_depth", "non-empty")


@pytest.mark.parametrize("values", ["[0, 1, 1]", "[0, 1, 1.0]", "[0.0, 0]"])
def test_duplicate_penalty_values(tmp_path, values):
    _raises(tmp_path, HEAD + f"[grid]\nreg_alpha = {values}\nreg_lambda = [0]\n", "reg_alpha", "repeats")


def test_log_grid_that_rounds_to_duplicates_is_rejected(tmp_path):
    _raises(tmp_path, HEAD + "[grid]\nreg_alpha = { log = [1, 1], num = 3 }\nreg_lambda = [0]\n", "repeats")


@pytest.mark.parametrize("key", ["reg_alpha", "reg_lambda"])
def test_a_grid_without_one_penalty_keeps_it_at_zero(tmp_path, key):
    other = "reg_lambda" if key == "reg_alpha" else "reg_alpha"
    study = _load(tmp_path, HEAD + f"[grid]\n{other} = [0, 1]\n")  # e.g. an L2-only study
    assert study.grid[key] == [0.0] and study.grid[other] == [0.0, 1.0]


def test_a_grid_without_either_penalty_is_refused(tmp_path):
    _raises(tmp_path, HEAD + "[grid]\nlearning_rate = [0.1]\n", "neither reg_alpha nor reg_lambda", "[grid]")


@pytest.mark.parametrize("folds", ["1", "0", "-3", "2.5", "true", '"3"'])
def test_bad_folds(tmp_path, folds):
    _raises(tmp_path, f'[study]\nname = "t"\nfolds = {folds}\n\n[[datasets]]\nname = "diabetes"\n', "folds", ">= 2")


def test_two_folds_are_enough(tmp_path):
    assert _load(tmp_path, '[study]\nname = "t"\nfolds = 2\n\n[[datasets]]\nname = "diabetes"\n').folds == 2


@pytest.mark.parametrize("seeds", ["[]", "[-1]", "[0, 1.5]", "[true]", '["0"]'])
def test_bad_seeds(tmp_path, seeds):
    _raises(
        tmp_path,
        f'[study]\nname = "t"\nseeds = {seeds}\n\n[[datasets]]\nname = "diabetes"\n',
        "seeds",
        "whole numbers from 0",
    )


def test_seeds_and_engines_not_lists(tmp_path):
    _raises(
        tmp_path, '[study]\nname = "t"\nseeds = 0\n\n[[datasets]]\nname = "diabetes"\n', "seeds = 0", "must be a list"
    )
    _raises(
        tmp_path,
        '[study]\nname = "t"\nengines = "xgboost"\n\n[[datasets]]\nname = "diabetes"\n',
        "engines = 'xgboost'",
        "must be a list",
    )


def test_malformed_toml_names_the_line(tmp_path):
    message = _raises(
        tmp_path, '[study]\nname = "t"\nfolds = \n\n[[datasets]]\nname = "diabetes"\n', "malformed TOML", "line 3"
    )
    assert "study.toml" in message
    message = _raises(tmp_path, '[study]\nname = "t"\n\n\n[[datasets]\nname = "diabetes"\n', "line 5")


def test_missing_and_unreadable_study_file(tmp_path):
    with pytest.raises(BoostregError, match="does not exist"):
        load_study(tmp_path / "nope.toml")
    bad = tmp_path / "latin1.toml"
    bad.write_bytes('[study]\nname = "caf\xe9"\n'.encode("latin-1"))
    with pytest.raises(BoostregError, match="UTF-8"):
        load_study(bad)


def test_dataset_with_both_name_and_file(tmp_path):
    _raises(
        tmp_path,
        '[study]\nname = "t"\n\n[[datasets]]\nname = "diabetes"\nfile = "d.csv"\ntarget = "y"\n',
        "[[datasets]] #1",
        "exactly one of name",
    )


def test_dataset_with_neither_name_nor_file(tmp_path):
    _raises(
        tmp_path,
        '[study]\nname = "t"\n\n[[datasets]]\nname = "diabetes"\n\n[[datasets]]\nmax_rows = 10\n',
        "[[datasets]] #2",
        "exactly one of name",
    )
    _raises(tmp_path, '[study]\nname = "t"\n\n[[datasets]]\nname = ""\n', "exactly one of name")


def test_file_without_target(tmp_path):
    _raises(tmp_path, '[study]\nname = "t"\n\n[[datasets]]\nfile = "d.csv"\n', "no target", "target = ")


def test_no_datasets_and_no_name(tmp_path):
    _raises(tmp_path, '[study]\nname = "t"\n', "no datasets")
    _raises(tmp_path, '[study]\ndescription = "x"\n\n[[datasets]]\nname = "diabetes"\n', "no name")


@pytest.mark.parametrize("key", ["reg_alpha", "reg_lambda"])
def test_penalty_under_params(tmp_path, key):
    _raises(tmp_path, HEAD + GRID + f"[params]\n{key} = 1.0\n", f"'{key}' is set under [params]", "[grid]")


@pytest.mark.parametrize(
    "line, words",
    [
        ("n_estimators = -5", ("n_estimators", "negative")),
        ("learning_rate = inf", ("learning_rate", "finite")),
        ('max_depth = "deep"', ("max_depth", "finite")),
        ("colour = 3", ("unknown parameter 'colour'", "[params]")),
    ],
)
def test_bad_fixed_params(tmp_path, line, words):
    _raises(tmp_path, HEAD + GRID + f"[params]\n{line}\n", *words)


def test_primary_metric(tmp_path):
    study = _load(
        tmp_path, '[study]\nname = "t"\nprimary_metric = { regression = "mae" }\n\n[[datasets]]\nname = "diabetes"\n'
    )
    assert study.primary_metric == {"regression": "mae", "binary": "logloss", "multiclass": "mlogloss"}
    _raises(
        tmp_path,
        '[study]\nname = "t"\nprimary_metric = { regression = "auc" }\n\n[[datasets]]\nname = "diabetes"\n',
        "'auc'",
        "rmse, mae, r2",
    )
    _raises(
        tmp_path, '[study]\nname = "t"\nprimary_metric = "rmse"\n\n[[datasets]]\nname = "diabetes"\n', "must be a table"
    )
    _raises(
        tmp_path,
        '[study]\nname = "t"\nprimary_metric = { ordinal = "x" }\n\n[[datasets]]\nname = "diabetes"\n',
        "unknown task 'ordinal'",
    )


def test_python_api_validates_too():
    with pytest.raises(BoostregError, match="reg_alpha"):
        Study(name="x", datasets=[DatasetSpec(name="diabetes")], grid={"reg_alpha": [-1.0], "reg_lambda": [0.0]})
    with pytest.raises(BoostregError, match="folds"):
        Study(name="x", datasets=[DatasetSpec(name="diabetes")], folds=1)
    study = Study(name="x", datasets=[DatasetSpec(name="diabetes")], grid={"reg_alpha": [0, 2], "reg_lambda": [math.e]})
    assert study.grid == {"reg_alpha": [0.0, 2.0], "reg_lambda": [math.e]}


# ------------------------------------------------------------------------------------ shapes and other grid values


def test_non_numeric_log_bounds_and_num(tmp_path):
    _raises(
        tmp_path,
        HEAD + '[grid]\nreg_alpha = { log = ["a", 1000] }\nreg_lambda = [0]\n',
        "grid.reg_alpha",
        "two numbers",
    )
    _raises(
        tmp_path,
        HEAD + "[grid]\nreg_alpha = { log = [0.1, 10], num = 2.5 }\nreg_lambda = [0]\n",
        "num = 2.5",
        "whole number",
    )


@pytest.mark.parametrize(
    "text, section",
    [
        ("grid = [1]\n" + HEAD, "[grid]"),
        ('study = "x"\n\n[[datasets]]\nname = "diabetes"\n', "[study]"),
        ('[study]\nname = "t"\n\n[datasets]\nname = "diabetes"\n', "[[datasets]]"),
        ("params = 3\n" + HEAD, "[params]"),
    ],
)
def test_sections_of_the_wrong_shape(tmp_path, text, section):
    _raises(tmp_path, text, f"must be written as a {section} section")


def test_duplicate_values_in_other_grid_parameter(tmp_path):
    _raises(tmp_path, HEAD + GRID + "max_depth = [3, 3]\n", "'max_depth'", "repeats")


@pytest.mark.parametrize(
    "values, words",
    [
        ("[0.1, -0.1]", ("learning_rate = -0.1", "negative")),
        ('[0.1, "fast"]', ("learning_rate = 'fast'", "finite")),
        ("[0.1, inf]", ("learning_rate = inf", "finite")),
    ],
)
def test_bad_value_in_other_grid_parameter(tmp_path, values, words):
    _raises(tmp_path, HEAD + GRID + f"learning_rate = {values}\n", "grid.learning_rate", *words)


def test_non_numeric_common_param_in_engine_section(tmp_path):
    _raises(
        tmp_path, HEAD + GRID + '[params.xgboost]\nn_estimators = "many"\n', "n_estimators = 'many'", "[params.xgboost]"
    )


@pytest.mark.parametrize("engine", ["xgboost", "lightgbm"])
def test_penalty_under_engine_section(tmp_path, engine):
    _raises(tmp_path, HEAD + GRID + f"[params.{engine}]\nreg_alpha = 5.0\n", f"under [params.{engine}]", "[grid]")


def test_alias_names_the_dataset(tmp_path):
    study = _load(
        tmp_path,
        """
        [study]
        name = "aliases"

        [[datasets]]
        name = "sparse_linear"
        alias = "sparse_small"
        params = { n_samples = 200 }

        [[datasets]]
        name = "sparse_linear"
        """,
    )
    assert [d.label for d in study.datasets] == ["sparse_small", "sparse_linear"]
    assert study.datasets[0].params == {"n_samples": 200}


# ---------------------------------------------------------------------------------------------- whole numbers


@pytest.mark.parametrize("line", ["max_depth = 3.5", "n_estimators = 2.7"])
def test_fractional_whole_number_params(tmp_path, line):
    _raises(tmp_path, HEAD + GRID + f"[params]\n{line}\n", line.split()[0], "whole")


# ---------------------------------------------------------------------------------------------- relative grids


def test_relative_grid_from_toml_and_python_round_trips(tmp_path):
    from boostreg import relative

    study = _load(
        tmp_path,
        HEAD + "[grid]\nreg_alpha = { relative = [0, 0.1, 1] }\n"
        "reg_lambda = { relative = { log = [0.1, 10], num = 3 } }\n",
    )
    assert study.grid == {"reg_alpha": {"relative": [0.0, 0.1, 1.0]}, "reg_lambda": {"relative": [0.0, 0.1, 1.0, 10.0]}}
    again = Study(
        name="x",
        datasets=[DatasetSpec(name="diabetes")],
        grid={"reg_alpha": relative(np.array([0, 0.1, 1])), "reg_lambda": relative([0, 0.1, 1, 10])},
    )
    assert again.grid == study.grid
    path = tmp_path / "rt.toml"
    path.write_text(tomli_w.dumps(again.to_toml_dict()), encoding="utf-8")
    assert load_study(path).grid == study.grid


@pytest.mark.parametrize(
    "grid, words",
    [
        ("reg_alpha = { relative = [0, -0.1] }\nreg_lambda = [0]", "relative reg_alpha value -0.1"),
        ("reg_alpha = { relative = [] }\nreg_lambda = [0]", "is empty"),
        ("reg_alpha = { relative = [0, 1], other = 2 }\nreg_lambda = [0]", "unknown key 'other'"),
        ("reg_alpha = [0]\nreg_lambda = [0]\nlearning_rate = { relative = [0.1] }", "only reg_alpha and reg_lambda"),
    ],
)
def test_bad_relative_grids_are_one_line_errors(tmp_path, grid, words):
    with pytest.raises(BoostregError, match=re.escape(words)):
        _load(tmp_path, HEAD + "[grid]\n" + grid + "\n")


def test_relative_grid_needs_an_unpenalized_reference_it_can_read(tmp_path):
    with pytest.raises(BoostregError, match="subsample < 1"):
        _load(
            tmp_path, HEAD + "[grid]\nreg_alpha = { relative = [0, 1] }\nreg_lambda = [0]\n[params]\nsubsample = 0.8\n"
        )
    with pytest.raises(BoostregError, match="baselines have none"):
        _load(tmp_path, HEAD + "[baseline_grid]\npenalty = { relative = [0.1, 1] }\n")


def test_a_study_copies_what_it_is_given_and_is_checked_again_where_it_runs():
    from boostreg.data import load_builtin
    from boostreg.plan import make_plan

    grid = {"reg_alpha": np.array([0.0, 1.0])}
    params = {"n_estimators": 3}
    spec_grid = {"reg_lambda": (0, 1)}
    study = Study(
        name="t",
        datasets=[DatasetSpec(name="diabetes", grid=spec_grid)],
        engines=["lightgbm"],
        grid=grid,
        params=params,
        folds=2,
    )
    assert isinstance(grid["reg_alpha"], np.ndarray) and list(grid) == ["reg_alpha"]  # the caller's dict untouched
    assert spec_grid == {"reg_lambda": (0, 1)} and params == {"n_estimators": 3}
    assert study.grid == {"reg_alpha": [0.0, 1.0], "reg_lambda": [0.0]}
    datasets = {"diabetes": load_builtin("diabetes")}
    study.params["learning_rate"] = 0  # changed after it was built: refused where it is used
    with pytest.raises(BoostregError, match="learning_rate = 0"):
        make_plan(study, datasets)
    del study.params["learning_rate"]
    study.grid["reg_alpha"].append(-5)
    with pytest.raises(BoostregError, match="reg_alpha value -5"):
        make_plan(study, datasets)


# issue 28: a Study built in Python with the wrong kinds of containers ends in one line (or is accepted as meant)
def _api_study(**kw):
    from boostreg.study import DatasetSpec, Study

    base = dict(
        name="t",
        datasets=[DatasetSpec(name="diabetes")],
        engines=["lightgbm"],
        grid={"reg_alpha": [0, 1]},
        folds=2,
        params={"n_estimators": 3},
    )
    return Study(**{**base, **kw})


def test_numpy_integers_are_whole_numbers_for_folds_and_seeds():
    import numpy as np

    st = _api_study(folds=np.int64(3), seeds=np.array([0, 1]))
    assert st.folds == 3 and type(st.folds) is int and st.seeds == [0, 1] and all(type(s) is int for s in st.seeds)
    assert _api_study(seeds=[np.int32(4)]).seeds == [4]


def test_containers_accepted_as_lists():
    import pandas as pd

    assert _api_study(grid={"reg_alpha": range(3)}).grid["reg_alpha"] == [0.0, 1.0, 2.0]
    assert _api_study(grid={"reg_alpha": pd.Series([0, 1.5])}).grid["reg_alpha"] == [0.0, 1.5]
    assert _api_study(grid={"reg_alpha": [0], "max_depth": range(2, 4)}).grid["max_depth"] == [2, 3]
    assert _api_study(primary_metric="mae").primary_metric == {
        "regression": "mae",
        "binary": "logloss",
        "multiclass": "mlogloss",
    }
    assert _api_study(primary_metric="error").primary_metric == {
        "regression": "rmse",
        "binary": "error",
        "multiclass": "error",
    }


@pytest.mark.parametrize(
    "kw, says",
    [
        (dict(datasets="diabetes"), "must be a list of DatasetSpec"),
        (dict(datasets=["diabetes"]), "is not a DatasetSpec; write datasets=[DatasetSpec(name='diabetes')]"),
        (dict(primary_metric="f1"), "not a metric boostreg knows"),
        (dict(primary_metric=5), "primary_metric = 5 in <python> must be a dict"),
        (dict(engine_params={"xgboost": 5}), "engine_params['xgboost'] = 5 in <python> must be a dict"),
        (dict(grid={"reg_alpha": {0, 1}}), "is a set, which has no order"),
        (dict(grid={"reg_alpha": "0,1"}), "is the text '0,1', not a list of numbers"),
        (dict(grid={"reg_alpha": 1.0}), "is the single value 1.0, not a list; give a list, e.g. reg_alpha = [1.0]"),
        (dict(grid={"reg_alpha": [0], "max_depth": 3}), "is the single value 3, not a list"),
        (dict(engines="xgboost"), "must be a list of names, e.g. engines=['xgboost']"),
        (dict(params={"n_estimators": "10"}), "give a whole number, e.g. 10."),
        (dict(params={"learning_rate": "0.1"}), "give a number, e.g. 0.1."),
    ],
)
def test_wrong_containers_are_one_line(kw, says):
    from boostreg.errors import BoostregError

    with pytest.raises(BoostregError) as err:
        _api_study(**kw)
    assert says in str(err.value) and "\n" not in str(err.value)


def test_numpy_folds_run_writes_a_readable_study(tmp_path):
    import numpy as np

    from boostreg import run_study

    result = run_study(_api_study(folds=np.int64(2), seeds=np.array([0])), tmp_path / "out", jobs=1, progress=False)
    assert len(result.fits) == 4 and (tmp_path / "out" / "study.toml").exists()
