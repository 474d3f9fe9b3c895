"""The committed tuning guide is what `boostreg guide` makes of the committed records, byte for byte."""

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from boostreg.cli import cli

pytestmark = pytest.mark.slow  # regenerates the committed guide from its records

REPORTS = Path(__file__).resolve().parents[1] / "reports" / "tuning_guide"


def test_committed_guide_regenerates_from_committed_records(tmp_path, monkeypatch):
    monkeypatch.chdir(REPORTS.parents[1])  # the guide names the command as run from the repository root
    out = tmp_path / "guide.html"
    res = CliRunner().invoke(cli, ["guide", "reports/tuning_guide/fits.parquet", "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert out.with_suffix(".md").read_text(encoding="utf-8") == (REPORTS / "guide.md").read_text(encoding="utf-8")
    assert out.read_text(encoding="utf-8") == (REPORTS / "guide.html").read_text(encoding="utf-8"), (
        "regenerate: .venv/bin/boostreg guide reports/tuning_guide/fits.parquet -o reports/tuning_guide/guide.html"
    )


def test_committed_records_are_the_whole_tuning_study():
    fits = pd.read_parquet(REPORTS / "fits.parquet")
    assert fits.fit_id.is_unique and (fits.status == "ok").all()
    assert set(fits.study) == {"tuning_guide"} and fits.fold.nunique() == 5
    assert set(fits.engine) == {"xgboost", "lightgbm"}
    # >= 20 real datasets (the evidence), binary and regression, 300 to 50,000 rows
    real = fits[fits.n_noise_features_used.isna()]
    assert real.dataset.nunique() >= 20 and set(real.task) == {"binary", "regression"}
    rows = fits.groupby("dataset")[["n_train", "n_valid", "n_test"]].max().sum(axis=1)
    assert rows.min() >= 300 and rows.max() >= 50_000
    # a relative grid: each fold's raw values come from its unpenalized fit; every group has its library default
    grid = fits[fits.in_grid.astype(bool)]
    assert {0.0, 0.3} <= set(grid.reg_alpha_relative.round(6)) and {0.0, 10.0} <= set(grid.reg_lambda_relative.round(6))
    assert fits.groupby("group_id").is_default.sum().eq(1).all()
    assert (fits.early_stopping_rounds == 30).all() and (fits.n_valid > 0).all()
    checked = fits[fits.theory_max_rel_err.notna()]
    assert len(checked) > 2000 and (checked.theory_check == "ok").all()


def test_every_checked_leaf_of_the_tuning_study_matched_its_closed_form():
    """Every checked fit matches; the only fits set aside are the two whose rows LightGBM's feature bundling routed
    differently in training than in its predictor (windsor_houses fold 3), and they say so."""
    fits = pd.read_parquet(REPORTS / "fits.parquet")
    checked = fits[fits.theory_max_rel_err.notna()]
    assert len(checked) > 2500 and checked.theory_max_rel_err.max() < 1e-4
    moved = fits[fits.theory_check.str.startswith("not applicable")]
    assert set(moved.dataset) == {"windsor_houses"} and set(moved.fold) == {3} and set(moved.engine) == {"lightgbm"}
    assert moved.theory_check.str.contains("feature bundling routed 12 of 349 training rows").all()


def test_committed_guide_html_has_no_markdown_backticks():
    html = (REPORTS / "guide.html").read_text(encoding="utf-8")
    assert "`" not in html and "<code>boostreg recommend</code>" in html
