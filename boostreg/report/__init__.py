"""The HTML study report: a run's records -> sections of view models (:mod:`boostreg.views`) -> an autoescaped
Jinja2 template.

One self-contained file: figures are embedded PNG (base64), styles inline, no script and no network request
(a Content-Security-Policy forbids both). Every sentence of commentary is filled from computed numbers. The report
is handed a :class:`~boostreg.results.Run` (anything with its ``fits``, ``curves``, ``leaves``, ``identity``,
``study_toml()``, ``runs()``, ``dynamics()``, ``dynamics_problem()``, ``answers()`` and ``summary()``): it never
opens a folder itself.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from .._version import __version__
from ..paths import check_target, write_atomic
from ..tables import shared_tables
from ..views import Section, drawing_in_parallel
from . import sections as S

SECTIONS = (
    "answer",
    "use",
    "study",
    "surfaces",
    "validation",
    "learning",
    "leaves",
    "theory",
    "baselines",
    "dynamics",
    "claims",
)
#: the order the sections are computed in: the heatmaps, curves and leaf figures first (most of the drawing time)
COMPUTE_ORDER = (
    "surfaces",
    "validation",
    "learning",
    "leaves",
    "theory",
    "dynamics",
    "answer",
    "use",
    "study",
    "baselines",
    "claims",
)


@dataclass
class Report:
    """The whole report: its title, the sections in order, and how it was made."""

    title: str
    subtitle: str
    sections: list[Section]
    version: str
    generated: str
    command: str


def build_report_view(run, jobs: int | None = None) -> Report:
    """The report's view model of ``run`` (a :class:`~boostreg.results.Run`).

    Parameters
    ----------
    run : Run
        The run to report on.
    jobs : int, optional
        Processes that draw the figures while the sections are computed (:func:`boostreg.views.drawing_in_parallel`;
        default one per CPU, 1: all in this process). The figures are the same either way.

    Returns
    -------
    Report
        Every section, its figures drawn.
    """
    # the selection and summary tables, computed once for every section that reads them
    with shared_tables(), drawing_in_parallel(jobs):
        return _report_view(run)


def _report_view(run) -> Report:
    fits = run.fits
    leaves = S.leaves_frame(fits, run.leaves)  # every leaf with its fit's dataset, engine and penalties, joined once
    make = {
        "answer": lambda: S.answer_section(run),
        "use": lambda: S.use_section(fits, run.identity),
        "study": lambda: S.study_section(fits, run.study_toml(), run.runs()),
        "surfaces": lambda: S.surfaces_section(fits),
        "validation": lambda: S.validation_section(fits),
        "learning": lambda: S.learning_section(fits, run.curves),
        "leaves": lambda: S.leaves_section(fits, leaves),
        "theory": lambda: S.theory_section(fits, leaves),
        "baselines": lambda: S.baselines_section(fits),
        "dynamics": lambda: S.dynamics_section(run.dynamics(), run.dynamics_problem()),
        "claims": lambda: S.claims_section(fits, leaves),
    }
    # computed in COMPUTE_ORDER, shown in SECTIONS order: the sections whose figures take longest to draw hand
    # them to the drawing workers first, and the tables the answer cards compute run meanwhile
    made = {name: make[name]() for name in COMPUTE_ORDER}
    sections = [made[name] for name in SECTIONS]
    return Report(
        title=f"boostreg report: {fits.study.iloc[0]}",
        subtitle=f"What reg_alpha (L1) and reg_lambda (L2) did in this run — {len(fits)} fits, "
        f"{fits.dataset.nunique()} datasets, engines: {', '.join(sorted(fits.engine.unique()))}.",
        sections=sections,
        version=__version__,
        generated=time.strftime("%Y-%m-%d %H:%M"),
        command=f"boostreg report {run.out}",
    )


def render(view: Report) -> str:
    """The report's HTML (autoescaped: names from the data stay text)."""
    env = Environment(
        loader=PackageLoader("boostreg.report", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        keep_trailing_newline=True,
    )
    return env.get_template("report.html.j2").render(r=view)


def build_report(run, path: str | Path | None = None, jobs: int | None = None) -> Path:
    """Write the HTML report of a run atomically.

    Parameters
    ----------
    run : Run
        The run to report on (:func:`boostreg.open_run` or ``run_study``'s result).
    path : str or Path, optional
        Where to write it; default ``OUT/report.html``.
    jobs : int, optional
        Processes that draw the figures (default one per CPU; 1: all in this process).

    Returns
    -------
    Path
        The report's path.
    """
    target = Path(path) if path else Path(run.out) / "report.html"
    # not in a run's data, a regular file or nothing, in a folder that exists and can be written (boostreg.paths)
    check_target(target, "the report", "another -o")
    html = render(build_report_view(run, jobs))
    return write_atomic(target, html, "the report", "another -o")


__all__ = ["SECTIONS", "Report", "build_report", "build_report_view", "render"]
