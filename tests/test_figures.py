"""Figures that read: engine colours from the registry, a gain plot one huge interval cannot flatten, heatmap
numbers that tell cells apart, labels inside the figure, no blank panels, Displays that refuse unknown data.

Everything here draws from small hand-made frames (no study is run): the figures are checked through their
matplotlib artists (axis limits, texts, images), never pixels.
"""

import itertools
import re
from pathlib import Path

import matplotlib.colors
import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

import boostreg.engines.registry as engines_module
from boostreg import plots
from boostreg.engines import ENGINES, color_distance, declared_color, engine_colors, register_engine
from boostreg.engines.xgboost import XGBoostEngine
from boostreg.errors import BoostregError
from boostreg.plots import surfaces


class PluginBooster(XGBoostEngine):
    """A user's engine: XGBoost under its own name, declaring no colour (XGBoost's must not be inherited)."""

    name = "figure_plugin"


@pytest.fixture
def registry(monkeypatch):
    """The engine registry, restored after the test."""
    monkeypatch.setattr(engines_module, "ENGINES", dict(ENGINES))
    return engines_module.ENGINES


def _panel_axes(fig):
    return [ax for ax in fig.axes if ax.get_visible() and ax.axison and ax.get_label() != "<colorbar>"]


def _drawn(fig):
    FigureCanvasAgg(fig).draw()
    return fig.canvas.get_renderer()


# ---------------------------------------------------------------------------------------------- colours


def test_every_built_in_engine_declares_its_own_colour():
    for name, engine in ENGINES.items():
        assert declared_color(engine) is not None, f"{name} declares no color"


def test_registered_engines_and_a_plugin_get_distinct_colours_that_never_change(registry):
    unregistered = engine_colors(["figure_plugin"])["figure_plugin"]  # a report built where the plug-in is not loaded
    register_engine(PluginBooster())
    names = list(registry)
    colors = engine_colors(names)
    assert set(colors) == set(names)
    for a, b in itertools.combinations(names, 2):
        assert color_distance(colors[a], colors[b]) >= engines_module.MIN_COLOR_DISTANCE, (a, b, colors[a], colors[b])
    assert declared_color(registry["figure_plugin"]) is None  # a subclass does not inherit XGBoost's colour
    assert colors["figure_plugin"] == unregistered == engine_colors(["figure_plugin"])["figure_plugin"]
    # the same colour for an engine whatever else the figure shows, and what plots uses
    assert all(engine_colors([n])[n] == colors[n] for n in names)
    assert plots.engine_colors(names) == {n: colors[n] for n in sorted(names)}
    # several plug-ins without colours are distinct from each other too
    many = engine_colors(["plugin_a", "plugin_b", "plugin_c", "plugin_d", *names])
    for a, b in itertools.combinations(many, 2):
        assert many[a] != many[b]


def test_an_engine_colour_must_be_hex(registry):
    class Badly(PluginBooster):
        name = "badly_coloured"
        color = "green"

    with pytest.raises(BoostregError, match="badly_coloured.*hex"):
        register_engine(Badly())


def test_no_engine_name_outside_the_engines_package():
    package = Path(plots.__file__).parent.parent
    names = [n for n in ENGINES if len(n) > 3]
    for path in (*sorted((package / "plots").glob("*.py")), package / "displays.py"):
        text = path.read_text(encoding="utf-8")
        found = [n for n in names if re.search(rf"\b{n}\b", text, flags=re.IGNORECASE)]
        assert not found, f"{path.name} names engines {found}: colours come from the registry"


# ---------------------------------------------------------------------------------------------- the gain plot


def _summary(huge: float = 6.0) -> pd.DataFrame:
    rows = []
    for k, (dataset, engine, kind) in enumerate(
        [
            ("diabetes", "xgboost", "booster"),
            ("diabetes", "lightgbm", "booster"),
            ("wage", "xgboost", "booster"),
            ("diabetes", "lasso", "baseline"),
            ("diabetes", "ridge", "baseline"),
            ("wage", "ridge", "baseline"),
            ("bc", "logistic_l1", "baseline"),
        ]
    ):
        gain, half = 0.02 * (k - 3), 0.04 + 0.01 * k
        if engine == "logistic_l1":
            gain, half = -0.5, huge
        rows.append(
            {
                "dataset": dataset,
                "engine": engine,
                "kind": kind,
                "setting": "",
                "test_error_default": 1.0,
                "gain_vs_default": gain,
                "gain_ci_low": gain - half,
                "gain_ci_high": gain + half,
                "at_grid_edge": k == 0,
            }
        )
    return pd.DataFrame(rows)


