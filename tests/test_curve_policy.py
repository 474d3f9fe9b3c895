"""The curve policy (issue 31): fits the theory check samples out keep their final training error and their per-round
test and validation curves, not a per-round training curve, unless ``curves = "all"``; records are otherwise the
same numbers, and the report's learning curves average only fits that kept both curves."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from boostreg import DatasetSpec, Study, run_study
from boostreg.analysis import learning_curves

pytestmark = pytest.mark.slow


def _study() -> Study:
    return Study(
        name="curves",
        datasets=[DatasetSpec(name="diabetes"), DatasetSpec(name="breast_cancer", max_rows=300)],
        grid={"reg_alpha": [0.0, 1.0], "reg_lambda": [0.0, 1.0, 10.0]},
        params={"n_estimators": 15, "validation_fraction": 0.2},
        engines=["xgboost", "lightgbm"],
        folds=4,
    )


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("curves")
    checked = run_study(_study(), tmp / "checked", jobs=1, progress=False)
    every = run_study(dataclasses.replace(_study(), curves="all"), tmp / "all", jobs=1, progress=False)
    return checked, every


def test_sampled_out_fits_keep_final_train_error_but_no_train_curve(runs):
    checked, every = runs
    fits, curves = checked.fits.set_index("fit_id"), checked.curves
    out = fits.index[fits.theory_check.str.startswith("not checked")]
    ok = fits.index[fits.theory_check == "ok"]
    assert len(out) > 0 and len(ok) > 0
    has_train = curves.train_error.notna().groupby(curves.fit_id).any()
    has_test = curves.test_error.notna().groupby(curves.fit_id).all()
    has_valid = curves.valid_error.notna().groupby(curves.fit_id).all()
    assert not has_train[out].any() and has_train[ok].all()  # the checked sample keeps every curve
    assert has_test[out].all() and has_valid[out].all()
    assert fits.loc[out, "train_error"].notna().all()  # the final training error is kept
    # curves = "all": every fit has its per-round training curve, and the checked fits' curves are the same numbers
    ev = every.curves
    assert ev.train_error.notna().groupby(ev.fit_id).any().all()
    a = curves[curves.fit_id.isin(ok)].sort_values(["fit_id", "round"]).reset_index(drop=True)
    b = ev[ev.fit_id.isin(ok)].sort_values(["fit_id", "round"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b, check_exact=True)


def test_records_are_the_same_numbers_under_either_policy(runs):
    checked, every = runs
    a, b = (r.fits.set_index("fit_id").sort_index() for r in (checked, every))
    assert list(a.index) == list(b.index)
    for col in a.columns:
        if col in {"fit_time_s", "measure_time_s"}:
            continue
        pd.testing.assert_series_equal(a[col], b[col], check_exact=True, obj=col)
    # the test and validation curves of every fit are bit-identical
    ca, cb = (r.curves.sort_values(["fit_id", "round"]).reset_index(drop=True) for r in (checked, every))
    for col in ("round", "test_error", "valid_error"):
        pd.testing.assert_series_equal(ca[col], cb[col], check_exact=True, obj=col)
    # with curves = "all" the engine's own per-round training error ends where the record's does
    last = cb.groupby("fit_id").tail(1).set_index("fit_id").train_error
    np.testing.assert_allclose(last.sort_index(), b.train_error.loc[last.index].sort_index(), rtol=1e-5)


def test_learning_curves_average_only_fits_with_both_curves(runs):
    checked, every = runs
    mean = learning_curves(checked.fits, checked.curves)
    assert not mean.empty and mean.train_error.notna().all() and mean.test_error.notna().all()
    full = learning_curves(every.fits, every.curves)
    assert (mean.n_groups >= 1).all() and (mean.n_groups <= full.n_groups.max()).all()
    assert full.n_groups.max() == 4  # every fold's fits with curves = "all"
    assert mean.n_groups.min() < full.n_groups.max()  # the checked sample is fewer groups
