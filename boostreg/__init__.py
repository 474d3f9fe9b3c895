"""boostreg: measure what reg_alpha (L1) and reg_lambda (L2) do to gradient-boosted trees.

The Python API mirrors the CLI::

    from boostreg import Study, DatasetSpec, log_grid, run_study
    study = Study(name="mine", datasets=[DatasetSpec(name="diabetes")],
                  grid={"reg_alpha": log_grid(0.01, 10, 4), "reg_lambda": [0, 1, 10]})
    result = run_study(study, "runs/mine")
    result.fits       # one row per fit
    summarize(result.fits)  # validation-selected setting and its gain over the library default, per dataset x engine
"""

from .engines import register_engine
from .errors import BoostregError
from .inference import summary_table as summarize
from .results import Run, open_run
from .run import StudyResult, run_study
from .study import DatasetSpec, Study, load_study, log_grid, relative

__all__ = ["BoostregError", "DatasetSpec", "Run", "Study", "StudyResult", "load_study", "log_grid", "open_run", "relative",
           "register_engine", "run_study", "summarize"]
__version__ = "0.1.0"