def test_one_huge_interval_does_not_blow_up_the_gain_axis():
    fig = plots.gains(_summary(huge=6.0))  # one baseline's interval spans -650% .. +550%
    boosters, baselines = _panel_axes(fig)
    assert boosters.get_title(loc="left").startswith("boosters")
    assert baselines.get_title(loc="left").startswith("baselines")
    lo, hi = boosters.get_xlim()
    assert -0.3 < lo < 0 < hi < 0.3  # the boosters' own range, not the baseline's ±600%
    lo, hi = baselines.get_xlim()
    assert -1.5 < lo < 0 < hi < 1.5
    # the clipped ends are said, with their true values, and the title says why
    notes = [t.get_text() for t in baselines.texts]
    assert "\N{MINUS SIGN}650%" in notes and "+550%" in notes
    assert "2 interval ends clipped" in baselines.get_title(loc="left")
    assert "clipped" not in boosters.get_title(loc="left")
    # every row still has its label, and nothing is clipped when no interval stands out
    labels = [t.get_text() for ax in (boosters, baselines) for t in ax.get_yticklabels()]
    assert len(labels) == 7 and "bc · logistic_l1" in labels
    calm = plots.gains(_summary(huge=0.1))
    assert not any("clipped" in ax.get_title(loc="left") for ax in _panel_axes(calm))


def test_gain_range_keeps_every_point_estimate():
    s = _summary(huge=6.0)
    s.loc[s.engine == "logistic_l1", "gain_vs_default"] = -2.0  # a point estimate is never clipped
    left, right = plots.gain_range(s[s.kind == "baseline"])
    assert left <= -2.0 and right > 0


# ---------------------------------------------------------------------------------------------- heatmaps


def _surface(values: dict, value: str = "test_error") -> pd.DataFrame:
    rows = []
    for (dataset, engine), grid in values.items():
        for (r, lam), (c, alpha) in itertools.product(enumerate([1.0, 0.0]), enumerate([0.0, 0.1, 1.0])):
            rows.append(
                {
                    "dataset": dataset,
                    "engine": engine,
                    "reg_alpha": alpha,
                    "reg_lambda": lam,
                    "alpha_units": "relative",
                    "lambda_units": "relative",
                    value: grid[r][c],
                    "n_fits": 2,
                }
            )
    return pd.DataFrame(rows)


def test_heatmap_numbers_tell_apart_cells_two_percent_apart():
    grid = [[11.0, 11.22, 11.44], [11.67, 11.9, 12.14]]  # each 2% above the one before
    fig = plots.heatmaps(_surface({("diabetes", "xgboost"): grid}), "test_error", rule="excess_over_best")
    (ax,) = _panel_axes(fig)
    numbers = [t.get_text() for t in ax.texts if t.get_text() not in ("D", "")]
    assert len(numbers) == 6 and len(set(numbers)) == 6, numbers
    small = plots.heatmaps(_surface({("d", "e"): [[0.101, 0.103, 0.105], [0.107, 0.109, 0.111]]}), "test_error")
    assert len({t.get_text() for t in _panel_axes(small)[0].texts}) == 6


@pytest.mark.parametrize("engines", [1, 2])
def test_heatmap_labels_lie_inside_the_figure(engines):
    values = {("diabetes", e): [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]] for e in ["xgboost", "lightgbm"][:engines]}
    fig = plots.heatmaps(
        _surface(values, "generalization_gap"),
        "generalization_gap",
        rule="gap_share",
        unpenalized_ref=pd.DataFrame([{"dataset": d, "engine": e, "ref": 10.0} for d, e in values]),
    )
    renderer = _drawn(fig)
    box = fig.bbox
    (bar,) = [ax for ax in fig.axes if ax.get_label() == "<colorbar>"]
    texts = [bar.xaxis.label, bar.yaxis.label] + [ax.title for ax in fig.axes]
    for text in texts:
        if text.get_text():
            ext = text.get_window_extent(renderer)
            assert ext.x0 >= box.x0 - 1 and ext.x1 <= box.x1 + 1 and ext.y0 >= box.y0 - 1, text.get_text()


def test_log_axes_label_powers_of_ten_in_plain_text():
    from boostreg.plots.layout import tick_labels
    from boostreg.plots.style import power_of_ten, symlog

    assert [power_of_ten(v) for v in (0.0, 0.01, 1.0, 1000.0, -0.01, 0.2)] == [
        "0",
        "10⁻²",
        "10⁰",
        "10³",
        "−10⁻²",
        "0.2",
    ]
    ax = Figure().subplots()
    ax.plot([0.0, 0.01, 0.1, 1.0], [1, 2, 3, 4])
    symlog(ax, [0.0, 0.01, 0.1, 1.0])
    assert tick_labels(ax.xaxis) == ["0", "10⁻²", "10⁻¹", "10⁰"]  # no "$" left for mathtext to parse


