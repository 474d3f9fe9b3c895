"""The HTML study report: analysis frames -> figures and view models -> an autoescaped Jinja2 template.

View models and rendering live here; each section's builder is in ``sections.py``.

One self-contained file: figures are embedded PNG (base64), styles inline, no script and no network request
(a Content-Security-Policy forbids both). Every sentence of commentary is filled from computed numbers.
"""

from __future__ import annotations

import base64
import io
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape

from ..errors import BoostregError
from ..paths import check_target, write_atomic
from ..store import ParquetStore

SECTIONS = ("answer", "use", "study", "surfaces", "validation", "learning", "leaves", "theory", "baselines", "dynamics", "claims")
#: figures are drawn at this many pixels per inch and shown at half that size (sharp on 2x screens, text at true size)
PNG_DPI = 192


@dataclass
class FigureVM:
    title: str
    png_b64: str
    alt: str
    caption: str = ""
    width: int = 0  # CSS pixels it is shown at (half its pixel width)


@dataclass
class Cell:
    text: str
    cls: str = ""


@dataclass
class TableVM:
    columns: list[str]
    rows: list[list[Cell]]
    title: str = ""


@dataclass
class AnswerVM:
    """One engine's answer on a card: verdict, the line to paste, and the smaller model within noise."""

    engine: str
    verdict: str
    verdict_cls: str
    paste: str
    smaller: str = ""


@dataclass
class CardVM:
    """The first screen's card of one dataset: every engine's answer and one figure."""

    title: str
    answers: list[AnswerVM]
    figure: FigureVM | None = None


@dataclass
class SectionVM:
    id: str
    title: str
    commentary: list[str] = field(default_factory=list)
    figures: list[FigureVM] = field(default_factory=list)
    tables: list[TableVM] = field(default_factory=list)
    cards: list[CardVM] = field(default_factory=list)


@dataclass
class ReportVM:
    title: str
    subtitle: str
    sections: list[SectionVM]
    version: str
    generated: str
    command: str


def figure(title: str, fig, alt: str, caption: str = "") -> FigureVM:
    """A Figure as an embedded PNG at twice the resolution it is shown at, in a 256-colour palette (a third of
    the bytes; these are line art and flat colour cells)."""
    from PIL import Image

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=PNG_DPI)
    image = Image.open(io.BytesIO(buf.getvalue())).convert("RGB").quantize(colors=256, method=Image.Quantize.FASTOCTREE)
    small = io.BytesIO()
    image.save(small, format="PNG")
    width = int(round(fig.get_figwidth() * PNG_DPI / 2))
    return FigureVM(title, base64.b64encode(small.getvalue()).decode("ascii"), alt, caption, width)


def num_cell(v, fmt="{:.4g}") -> Cell:
    if v is None or (isinstance(v, float) and not np.isfinite(v)):
        return Cell("–", "num")
    if isinstance(v, (int, np.integer)):
        return Cell(str(int(v)), "num")
    return Cell(fmt.format(v), "num")


def table_vm(frame: pd.DataFrame, title: str = "") -> TableVM:
    rows = []
    for _, r in frame.iterrows():
        rows.append([num_cell(v) if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
                     else Cell(str(v)) for v in r])
    return TableVM([str(c) for c in frame.columns], rows, title)


# ---------------------------------------------------------------------------------------------- entry point

def build_report_vm(out: str | Path) -> ReportVM:
    from . import sections as S

    out = Path(out)
    store = ParquetStore(out)
    store.require_records()
    fits = store.fits()
    curves = store.curves()
    leaves = S.leaves_frame(fits, store.leaves())  # every leaf with its fit's dataset, engine and penalties, joined once
    study = fits.study.iloc[0]
    from ..results import Run

    sections = [
        S.answer_section(Run(out)), S.use_section(fits, store.identity()), S.study_section(out, fits), S.surfaces_section(fits), S.validation_section(fits),
        S.learning_section(fits, curves), S.leaves_section(fits, leaves), S.theory_section(fits, leaves),
        S.baselines_section(fits), S.dynamics_section(out), S.claims_section(fits, leaves),
    ]
    from .. import __version__

    return ReportVM(
        title=f"boostreg report: {study}",
        subtitle=f"What reg_alpha (L1) and reg_lambda (L2) did in this run — {len(fits)} fits, "
                 f"{fits.dataset.nunique()} datasets, engines: {', '.join(sorted(fits.engine.unique()))}.",
        sections=sections, version=__version__, generated=time.strftime("%Y-%m-%d %H:%M"),
        command=f"boostreg report {out}")


def render(vm: ReportVM) -> str:
    env = Environment(loader=PackageLoader("boostreg.report", "templates"),
                      autoescape=select_autoescape(["html", "j2"]), keep_trailing_newline=True)
    return env.get_template("report.html.j2").render(r=vm)


def build_report(out: str | Path, output: str | Path | None = None) -> Path:
    """Write the HTML report of the run in ``out`` (default ``out/report.html``) atomically; return its path."""
    out = Path(out)
    target = Path(output) if output else out / "report.html"
    # not in a run's data, a regular file or nothing, in a folder that exists and can be written (boostreg.paths)
    check_target(target, "the report", "another -o")
    html = render(build_report_vm(out))
    return write_atomic(target, html, "the report", "another -o")
