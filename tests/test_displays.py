"""Display objects draw what the analysis computed, on any axes, and never touch global matplotlib state."""

import pytest


def test_importing_and_drawing_leaves_the_users_matplotlib_alone(tmp_path):
    import subprocess
    import sys

    code = (
        "import matplotlib; b = matplotlib.get_backend(); r = dict(matplotlib.rcParams)\n"
        "import boostreg.plots, boostreg.report, boostreg.displays\n"
        "import pandas as pd\n"
        "fig = boostreg.plots.update_dynamics(__import__('boostreg.dynamics').dynamics.update_dynamics())\n"
        "assert matplotlib.get_backend() == b, (b, matplotlib.get_backend())\n"
        "changed = [k for k in r if str(r[k]) != str(matplotlib.rcParams[k])]\n"
        "assert not changed, changed\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr


def test_gain_display_holds_the_summary_and_draws_on_given_axes(tmp_path):
    from matplotlib.figure import Figure

    from boostreg import DatasetSpec, Study, relative, run_study
    from boostreg.displays import GainDisplay, ValidationCurveDisplay

    study = Study(
        name="disp",
        datasets=[DatasetSpec(name="diabetes")],
        engines=["lightgbm", "xgboost"],
        grid={"reg_alpha": relative([0, 0.1]), "reg_lambda": relative([0, 1])},
        params={"n_estimators": 10, "validation_fraction": 0.2},
        folds=2,
    )
    result = run_study(study, tmp_path / "out", jobs=1, progress=False)
    ax = Figure().subplots()
    disp = GainDisplay.from_run(result, ax=ax)
    assert disp.ax_ is ax and disp.figure_ is ax.figure
    assert disp.summary_.equals(result.summary())
    assert sorted(t.get_text() for t in ax.get_yticklabels()) == ["diabetes · lightgbm", "diabetes · xgboost"]
    curve = ValidationCurveDisplay.from_run(str(tmp_path / "out"), "diabetes", "reg_lambda", ax=Figure().subplots())
    assert set(curve.path_.split) == {"train", "test"} and len(curve.ax_.lines) >= 4
    colors = {line.get_color() for line in curve.ax_.lines}
    assert len(colors) == 2  # one colour per engine, from the registry: train and test lines share it
    from boostreg.errors import BoostregError

    ax = Figure().subplots()
    with pytest.raises(BoostregError, match="'breast_cancer'.*diabetes"):  # not drawn empty: said what there is
        ValidationCurveDisplay.from_run(result, "breast_cancer", ax=ax)
    assert not ax.lines
    with pytest.raises(BoostregError, match="holds no fit records"):
        GainDisplay.from_run(tmp_path / "nothing")