def test_heatmap_grid_is_pandas_pivot_table():
    rng = np.random.default_rng(3)
    sub = pd.DataFrame(
        {
            "reg_alpha": rng.choice([0.0, 0.01, 0.1, 1.0], 60),
            "reg_lambda": rng.choice([0.0, 0.5, 5.0], 60),
            "test_error": rng.normal(size=60),
        }
    )
    sub.loc[rng.choice(60, 25, replace=False), "test_error"] = np.nan  # a cell's mean skips its NaN
    sub.loc[(sub.reg_alpha == 0.01) & (sub.reg_lambda == 0.5), "test_error"] = np.nan  # a cell with none: NaN
    sub.loc[sub.reg_alpha == 1.0, "test_error"] = np.nan  # a column with no number is kept
    expected = sub.pivot_table(index="reg_lambda", columns="reg_alpha", values="test_error", dropna=False)
    expected = expected.sort_index(ascending=False)
    got = surfaces._grid(sub, "test_error")
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-12)
    assert list(got.columns) == [0.0, 0.01, 0.1, 1.0] and list(got.index) == [5.0, 0.5, 0.0]
    assert got[1.0].isna().all() and np.isnan(got.loc[0.5, 0.01]) and got.isna().to_numpy().sum() == 4


def _shown(ax) -> tuple[bool, bool, bool, bool]:
    """Whether the panel writes x tick labels, an x label, y tick labels, a y label."""
    x = [t.get_text() for t in ax.get_xticklabels() if t.get_visible() and t.get_text()]
    y = [t.get_text() for t in ax.get_yticklabels() if t.get_visible() and t.get_text()]
    return bool(x), bool(ax.get_xlabel()), bool(y), bool(ax.get_ylabel())


def test_heatmaps_on_one_grid_write_their_labels_once_per_row_and_column():
    values = {(d, e): [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]] for d in ["diabetes", "wage"] for e in ["lightgbm", "xgboost"]}
    fig = plots.heatmaps(_surface(values), "test_error")
    _drawn(fig)
    # 4 panels, 3 to a row: only the first has a panel below it
    assert [_shown(ax) for ax in _panel_axes(fig)] == [
        (False, False, True, True),
        (True, True, False, False),
        (True, True, False, False),
        (True, True, True, True),
    ]
    # the panel below on another reg_alpha grid: the first panel keeps its x tick labels (the label is the same)
    surf = _surface(values)
    surf.loc[(surf.dataset == "wage") & (surf.engine == "xgboost"), "reg_alpha"] *= 2
    fig = plots.heatmaps(surf, "test_error")
    _drawn(fig)
    assert [_shown(ax) for ax in _panel_axes(fig)] == [
        (True, False, True, True),
        (True, True, False, False),
        (True, True, False, False),
        (True, True, True, True),
    ]


def test_curves_share_labels_only_where_the_ranges_agree():
    rows = []
    for k, (d, e) in enumerate(itertools.product(["a", "b", "c"], ["lightgbm", "xgboost"])):
        for r in range(1, 21 if d != "c" or e != "xgboost" else 11):  # c · xgboost stopped at round 10
            rows.append(
                {"dataset": d, "engine": e, "label": "unpenalized", "round": r, "train_error": (k + 1) / r}
                | {"test_error": (k + 1) * 2 / r}
            )
    fig = plots.learning_curves(pd.DataFrame(rows))
    _drawn(fig)
    # 6 panels, 4 to a row: under a · lightgbm (rounds 1-20) lies c · lightgbm (1-20), under a · xgboost c · xgboost
    # (1-10); each panel's errors have their own range, so every panel keeps its y tick labels
    assert [_shown(ax) for ax in _panel_axes(fig)] == [
        (False, False, True, True),
        (True, False, True, False),
        (True, True, True, False),
        (True, True, True, False),
        (True, True, True, True),
        (True, True, True, False),
    ]


