"""The HTML report: sections and figures from a real small run, computed verdicts, and a real browser."""

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from boostreg import DatasetSpec, Study, run_study
from boostreg.analysis import validation_path
from boostreg.report import SECTIONS, build_report

HOSTILE = '"><img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>\u202eevil'
OUTPUT_DIR = Path(__file__).resolve().parents[1] / "test-output"


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "out"
    engines = ["xgboost", "lightgbm"]
    from boostreg.engines import ENGINES

    engines += [e for e in ("lasso", "ridge") if e in ENGINES]
    study = Study(
        name="report-test",
        datasets=[DatasetSpec(name="sparse_linear", params={"n_samples": 300}),
                  DatasetSpec(name="diabetes", alias=HOSTILE)],
        engines=engines, grid={"reg_alpha": [0, 1, 30], "reg_lambda": [0, 30]},
        params={"n_estimators": 15, "learning_rate": 0.3, "validation_fraction": 0.25},
        engine_params={"xgboost": {"max_depth": 3}}, folds=2, seeds=[0, 1])
    run_study(study, out, jobs=1, progress=False)
    return out


@pytest.fixture(scope="module")
def report_path(run_dir):
    return build_report(run_dir)


def test_report_has_every_section_and_embedded_figures(report_path):
    html = report_path.read_text(encoding="utf-8")
    for sid in SECTIONS:
        assert f'data-section="{sid}"' in html
    assert html.count("data:image/png;base64,") >= 8
    assert "http://" not in html and "https://" not in html
    assert "<script" not in html.lower().replace("&lt;script", "")


def test_markup_in_names_is_escaped(report_path):
    html = report_path.read_text(encoding="utf-8")
    assert "<script>window.__pwned" not in html
    assert 'onerror="window.__pwned=1"' not in html
    assert "&lt;script&gt;window.__pwned=2&lt;/script&gt;" in html


def test_report_numbers_come_from_the_records(run_dir):
    from boostreg.inference import corrected_t
    from boostreg.store import ParquetStore

    fits = ParquetStore(run_dir).fits()
    path = validation_path(fits)
    for split in ("train", "test"):
        row = path[(path.dataset == "sparse_linear") & (path.engine == "lightgbm") & (path.axis == "reg_alpha")
                   & (path.penalty == 30) & (path.split == split)].iloc[0]
        direct = fits[(fits.dataset == "sparse_linear") & (fits.engine == "lightgbm") & (fits.reg_alpha == 30)
                      & (fits.reg_lambda == 0)]
        est = corrected_t(direct[f"{split}_error"], float((direct.n_test / direct.n_train).mean()))
        assert row["mean"] == pytest.approx(direct[f"{split}_error"].mean()) and row.n_fits == len(direct) == 4
        assert row.ci_low == pytest.approx(max(est.ci_low, 0.0)) and row.ci_high == pytest.approx(est.ci_high)


def test_report_opens_with_what_to_use_computed_from_the_summary(run_dir, report_path):
    from boostreg.inference import summary_table
    from boostreg.store import ParquetStore

    html = report_path.read_text(encoding="utf-8")
    assert html.index('data-section="use"') < html.index('data-section="study"')
    summary = summary_table(ParquetStore(run_dir).fits())
    assert set(summary.engine) == {"xgboost", "lightgbm", "lasso", "ridge"} - ({"lasso", "ridge"} - set(summary.engine))
    r = summary[(summary.dataset == "sparse_linear") & (summary.engine == "xgboost")].iloc[0]
    assert f"{r.gain_vs_default:.3g} [{r.gain_ci_low:.3g}, {r.gain_ci_high:.3g}]" in html
    assert "Models side by side" in html and "Nadeau" in html


def test_report_of_an_empty_folder_is_a_one_line_error(tmp_path):
    from boostreg.errors import BoostregError

    with pytest.raises(BoostregError, match="holds no fit records"):
        build_report(tmp_path)


def _chromium() -> str | None:
    for name in (os.environ.get("BOOSTREG_CHROMIUM"), "chromium", "chromium-browser", "google-chrome"):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


def _open_in_browser(path: Path, screenshot: Path) -> dict:
    """Load a file in headless Chromium; what a user's browser would see and do."""
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    console_errors, requests = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=_chromium(), args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--no-first-run", "--disable-sync"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: console_errors.append(str(e)))
        page.on("request", lambda r: requests.append(r.url))
        page.goto(path.as_uri())
        page.wait_for_load_state("load")
        seen = {
            "sections": page.eval_on_selector_all("section[data-section]", "els => els.map(e => e.dataset.section)"),
            "images": page.eval_on_selector_all("img", "els => els.map(e => [e.complete, e.naturalWidth, e.naturalHeight])"),
            "shown": page.eval_on_selector_all("img", "els => els.map(e => [e.complete, e.naturalWidth, e.naturalHeight, e.width])"),
            "pwned": page.evaluate("() => window.__pwned === undefined ? null : window.__pwned"),
            "text": page.inner_text("body"),
        }
        page.screenshot(path=str(screenshot), full_page=True)
        browser.close()
    seen.update(console_errors=console_errors, requests=[u for u in requests if not u.startswith(("file:", "data:"))])
    return seen


def _need_browser():
    if _chromium() is None:
        if os.environ.get("CI") == "true":
            pytest.fail("no Chromium found: CI must run the browser test (bash scripts/setup.sh --test installs it)")
        pytest.skip("no Chromium on this machine (Debian: apt-get install chromium)")


def test_guide_in_a_real_browser_runs_no_script(run_dir):
    from boostreg.guide import write_guide

    _need_browser()
    OUTPUT_DIR.mkdir(exist_ok=True)
    html, _ = write_guide(run_dir)
    seen = _open_in_browser(html, OUTPUT_DIR / "guide.png")
    assert seen["console_errors"] == [] and seen["requests"] == []
    assert seen["pwned"] is None
    assert "window.__pwned=2" in seen["text"]  # the hostile name is shown as text, not run


def test_report_in_a_real_browser(report_path):
    _need_browser()
    OUTPUT_DIR.mkdir(exist_ok=True)
    seen = _open_in_browser(report_path, OUTPUT_DIR / "report.png")
    assert seen["console_errors"] == []
    assert seen["requests"] == []
    assert seen["sections"] == list(SECTIONS)
    assert len(seen["images"]) >= 8 and all(done and w > 0 and h > 0 for done, w, h in seen["images"])
    # figures carry twice the pixels they are shown with (sharp at 2x, text at its true size at 100% zoom)
    assert all(abs(w - 2 * shown) <= 2 for done, w, h, shown in seen["shown"])
    assert seen["pwned"] is None
    assert (OUTPUT_DIR / "report.png").stat().st_size > 10_000
