"""The committed tuning guide is what `boostreg guide` makes of the committed records, byte for byte."""

from pathlib import Path

import pandas as pd
from click.testing import CliRunner

from boostreg.cli import cli

REPORTS = Path(__file__).resolve().parents[1] / "reports" / "tuning_guide"


def test_committed_guide_regenerates_from_committed_records(tmp_path, monkeypatch):
    monkeypatch.chdir(REPORTS.parents[1])  # the guide names the command as run from the repository root
    out = tmp_path / "guide.html"
    res = CliRunner().invoke(cli, ["guide", "reports/tuning_guide/fits.parquet", "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert out.with_suffix(".md").read_text(encoding="utf-8") == (REPORTS / "guide.md").read_text(encoding="utf-8")
    assert out.read_text(encoding="utf-8") == (REPORTS / "guide.html").read_text(encoding="utf-8"), \
        "regenerate: .venv/bin/boostreg guide reports/tuning_guide/fits.parquet -o reports/tuning_guide/guide.html"


def test_committed_records_are_the_whole_tuning_study():
    fits = pd.read_parquet(REPORTS / "fits.parquet")
    assert fits.fit_id.is_unique and (fits.status == "ok").all()
    assert set(fits.study) == {"tuning_guide"} and fits.fold.nunique() == 5
    assert set(fits.engine) == {"xgboost", "lightgbm"}
    assert fits.dataset.nunique() == 11 and fits.n_train.max() + fits.n_valid.max() + fits.n_test.max() >= 50_000
    assert {0.0, 0.001, 1000.0} <= set(fits.reg_alpha) and {0.0, 0.001, 1000.0} <= set(fits.reg_lambda)
    assert (fits.early_stopping_rounds == 30).all() and (fits.n_valid > 0).all()
    assert fits.theory_max_rel_err.max() < 1e-4  # every leaf of every fit matched its closed form
