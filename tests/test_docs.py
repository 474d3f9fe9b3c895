"""The documentation stays true: the site builds in strict mode, every relative link in README.md and docs/*.md
resolves, and the docs pages' Python snippets run as written (docs/developing.md, "Which docs snippets run")."""

import os
import re
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.glob("*.md"))
NOT_RUN = "<!-- not run -->"


def _python_blocks(page: Path) -> list[tuple[int, str, bool]]:
    """(line number, code, runnable) of every ```python block; a block is not run when the line just before its
    opening fence is ``<!-- not run -->``."""
    lines = page.read_text(encoding="utf-8").split("\n")
    blocks, i = [], 0
    while i < len(lines):
        if re.match(r"```python\b", lines[i]):
            start = i
            i += 1
            body = []
            while i < len(lines) and lines[i].rstrip() != "```":
                body.append(lines[i])
                i += 1
            assert i < len(lines), f"{page.name}:{start + 1}: a ```python block is never closed"
            runnable = not (start > 0 and lines[start - 1].strip() == NOT_RUN)
            blocks.append((start + 1, "\n".join(body) + "\n", runnable))
        i += 1
    return blocks


def _without_code(text: str) -> str:
    """The text with fenced blocks, indented code blocks and inline code removed (links there are not links)."""
    text = re.sub(r"^(```|~~~).*?^\1\s*$", "", text, flags=re.S | re.M)
    text = re.sub(r"^(?: {4}|\t).*$", "", text, flags=re.M)
    return re.sub(r"(`+).*?\1", "", text, flags=re.S)


def _slug(heading: str) -> str:
    """Python-Markdown's toc slug of a heading (the anchor MkDocs gives it)."""
    heading = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link's text
    heading = re.sub(r"[`*_]", "", heading)
    value = unicodedata.normalize("NFKD", heading).encode("ascii", "ignore").decode("ascii")
    value = re.sub(r"[^\w\s-]", "", value).strip().lower()
    return re.sub(r"[-\s]+", "-", value)


def _anchors(page: Path) -> set[str]:
    text = re.sub(r"^```.*?^```\s*$", "", page.read_text(encoding="utf-8"), flags=re.S | re.M)
    return {_slug(m) for m in re.findall(r"^#{1,6} +(.+?)\s*$", text, flags=re.M)}


def _links(page: Path) -> list[str]:
    text = _without_code(page.read_text(encoding="utf-8"))
    return re.findall(r"\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)", text) + re.findall(r"href=\"([^\"]+)\"", text)


LINKED = [ROOT / "README.md", *PAGES]


@pytest.mark.parametrize("page", LINKED, ids=[str(p.relative_to(ROOT)) for p in LINKED])
def test_every_relative_link_resolves(page):
    links = _links(page)
    bad = []
    for link in links:
        if re.match(r"[a-z][a-z0-9+.-]*:", link):  # http:, https:, mailto:
            continue
        path, _, anchor = link.partition("#")
        target = (page.parent / path).resolve() if path else page
        if not target.exists():
            bad.append(f"{link}: no such file {target}")
        elif anchor and target.suffix == ".md" and anchor not in _anchors(target):
            bad.append(f"{link}: no heading with the anchor #{anchor} in {target.name}")
        elif page.parent == DOCS and path and DOCS not in target.parents and target != DOCS:
            bad.append(f"{link}: leaves docs/ (the site cannot serve it; write the path as code)")
    assert not bad, f"{page.name}:\n" + "\n".join(bad)


def test_readme_links_every_docs_page():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    pages = [p.name for p in PAGES if p.name != "index.md"]  # the site's home page says what README says
    missing = [p for p in pages if f"(docs/{p})" not in readme and f"(docs/{p}#" not in readme]
    assert not missing, f"README.md does not link these docs pages: {missing}"


def test_every_docs_page_is_in_the_site_nav():
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    missing = [p.name for p in PAGES if f": {p.name}\n" not in nav]
    assert not missing, f"mkdocs.yml's nav lacks: {missing}"


def test_site_builds_in_strict_mode(tmp_path):
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "--strict",
            "-f",
            str(ROOT / "mkdocs.yml"),
            "-d",
            str(tmp_path / "site"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    assert proc.returncode == 0, f"mkdocs build --strict failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}"
    api = (tmp_path / "site" / "api" / "index.html").read_text(encoding="utf-8")
    for name in (
        "boostreg.study.Study",
        "boostreg.run.run_study",
        "boostreg.results.open_run",
        "boostreg.engines.register_engine",
        "boostreg.errors.BoostregError",
    ):
        assert f'id="{name}"' in api, f"the API reference does not render {name}"


RUNNABLE = [p for p in PAGES if any(runnable for _, _, runnable in _python_blocks(p))]


def test_the_snippet_convention_is_in_use():
    names = {p.name for p in RUNNABLE}
    assert {"usage.md", "engines.md"} <= names
    assert any(not runnable for p in PAGES for _, _, runnable in _python_blocks(p))


@pytest.mark.slow
@pytest.mark.parametrize("page", RUNNABLE, ids=[p.name for p in RUNNABLE])
def test_docs_snippets_run_as_written_in_order(page, tmp_path):
    for line, code, runnable in _python_blocks(page):
        if not runnable:
            continue
        script = tmp_path / f"{page.stem}_line{line}.py"
        script.write_text(code, encoding="utf-8")
        proc = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, f"{page.name}:{line} failed:\n{code}\n{proc.stderr[-3000:]}"
        assert "Traceback" not in proc.stderr, f"{page.name}:{line}:\n{proc.stderr[-3000:]}"
