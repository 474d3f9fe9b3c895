"""The per-fit timeout (``Study(fit_timeout=...)``, ``[study] fit_timeout``, ``run --fit-timeout``): a fit that runs
past it is stored as failed with "timed out after N s (fit_timeout)" and its group goes on; the run ends with the
failed-fits exit code. Not part of the study's identity: a folder resumes with another timeout."""

import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pandas as pd
import pytest

from boostreg import DatasetSpec, Study, run_study
from boostreg.deadline import FitTimeout, fit_deadline
from boostreg.engines import ENGINES, register_engine
from boostreg.engines.xgboost import XGBoostEngine
from boostreg.errors import BoostregError
from boostreg.loading import load_dataset
from boostreg.rundir import study_identity
from boostreg.study import load_study

#: a hung fit that the timeout failed to stop ends by itself after this long, so the test fails instead of hanging
HANG_LIMIT_S = 60


class HangingBooster(XGBoostEngine):
    """XGBoost under another name whose fit never returns (sleeps) for the parameters in ``hang_if``."""

    name = "hanging_booster"
    library = "xgboost"
    hang_if = {"reg_alpha": 1.0}

    def fit(self, prepared, params, seed, threads):
        if all(params.get(k) == v for k, v in self.hang_if.items()):
            end = time.monotonic() + HANG_LIMIT_S
            while time.monotonic() < end:
                time.sleep(0.05)
            raise RuntimeError("the fit was not stopped by fit_timeout")
        return super().fit(prepared, params, seed=seed, threads=threads)


class HangingReference(HangingBooster):
    """Hangs on the group's reference fit (the unpenalized one)."""

    name = "hanging_reference"
    hang_if = {"reg_alpha": 0.0, "reg_lambda": 0.0}


@pytest.fixture(scope="module")
def hanging():
    engines = [register_engine(HangingBooster()), register_engine(HangingReference())]
    try:
        yield engines
    finally:
        for engine in engines:
            ENGINES.pop(engine.name, None)  # other test modules see the registry as it was


def _study(engine, **kw):
    return Study(
        name="timeout",
        datasets=[DatasetSpec(name="diabetes")],
        engines=[engine],
        grid=kw.pop("grid", {"reg_alpha": [0, 1], "reg_lambda": [0]}),
        params={"n_estimators": 5},
        folds=2,
        **kw,
    )


# ---------------------------------------------------------------------------------------------- the study field


def test_fit_timeout_is_validated_like_the_other_fields():
    assert _study("xgboost").fit_timeout is None
    assert _study("xgboost", fit_timeout=2).fit_timeout == 2.0
    assert isinstance(_study("xgboost", fit_timeout=np.int64(3)).fit_timeout, float)
    for bad in (0, -1, float("inf"), float("nan"), "60", True, [60]):
        with pytest.raises(BoostregError, match=r"^fit_timeout = .* is not a positive number of seconds"):
            _study("xgboost", fit_timeout=bad)


