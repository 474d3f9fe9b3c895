"""An engine registered from user code fits on Dask: each task carries the engine instance, not its name."""

import sys
import types

import pandas as pd
import pytest

from boostreg import DatasetSpec, Study, run_study

#: a plug-in as a user writes it in a notebook: LightGBM under a name of its own, with a record column of its own
PLUGIN_SOURCE = '''
from boostreg.engines.lightgbm import LightGBMEngine


class PluginBooster(LightGBMEngine):
    """LightGBM under another name; marks its records so that they show its own code ran."""

    name = "plugin_booster"
    library = "lightgbm"
    record_columns = {"plugin_marker": "float64"}

    def measure(self, model, prepared, params, fold):
        record, curves = super().measure(model, prepared, params, fold)
        return {**record, "plugin_marker": 1.0}, curves
'''


@pytest.fixture
def plugin_engine():
    """The plug-in, defined in a module that exists only in this process (no worker can import it by name) and
    registered in this process's registry only; serialized by value (cloudpickle), as a notebook's class is."""
    cloudpickle = pytest.importorskip("cloudpickle")
    from boostreg.engines import ENGINES, register_engine

    module = types.ModuleType("boostreg_user_plugin_only_here")
    exec(PLUGIN_SOURCE, module.__dict__)  # noqa: S102 - the test's own source: a user's module, made here
    sys.modules[module.__name__] = module
    cloudpickle.register_pickle_by_value(module)
    engine = register_engine(module.PluginBooster())
    try:
        yield engine
    finally:
        ENGINES.pop(engine.name, None)
        cloudpickle.unregister_pickle_by_value(module)
        sys.modules.pop(module.__name__, None)


@pytest.mark.slow
def test_an_engine_registered_in_user_code_fits_on_dask_as_it_does_locally(plugin_engine, tmp_path):
    pytest.importorskip("distributed")
    from boostreg.executors.dask import local_cluster

    study = Study(
        name="plugin_dask",
        datasets=[DatasetSpec(name="diabetes")],
        engines=["lightgbm", plugin_engine.name],
        grid={"reg_alpha": [0, 1], "reg_lambda": [0, 1]},
        params={"n_estimators": 5},
        folds=2,
    )
    local = run_study(study, tmp_path / "local", jobs=1, progress=False).fits
    with local_cluster(1) as address:
        dask = run_study(study, tmp_path / "dask", progress=False, scheduler=address).fits
    for fits in (local, dask):
        mine = fits[fits.engine == plugin_engine.name]
        # 2 folds x the 2 x 2 grid (the library default, 0 and 0, is one of its points)
        assert len(mine) == 2 * 4 and (mine.status == "ok").all(), mine.error.dropna().head(1).tolist()
        assert (mine.plugin_marker == 1.0).all() and (mine.kind == "booster").all()
    cols = [
        "fit_id",
        "engine",
        "train_error",
        "test_error",
        "leaf_abs_mean",
        "zero_leaf_frac",
        "theory_max_rel_err",
        "shrinkage_vs_unpenalized",
        "plugin_marker",
    ]
    a = local[cols].sort_values("fit_id").reset_index(drop=True)
    b = dask[cols].sort_values("fit_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-12)
