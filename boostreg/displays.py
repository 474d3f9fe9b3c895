"""Figures as scikit-learn-style Display objects: compute once (``from_run``), draw on any axes (``plot(ax=None)``).

A Display keeps the tidy frame it draws (``summary_`` / ``path_``), so what a figure shows can be checked
against the records; ``plot`` draws inside boostreg's style context and changes no global matplotlib state.
With ``ax=None`` it makes a new pyplot figure (shown inline in a notebook). Every Display shares
:class:`_BaseDisplay` (as scikit-learn's curve displays share ``_BaseCurveDisplay``): how a run is opened, how
the axes are made, and the attributes ``ax_`` and ``figure_`` that ``plot`` sets.
"""

from __future__ import annotations

import matplotlib
import pandas as pd

from . import analysis, plots
from .errors import BoostregError
from .results import Run, open_run


class _BaseDisplay:
    """What every Display shares: ``from_run`` accepts an output folder or a :class:`~boostreg.results.Run`, and
    ``plot`` makes or takes the axes, draws inside boostreg's style (subclasses implement ``_draw(ax)``) and keeps
    ``ax_`` and ``figure_``."""

    @staticmethod
    def _run(run) -> Run:
        """``run`` as a Run: itself, or the output folder it names opened (one-line error without records)."""
        return run if isinstance(run, Run) else open_run(run)

    @staticmethod
    def _axes(ax):
        if ax is not None:
            return ax
        import matplotlib.pyplot as plt  # only where the user asked for a new figure: pyplot picks a backend

        with matplotlib.rc_context(plots.STYLE):
            return plt.subplots(figsize=(7, 4))[1]

    def _draw(self, ax) -> None:
        raise NotImplementedError

    def plot(self, ax=None):
        """Draw on ``ax`` (a new figure when None); returns the Display with ``ax_`` and ``figure_`` set."""
        self.ax_ = self._axes(ax)
        with matplotlib.rc_context(plots.STYLE):
            self._draw(self.ax_)
        self.figure_ = self.ax_.figure
        return self


class GainDisplay(_BaseDisplay):
    """Gain of the validation-selected setting over the library default, per dataset x engine, with intervals."""

    def __init__(self, summary: pd.DataFrame):
        if summary is None or summary.empty:
            raise BoostregError(
                "no gain to draw: the run has no dataset × engine with a validation-selected setting "
                "(add validation_fraction = 0.2 under [params] and run it again)."
            )
        self.summary_ = summary

    @classmethod
    def from_run(cls, run, *, ax=None) -> GainDisplay:
        """``run``: an output folder or a :class:`boostreg.Run`; computes ``Run.summary()`` and plots it."""
        return cls(cls._run(run).summary()).plot(ax=ax)

    def _draw(self, ax) -> None:
        plots.draw_gains(ax, self.summary_)


class ValidationCurveDisplay(_BaseDisplay):
    """Train and test error along one penalty (the other at 0) for one dataset, a line per engine, with bands."""

    def __init__(self, path: pd.DataFrame, dataset: str, axis: str = "reg_lambda"):
        known = sorted(path.dataset.unique()) if len(path) else []
        if dataset not in known:
            raise BoostregError(
                f"no validation curve for dataset '{dataset}': "
                + (f"the run has {', '.join(known)}." if known else "the run has no booster fits.")
            )
        axes = sorted(path[path.dataset == dataset].axis.unique())
        if axis not in axes:
            raise BoostregError(
                f"no validation curve along '{axis}' for dataset '{dataset}' (no booster's grid "
                f"moves it with the other penalty at 0); it has {', '.join(axes)}."
            )
        self.path_ = path[(path.dataset == dataset) & (path.axis == axis)]
        self.dataset, self.axis = dataset, axis

    @classmethod
    def from_run(cls, run, dataset: str, axis: str = "reg_lambda", *, ax=None) -> ValidationCurveDisplay:
        """``run``: an output folder or a :class:`boostreg.Run`; the validation path of ``dataset`` along ``axis``."""
        return cls(analysis.validation_path(cls._run(run).fits), dataset, axis).plot(ax=ax)

    def _draw(self, ax) -> None:
        colors = plots.engine_colors(self.path_.engine.unique())
        for (engine, split), g in self.path_.groupby(["engine", "split"]):
            g = g.sort_values("penalty")
            ax.plot(
                g.penalty,
                g["mean"],
                "-" if split == "test" else "--",
                marker="o",
                ms=3,
                color=colors[engine],
                label=f"{engine} ({split})",
            )
            ax.fill_between(g.penalty, g.ci_low, g.ci_high, color=colors[engine], alpha=0.12)
        if len(self.path_):
            plots.symlog(ax, self.path_.penalty)
            units = "relative" if (self.path_.units == "relative").any() else "raw"
            ax.set_xlabel(plots.axis_label(units, self.axis))
            ax.set_ylabel(self.path_.metric.iloc[0])
        ax.set_title(f"{self.dataset}: {self.axis}")
        ax.legend(loc="best")
