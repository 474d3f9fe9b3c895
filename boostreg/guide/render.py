"""The tuning guide written out: HTML (autoescaped Jinja2, figures embedded), Markdown (figures in a ``NAME_files/``
folder beside it) and ``recommendation.json`` (what ``boostreg recommend`` applies). The same records give
byte-identical files. The guide is handed the fit records: it never opens a run folder (the CLI does).
"""

from __future__ import annotations

import base64
import json
import os
import re
from dataclasses import replace
from pathlib import Path

import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape

from .._version import __version__
from ..advice import json_default
from ..errors import BoostregError
from ..paths import check_target, write_atomic
from ..views import Cell, Table
from .build import Guide, build_guide


def render_html(guide: Guide, command: str = "") -> str:
    """The guide as one self-contained HTML page; ``command`` is the line that regenerates it."""
    env = Environment(
        loader=PackageLoader("boostreg.report", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        keep_trailing_newline=True,
    )
    return env.get_template("guide.html.j2").render(g=_html_sentences(guide), version=__version__, command=command)


def _html_inline(text: str):
    """A sentence written for Markdown as HTML: escaped, its inline code (`...`) as <code>...</code>, so the HTML
    shows no Markdown backticks (the Markdown keeps them)."""
    return Markup(re.sub(r"`([^`\n]+)`", r"<code>\1</code>", str(escape(text))))


def _html_sentences(guide: Guide) -> Guide:
    """The guide with every sentence, table cell and caption as :func:`_html_inline` HTML (the same words)."""
    return replace(
        guide,
        title=_html_inline(guide.title),
        provenance=_html_inline(guide.provenance),
        recipe={e: [replace(s, text=_html_inline(s.text)) for s in steps] for e, steps in guide.recipe.items()},
        sections=[
            replace(
                sec,
                title=_html_inline(sec.title),
                paragraphs=[_html_inline(p) for p in sec.paragraphs],
                tables=[
                    Table(
                        _html_inline(t.title),
                        [_html_inline(c) for c in t.columns],
                        [[Cell(_html_inline(c.text), c.cls) for c in row] for row in t.rows],
                    )
                    for t in sec.tables
                ],
                figures=[replace(f, title=_html_inline(f.title), caption=_html_inline(f.caption)) for f in sec.figures],
            )
            for sec in guide.sections
        ],
    )


def _md_text(text: str) -> str:
    """Text that may carry names from the data (datasets, studies), made inert in Markdown: HTML-significant
    characters become entities, so a dataset named '<script>' stays text in any Markdown renderer."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _md_cell(text: str) -> str:
    return _md_text(text).replace("|", "\\|").replace("\n", " ")


def render_markdown(guide: Guide, files_dir: str = "") -> str:
    """The guide as Markdown; its figures are linked as ``files_dir/NAME.png``."""
    lines = [f"# {_md_text(guide.title)}", "", f"Built from {_md_text(guide.provenance)}.", "", "## Recipe", ""]
    for engine, steps in guide.recipe.items():
        lines += [f"### {_md_text(engine)}", ""]
        lines += [f"{i}. {_md_text(s.text)} ([evidence](#{s.anchor}))" for i, s in enumerate(steps, 1)] + [""]
    for sec in guide.sections:
        lines += [f'<a id="{sec.id}"></a>', "", f"## {_md_text(sec.title)}", ""]
        for p in sec.paragraphs:
            lines += [_md_text(p), ""]
        for fig in sec.figures:
            lines += [f"![{_md_text(fig.title)}]({files_dir}/{fig.name}.png)", "", f"*{_md_text(fig.caption)}*", ""]
        for t in sec.tables:
            lines += [
                f"### {_md_text(t.title)}",
                "",
                "| " + " | ".join(_md_cell(c) for c in t.columns) + " |",
                "|" + "---|" * len(t.columns),
            ]
            lines += ["| " + " | ".join(_md_cell(c.text) for c in row) + " |" for row in t.rows] + [""]
    return "\n".join(lines)


def _write(path: Path, data: str | bytes) -> None:
    write_atomic(path, data, "the guide", "another -o")  # a temporary file renamed over it; a failed write is one line


def write_guide(
    fits: pd.DataFrame, html_path: str | Path, md_path: str | Path | None = None, *, source: str = ""
) -> tuple[Path, Path]:
    """Write the guide of these fit records: HTML, Markdown and ``recommendation.json`` beside the HTML.

    Parameters
    ----------
    fits : pandas.DataFrame
        The fit records (``Run.fits``, or an exported fits file read by ``store.read_fits_file``).
    html_path : str or Path
        Where the HTML goes.
    md_path : str or Path, optional
        Where the Markdown goes (default: the HTML's stem, ``.md``); its figures go in ``STEM_files/`` beside it.
    source : str
        The folder or file the records came from, as the user named it: the page's "regenerate with" line.

    Returns
    -------
    tuple of Path
        The HTML's and the Markdown's paths. The same records give byte-identical files.
    """
    if fits.empty:
        raise BoostregError(f"'{source}' holds no fit records; run a study first.")
    fits = fits.sort_values("fit_id", kind="stable").reset_index(drop=True)
    html_path = Path(html_path)
    md_path = Path(md_path) if md_path else html_path.with_suffix(".md")
    # never in a run's data, only over regular files or nothing, in folders that can be written (boostreg.paths)
    for p in (html_path, md_path, html_path.with_name("recommendation.json")):
        check_target(p, "the guide", "another -o")
    files = md_path.with_name(f"{md_path.stem}_files")
    if os.path.lexists(files) and not files.is_dir():
        raise BoostregError(f"'{files}' (the guide's figures) exists and is not a folder; choose another -o.")
    guide = build_guide(fits)
    for sec in guide.sections if files.is_dir() else ():
        for fig in sec.figures:
            check_target(files / f"{fig.name}.png", "the guide", "another -o")
    files.mkdir(exist_ok=True)
    for sec in guide.sections:
        for fig in sec.figures:
            _write(files / f"{fig.name}.png", base64.b64decode(fig.png_b64))
    _write(html_path, render_html(guide, f"boostreg guide {source}"))
    _write(md_path, render_markdown(guide, files.name))
    _write(
        html_path.with_name("recommendation.json"),
        json.dumps(guide.recommendation, indent=1, sort_keys=True, default=json_default) + "\n",
    )
    return html_path, md_path