def test_a_panel_without_data_is_left_out_and_named():
    nan = [[np.nan] * 3, [np.nan] * 3]
    surf = _surface(
        {
            ("diabetes", "xgboost"): [[1.0, 1.1, 1.2], [1.3, 1.4, 1.5]],
            ("diabetes", "lightgbm"): nan,
            ("wage", "xgboost"): [[2.0, 2.1, 2.2], [2.3, 2.4, 2.5]],
        },
        "generalization_gap",
    )
    # wage · xgboost has no unpenalized reference: drawn in grey with its numbers, and says so
    ref = pd.DataFrame([{"dataset": "diabetes", "engine": "xgboost", "ref": 10.0}])
    fig = plots.heatmaps(surf, "generalization_gap", rule="gap_share", unpenalized_ref=ref)
    panels = _panel_axes(fig)
    assert [ax.get_title().split("\n")[0] for ax in panels] == ["diabetes · xgboost", "wage · xgboost"]
    _drawn(fig)
    for ax in panels:  # no blank axes: every panel shown has its cells and their numbers
        (mesh,) = ax.collections
        assert len(mesh.get_facecolor()) == 6 and len([t for t in ax.texts if t.get_text() != "–"]) == 6
    assert "grey" in panels[1].get_title()
    greys = {matplotlib.colors.to_hex(c) for c in panels[1].collections[0].get_facecolor()}
    assert greys == {"#e4e4e4"} and "#e4e4e4" not in {
        matplotlib.colors.to_hex(c) for c in panels[0].collections[0].get_facecolor()
    }
    assert "diabetes · lightgbm" in " ".join(t.get_text() for t in fig.texts)  # named under the panels
    nothing = plots.heatmaps(_surface({("diabetes", "lightgbm"): nan}, "generalization_gap"), "generalization_gap")
    assert not _panel_axes(nothing) and "diabetes · lightgbm" in " ".join(t.get_text() for t in nothing.texts)


# ---------------------------------------------------------------------------------------------- displays


def _path() -> pd.DataFrame:
    rows = []
    for dataset, axis, engine, split, penalty in itertools.product(
        ["diabetes", "wage"], ["reg_lambda"], ["xgboost"], ["train", "test"], [0.0, 0.1, 1.0]
    ):
        rows.append(
            {
                "dataset": dataset,
                "axis": axis,
                "engine": engine,
                "split": split,
                "penalty": penalty,
                "mean": 1.0 + penalty,
                "ci_low": 0.9,
                "ci_high": 1.1 + penalty,
                "units": "relative",
                "metric": "rmse",
                "n_fits": 2,
            }
        )
    return pd.DataFrame(rows)


def test_a_display_of_an_unknown_dataset_or_axis_raises_naming_what_there_is():
    from matplotlib.figure import Figure

    from boostreg.displays import GainDisplay, ValidationCurveDisplay

    with pytest.raises(BoostregError, match=r"'nope'.*diabetes, wage"):
        ValidationCurveDisplay(_path(), "nope")
    with pytest.raises(BoostregError, match=r"'reg_alpha'.*'wage'.*reg_lambda"):
        ValidationCurveDisplay(_path(), "wage", "reg_alpha")
    with pytest.raises(BoostregError, match="no booster fits"):
        ValidationCurveDisplay(_path().iloc[:0], "wage")
    with pytest.raises(BoostregError, match="no gain"):
        GainDisplay(pd.DataFrame())
    shown = ValidationCurveDisplay(_path(), "wage").plot(ax=Figure().subplots())
    assert len(shown.ax_.lines) == 2 and shown.ax_.get_title() == "wage: reg_lambda"


# ---------------------------------------------------------------------------------------------- measured layout


@pytest.mark.parametrize("scale", [1.0, 12345.678, 1e-4])
def test_a_measured_grid_layout_keeps_every_panels_texts_inside_the_figure_and_apart(scale):
    """grid_layout spaces a panel grid from its titles, axis labels and tick labels (no layout engine): after the
    draw, every panel's texts lie inside the figure, no two panels' texts or axes overlap, and the legend below
    overlaps no panel, with long tick labels, symlog and log axes, a two-line title and a hidden spare cell."""
    import matplotlib
    from matplotlib.lines import Line2D

    from boostreg.plots.style import STYLE, legend_below, panel_grid, symlog

    with matplotlib.rc_context(STYLE):
        fig, axes = panel_grid(7, 4, 2.7, 2.35)
        for k, ax in enumerate(axes):
            x = np.array([0.0, 0.001, 0.01, 0.1, 1.0, 10.0])
            ax.plot(x, scale * (1 + k + x), marker="o")
            if k % 3 == 0:
                symlog(ax, x)
            elif k % 3 == 1:
                ax.set_yscale("log")
            ax.set_title(f"dataset_{k}: reg_alpha" + ("\n(second line)" if k == 5 else ""))
            ax.set_xlabel("reg_alpha / α_max")
            ax.set_ylabel("rmse")
        legend_below(fig, [Line2D([], [])] * 3, ["a", "b", "c"], ncol=3)
        renderer = _drawn(fig)
    box = fig.bbox
    panels = [ax for ax in axes]
    boxes = [ax.get_tightbbox(renderer) for ax in panels]
    for b in boxes:
        assert b.x0 >= box.x0 - 1 and b.x1 <= box.x1 + 1 and b.y0 >= box.y0 - 1 and b.y1 <= box.y1 + 1
    for i, j in itertools.combinations(range(len(boxes)), 2):
        assert not boxes[i].overlaps(boxes[j]), (i, j)
    legend = fig.legends[0].get_window_extent(renderer)
    assert not any(legend.overlaps(b) for b in boxes)
