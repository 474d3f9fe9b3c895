"""How the report and its figures name metrics and tell tasks apart, multiclass included."""

import numpy as np
import pandas as pd
from matplotlib.colors import to_rgba

from boostreg import plots
from boostreg.metrics import CURVE_METRICS, PRIMARY_METRIC, SELECTABLE
from boostreg.report.common import METRIC_NAMES, metric_name


def test_every_built_in_metric_has_a_report_name():
    built_in = {m for ms in SELECTABLE.values() for m in ms} | set(PRIMARY_METRIC.values())
    built_in |= {m for ms in CURVE_METRICS.values() for m in ms}
    assert sorted(built_in - set(METRIC_NAMES)) == []
    assert metric_name("mlogloss") == "multiclass log loss" and metric_name("logloss") == "log loss"
    assert metric_name("auc") == "AUC" and metric_name("r2") == "R²" and metric_name("accuracy") == "accuracy"
    assert metric_name("my_cost") == "my_cost"  # a study's own metric keeps its name


def test_optima_figure_colours_each_task_and_names_it():
    rows = []
    for task, n in (("binary", 3), ("regression", 2), ("multiclass", 4)):
        for k in range(n):
            rows.append(
                {
                    "engine": "xgboost",
                    "task": task,
                    "selected_in_grid": True,
                    "selected_alpha_grid": 0.01 * (k + 1),
                    "selected_lambda_grid": 0.1 * (k + 1),
                }
            )
    fig = plots.guide_optima(pd.DataFrame(rows))
    ax = fig.axes[0]
    colours = ax.collections[0].get_facecolors()[:, :3]
    want = [to_rgba(plots.TASK_COLORS[r["task"]])[:3] for r in rows]
    np.testing.assert_allclose(colours, want)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["binary", "regression", "multiclass"]
    assert len(set(plots.TASK_COLORS.values())) == len(plots.TASK_COLORS)