def test_fit_timeout_from_a_study_file_and_back(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(
        '[study]\nname = "t"\nengines = ["xgboost"]\nfolds = 2\nfit_timeout = 60\n'
        '[[datasets]]\nname = "diabetes"\n[grid]\nreg_alpha = [0]\n',
        encoding="utf-8",
    )
    study = load_study(path)
    assert study.fit_timeout == 60.0
    assert study.to_toml_dict()["study"]["fit_timeout"] == 60.0  # OUT/study.toml keeps it
    path.write_text(path.read_text().replace("fit_timeout = 60", 'fit_timeout = "1 min"'), encoding="utf-8")
    with pytest.raises(BoostregError, match="fit_timeout = '1 min' in .*s.toml is not a positive number"):
        load_study(path)


def test_fit_timeout_is_not_part_of_the_study_identity():
    """How to run, not what is measured: a folder resumes with another timeout (or none)."""
    datasets = {"diabetes": load_dataset(DatasetSpec(name="diabetes"))}
    prints = {study_identity(_study("xgboost", fit_timeout=t), datasets)["fingerprint"] for t in (None, 1, 600)}
    assert len(prints) == 1


# ---------------------------------------------------------------------------------------------- the alarm


def test_fit_deadline_stops_python_code_and_restores_the_previous_handler_and_timer():
    def mine(signum, frame):
        raise AssertionError("the previous handler rang")

    previous = signal.signal(signal.SIGALRM, mine)
    try:
        signal.setitimer(signal.ITIMER_REAL, 30)  # someone else's timer, running
        t0 = time.monotonic()
        with pytest.raises(FitTimeout, match=r"^timed out after 0.2 s \(fit_timeout\)$"):
            with fit_deadline(0.2):
                time.sleep(10)
        assert time.monotonic() - t0 < 5
        assert signal.getsignal(signal.SIGALRM) is mine
        left, _ = signal.setitimer(signal.ITIMER_REAL, 0)
        assert 20 < left <= 30  # what was left of it, running again
        with fit_deadline(5):  # a block that ends in time leaves nothing armed
            pass
        assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
        with fit_deadline(None):  # no limit
            time.sleep(0.01)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_fit_deadline_outside_the_main_thread_does_not_limit():
    """A Dask worker runs fits in threads: no alarm reaches them, so the block runs to its end."""
    done = []

    def work():
        with fit_deadline(0.05):
            time.sleep(0.3)
        done.append(True)

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    assert done == [True]


# ---------------------------------------------------------------------------------------------- whole runs


@pytest.mark.slow
@pytest.mark.parametrize("jobs", [1, 2])
def test_a_hung_fit_is_failed_and_the_group_goes_on(hanging, tmp_path, jobs):
    study = _study("hanging_booster", fit_timeout=2)
    fits = run_study(study, tmp_path / "out", jobs=jobs, progress=False).fits
    hung = fits[fits.reg_alpha == 1]
    rest = fits[fits.reg_alpha != 1]
    assert len(hung) == 2 and len(rest) >= 2  # each fold: reg_alpha 1 hangs, the reference and default fit
    assert (hung.status == "failed").all()
    assert hung.error.str.startswith("timed out after 2 s (fit_timeout)").all(), hung.error.tolist()
    assert hung.error.str.contains("in fit").all()  # where it hung: the plug-in's fit
    assert (rest.status == "ok").all(), rest.error.dropna().tolist()


@pytest.mark.slow
def test_a_timed_out_reference_fails_the_relative_fits_of_its_group_naming_it(hanging, tmp_path):
    study = _study("hanging_reference", fit_timeout=1, grid={"reg_alpha": [0], "reg_lambda": {"relative": [0, 1]}})
    fits = run_study(study, tmp_path / "out", jobs=1, progress=False).fits
    reference = fits[(fits.reg_alpha == 0) & (fits.reg_lambda == 0)]
    relative = fits[fits.reg_lambda.isna()]  # relative reg_lambda 1: never resolved to a raw value
    assert len(reference) == 2 and (reference.status == "failed").all()
    assert reference.error.str.startswith("timed out after 1 s (fit_timeout)").all()
    assert len(relative) == 2 and (relative.status == "failed").all()
    assert relative.error.str.contains(
        "relative reg_lambda needs .* but that fit failed: timed out after 1 s \\(fit_timeout\\)"
    ).all(), relative.error.tolist()
    raw = fits[~fits.index.isin(reference.index) & ~fits.index.isin(relative.index)]
    assert len(raw) and (raw.status == "ok").all()  # XGBoost's default (reg_lambda 1, raw) needs no reference


@pytest.mark.slow
def test_a_real_xgboost_fit_stops_within_a_round_of_its_timeout(tmp_path):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(4000, 20)), columns=[f"x{i}" for i in range(20)])
    frame["y"] = frame.x0 + np.sin(3 * frame.x1) + rng.normal(size=len(frame))
    study = Study(
        name="xgb_timeout",
        datasets=[DatasetSpec(name="big", frame=frame, target="y")],
        engines=["xgboost"],
        grid={"reg_alpha": [0], "reg_lambda": [0]},
        params={"n_estimators": 5000, "max_depth": 8},
        folds=2,
        fit_timeout=0.5,
    )
    fits = run_study(study, tmp_path / "out", jobs=1, progress=False).fits
    assert len(fits) and (fits.status == "failed").all()
    assert fits.error.str.startswith("timed out after 0.5 s (fit_timeout)").all(), fits.error.tolist()


@pytest.mark.slow
def test_run_fit_timeout_overrides_the_study_file_and_exits_with_the_failed_fits_code(tmp_path):
    (tmp_path / "s.toml").write_text(
        '[study]\nname = "t"\nengines = ["xgboost"]\nfolds = 2\nfit_timeout = 600\n'
        '[[datasets]]\nname = "friedman1_noise"\nparams = { n_samples = 4000 }\n'
        "[grid]\nreg_alpha = [0]\nreg_lambda = [0]\n[params]\nn_estimators = 5000\nmax_depth = 8\n",
        encoding="utf-8",
    )
    proc = subprocess.run(
        [sys.executable, "-m", "boostreg.cli", "run", "s.toml", "--out", "out", "-q", "--no-report", "-j", "1"]
        + ["--fit-timeout", "0.5"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 3, proc.stderr
    assert "fits failed" in proc.stderr and "timed out after 0.5 s (fit_timeout)" in proc.stderr, proc.stderr
    fits = pd.read_parquet(tmp_path / "out" / "fits")
    assert (fits.status == "failed").all() and fits.error.str.startswith("timed out after 0.5 s").all()


@pytest.mark.slow
def test_on_dask_a_fit_timeout_is_one_warning_and_the_fits_run(tmp_path):
    pytest.importorskip("distributed")
    from boostreg.executors.dask import local_cluster

    study = _study("xgboost", fit_timeout=30)
    with local_cluster(1) as address:
        with pytest.warns(UserWarning, match=r"^fit_timeout = 30 s is not enforced on Dask") as caught:
            fits = run_study(study, tmp_path / "out", progress=False, scheduler=address).fits
    assert sum("fit_timeout" in str(w.message) for w in caught) == 1
    assert len(fits) and (fits.status == "ok").all()
