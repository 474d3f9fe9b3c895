"""The cost model behind the scheduler and ``boostreg run --dry-run``: what a fit costs, and the estimate's parts."""

import json
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from boostreg.cli import cli
from boostreg.executors import cost
from boostreg.executors.cost import DataShape, data_shape, fit_seconds, report_seconds, run_seconds


def _group(engine, n_rows=1000, n_splits=3, validation_fraction=0.2, **fixed):
    return SimpleNamespace(
        engine=engine, fixed=fixed, n_rows=n_rows, n_splits=n_splits, validation_fraction=validation_fraction
    )


def test_booster_fit_cost_by_hand():
    """1000 rows, 3 folds, a 20% validation split: 533.3 training rows; 10 features filling 500 bins (50 each);
    depth 4 is 16 leaves; 100 rounds."""
    shape = DataShape(1000, 10, 500)
    scale, rows, features, bins, leaves = cost.DEPTH_WISE
    n_train = 1000 * (2 / 3) * 0.8
    want = 100 * scale * n_train**rows * 10**features * 50**bins * 16**leaves
    assert fit_seconds(_group("xgboost", n_estimators=100, max_depth=4), shape) == pytest.approx(want, rel=1e-12)
    # leaf-wise constants and num_leaves for LightGBM; its library default of 31 leaves when the study sets none
    scale, rows, features, bins, leaves = cost.LEAF_WISE
    want = 100 * scale * n_train**rows * 10**features * 50**bins * 31**leaves
    assert fit_seconds(_group("lightgbm", n_estimators=100), shape) == pytest.approx(want, rel=1e-12)
    # without the data (the scheduler): the group's rows at a typical width
    typical = DataShape(1000, cost.TYPICAL_FEATURES, cost.TYPICAL_FEATURES * cost.TYPICAL_BINS)
    group = _group("xgboost", n_estimators=100, max_depth=4)
    assert fit_seconds(group) == fit_seconds(group, typical)


def test_early_stopping_and_width_and_rows_change_the_cost():
    shape = DataShape(1000, 10, 500)
    plain = fit_seconds(_group("xgboost", n_estimators=200, max_depth=6), shape)
    early = fit_seconds(_group("xgboost", n_estimators=200, max_depth=6, early_stopping_rounds=30), shape)
    assert early == pytest.approx(plain * cost.EARLY_STOPPING_SHARE)
    assert fit_seconds(_group("xgboost", n_estimators=200, max_depth=6), DataShape(1000, 50, 2500)) > 2 * plain
    assert fit_seconds(_group("xgboost", n_estimators=200, max_depth=6), DataShape(1000, 10, 2500)) > 1.3 * plain
    # a kernel machine grows with the square of its training rows; a linear model with rows x features
    small, large = (fit_seconds(_group("svr_rbf"), DataShape(n, 10)) for n in (1000, 2000))
    assert large - cost.KERNEL_FIT == pytest.approx(4 * (small - cost.KERNEL_FIT))
    n_train = 1000 * (2 / 3) * 0.8
    assert fit_seconds(_group("ridge"), DataShape(1000, 10)) == pytest.approx(
        cost.LINEAR_FIT + cost.LINEAR_CELL * n_train * 10
    )
    assert run_seconds(40.0, 10, 2) == pytest.approx(cost.STARTUP_SECONDS + (40.0 + 10 * cost.GROUP_SECONDS) / 2)


def test_data_shape_counts_histogram_bins():
    frame = pd.DataFrame({"a": np.arange(1000.0), "b": np.repeat([0, 1], 500), "c": np.ones(1000)})
    assert data_shape(frame) == DataShape(1000, 3, 256 + 2 + 1)


def test_report_estimate_grows_with_panels_and_shrinks_with_workers():
    one = report_seconds(6, 12, 1)
    shared = cost.REPORT_BASE + cost.REPORT_PER_PANEL * 12 + cost.REPORT_PER_DATASET * 6
    assert one == pytest.approx(cost.REPORT_SERIAL + shared)
    assert report_seconds(6, 12, 2) == pytest.approx(cost.REPORT_SERIAL + shared / 2)
    assert report_seconds(6, 12, 2) < one and report_seconds(2, 4, 2) < report_seconds(6, 12, 2)


def test_dry_run_estimates_the_sweep_and_the_report(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "s.toml").write_text(
        '[study]\nname = "tiny"\nengines = ["xgboost", "ridge"]\nfolds = 2\n\n[[datasets]]\nname = "diabetes"\n\n'
        "[grid]\nreg_alpha = [0, 1]\nreg_lambda = [0]\n\n[params]\nn_estimators = 50\n"
    )
    res = CliRunner().invoke(cli, ["run", "s.toml", "--dry-run", "--jobs", "2", "--out", "out", "--format", "json"])
    assert res.exit_code == 0, res.output
    plan = json.loads(res.output)
    assert plan["estimated_report_s"] > 0 and plan["estimated_sweep_s"] > cost.STARTUP_SECONDS
    assert plan["estimated_wall_s"] == pytest.approx(plan["estimated_sweep_s"] + plan["estimated_report_s"], abs=1)
    xgb = next(r for r in plan["plan"] if r["engine"] == "xgboost")
    assert xgb["to_run"] == xgb["fits"] and xgb["estimated_cpu_s"] > 0
    text = CliRunner().invoke(cli, ["run", "s.toml", "--dry-run", "--jobs", "2", "--out", "out"]).output
    assert "s of fits and" in text and "s of report" in text
