"""The HTML report: sections and figures from a real small run, computed verdicts, and a real browser."""

import os
import shutil
from pathlib import Path

import pytest

from boostreg import DatasetSpec, Study, run_study
from boostreg.analysis import validation_path
from boostreg.report import SECTIONS, build_report
from boostreg.results import open_run

pytestmark = pytest.mark.slow  # builds reports from a real study and opens them in Chromium

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
        datasets=[
            DatasetSpec(name="sparse_linear", params={"n_samples": 300}),
            DatasetSpec(name="diabetes", alias=HOSTILE),
        ],
        engines=engines,
        grid={"reg_alpha": [0, 1, 30], "reg_lambda": [0, 30]},
        params={"n_estimators": 15, "learning_rate": 0.3, "validation_fraction": 0.25},
        engine_params={"xgboost": {"max_depth": 3}},
        folds=2,
        seeds=[0, 1],
    )
    run_study(study, out, jobs=1, progress=False)
    return out


@pytest.fixture(scope="module")
def report_path(run_dir):
    return build_report(open_run(run_dir))


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
        row = path[
            (path.dataset == "sparse_linear")
            & (path.engine == "lightgbm")
            & (path.axis == "reg_alpha")
            & (path.penalty == 30)
            & (path.split == split)
        ].iloc[0]
        direct = fits[
            (fits.dataset == "sparse_linear")
            & (fits.engine == "lightgbm")
            & (fits.reg_alpha == 30)
            & (fits.reg_lambda == 0)
        ]
        est = corrected_t(direct[f"{split}_error"], float((direct.n_test / direct.n_train).mean()))
        assert row["mean"] == pytest.approx(direct[f"{split}_error"].mean()) and row.n_fits == len(direct) == 4
        assert row.ci_low == pytest.approx(max(est.ci_low, 0.0)) and row.ci_high == pytest.approx(est.ci_high)


def test_report_opens_with_what_to_use_computed_from_the_summary(run_dir, report_path):
    from boostreg.store import ParquetStore
    from boostreg.tables import summary_table

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
        build_report(open_run(tmp_path))


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
        browser = p.chromium.launch(
            executable_path=_chromium(),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
                "--disable-sync",
            ],
        )
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: console_errors.append(str(e)))
        page.on("request", lambda r: requests.append(r.url))
        page.goto(path.as_uri())
        page.wait_for_load_state("load")
        seen = {
            "sections": page.eval_on_selector_all("section[data-section]", "els => els.map(e => e.dataset.section)"),
            "images": page.eval_on_selector_all(
                "img", "els => els.map(e => [e.complete, e.naturalWidth, e.naturalHeight])"
            ),
            "shown": page.eval_on_selector_all(
                "img", "els => els.map(e => [e.complete, e.naturalWidth, e.naturalHeight, e.width])"
            ),
            "pwned": page.evaluate("() => window.__pwned === undefined ? null : window.__pwned"),
            "text": page.inner_text("body"),
            "cards": page.eval_on_selector_all(
                ".card", "els => els.map(e => [e.dataset.card, e.getBoundingClientRect().top])"
            ),
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
    html, _ = write_guide(open_run(run_dir).fits, run_dir / "guide.html", source=str(run_dir))
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
    # the first screen answers: the first dataset's card starts within the first 900 pixels, with lines to paste
    assert seen["cards"] and seen["cards"][0][1] < 900
    assert "XGBRegressor(" in seen["text"] and "LGBMRegressor(" in seen["text"]
    assert len(seen["images"]) >= 8 and all(done and w > 0 and h > 0 for done, w, h in seen["images"])
    # figures carry twice the pixels they are shown with (sharp at 2x, text at its true size at 100% zoom)
    assert all(abs(w - 2 * shown) <= 2 for done, w, h, shown in seen["shown"])
    assert seen["pwned"] is None
    assert (OUTPUT_DIR / "report.png").stat().st_size > 10_000


def test_method_text_names_each_engines_own_library_defaults(run_dir):
    """The defaults the gains are measured against come from the engines (their ``library_defaults``), for the
    engines of the run only: no prose 'alpha or C = 1' (MLP's alpha is 1e-4, CatBoost's l2_leaf_reg 3)."""
    from boostreg.engines import ENGINES
    from boostreg.report import sections as S
    from boostreg.store import ParquetStore

    fits = ParquetStore(run_dir).fits()
    text = S.use_section(fits).paragraphs[0]
    assert "alpha or C" not in text
    for engine in fits.engine.unique():
        d = ENGINES[engine].library_defaults
        assert (
            f"{engine} reg_alpha {d['reg_alpha']:g}, reg_lambda {d['reg_lambda']:g}"
            if engine in ("xgboost", "lightgbm")
            else f"{engine} alpha {d['penalty']:g}"
        ) in text
    assert "mlp" not in text and "catboost" not in text  # not in this run
    everyone = S.library_defaults_text(
        ["xgboost", "lightgbm", "histgb", "mlp", "logistic_l2", "svc_rbf"]
        + (["catboost"] if "catboost" in ENGINES else [])
    )
    assert "xgboost reg_alpha 0, reg_lambda 1 (alpha, lambda)" in everyone
    parts = {p.split(" ")[0]: p for p in everyone.split("; ")}
    assert parts["histgb"] == "histgb reg_lambda 0 (l2_regularization)"  # an L2-only engine: no reg_alpha
    assert "mlp alpha 0.0001" in everyone and "logistic_l2 C 1" in everyone and "svc_rbf C 1" in everyone
    if "catboost" in ENGINES:
        assert "catboost reg_lambda 3 (l2_leaf_reg)" in everyone
    # a changed default shows: the text is read from the engine, not written
    mlp = ENGINES["mlp"]
    saved = mlp.library_defaults
    try:
        type(mlp).library_defaults = {"penalty": 0.5}
        assert "mlp alpha 0.5" in S.library_defaults_text(["mlp"])
    finally:
        type(mlp).library_defaults = saved


def test_mlp_fits_that_did_not_converge_are_counted_and_flagged(tmp_path):
    """MLP stopped after one lbfgs iteration (max_iter = 1): every fit reports converged = False; the summary counts
    them per dataset x engine, the report and `boostreg summary` name them where the gain and the models table are."""
    import json

    from click.testing import CliRunner

    from boostreg.cli import cli
    from boostreg.report import sections as S
    from boostreg.store import ParquetStore
    from boostreg.tables import summary_table

    study = Study(
        name="mlp-unfinished",
        datasets=[DatasetSpec(name="diabetes")],
        engines=["mlp", "ridge"],
        params={"validation_fraction": 0.25},
        engine_params={"mlp": {"max_iter": 1}},
        baseline_grid={"mlp": [1e-4, 1.0], "ridge": [1.0, 10.0]},
        folds=2,
    )
    out = tmp_path / "out"
    run_study(study, out, jobs=1, progress=False)
    fits = ParquetStore(out).fits()
    mlp = fits[fits.engine == "mlp"]
    assert (mlp.converged == False).all() and (mlp.n_iter == 1).all() and mlp.is_default.any()  # noqa: E712
    summary = summary_table(fits)
    r = summary[summary.engine == "mlp"].iloc[0]
    assert (r.n_not_converged_default, r.n_not_converged_selected, r.n_used) == (2, 2, 2)
    assert (
        summary.loc[summary.engine == "ridge", ["n_not_converged_default", "n_not_converged_selected"]]
        .isna()
        .all()
        .all()
    )
    sec = S.use_section(fits)
    note = next(c for c in sec.paragraphs if "did not converge" in c)
    assert "diabetes · mlp: default 2 of 2, selected 2 of 2" in note and "ridge" not in note and "[params.mlp]" in note
    cells = [c.text for t in sec.tables for row in t.rows for c in row]
    assert any(c.endswith("(not converged: default 2/2, selected 2/2)") for c in cells)  # the relative gain's cell
    assert any(c.startswith("alpha=") and c.endswith("(not converged: selected 2/2)") for c in cells)  # models table
    res = CliRunner().invoke(cli, ["summary", str(out)])
    assert "diabetes · mlp: default 2 of 2, selected 2 of 2" in res.output
    assert "Library defaults compared against: mlp alpha 0.0001; ridge alpha 1." in res.output
    res = CliRunner().invoke(cli, ["summary", str(out), "--format", "json"])
    rows = {row["engine"]: row for row in json.loads(res.output[res.output.index("[") :])}
    assert (rows["mlp"]["n_not_converged_default"], rows["mlp"]["n_not_converged_selected"]) == (2, 2)
    assert rows["ridge"]["n_not_converged_selected"] is None


@pytest.mark.parametrize(
    "engines",
    [["lightgbm"], ["xgboost", "lightgbm", "histgb", "catboost", "lasso", "ridge", "elasticnet", "svr_rbf", "mlp"]],
    ids=["1-engine", "9-engine"],
)
def test_reports_of_one_and_nine_engines_in_a_real_browser(tmp_path, engines):
    """The layouts the default report does not exercise: every figure loads and is drawn at its size, every engine's
    colour is its own, the first screen holds a card; screenshots in test-output/ for a person to look at."""
    from boostreg.engines import ENGINES, engine_colors

    _need_browser()
    OUTPUT_DIR.mkdir(exist_ok=True)
    study = Study(
        name=f"report-{len(engines)}",
        engines=engines,
        datasets=[DatasetSpec(name="diabetes")],
        grid={"reg_alpha": [0, 1], "reg_lambda": [0, 10]},
        params={"n_estimators": 10, "validation_fraction": 0.25},
        folds=2,
        seeds=[0],
    )
    run_study(study, tmp_path / "out", jobs=2, progress=False)
    seen = _open_in_browser(build_report(open_run(tmp_path / "out")), OUTPUT_DIR / f"report-{len(engines)}-engines.png")
    assert seen["console_errors"] == [] and seen["requests"] == []
    assert seen["images"] and all(done and w > 0 and h > 0 for done, w, h in seen["images"])
    assert all(abs(w - 2 * shown) <= 2 for done, w, h, shown in seen["shown"])
    assert seen["cards"] and seen["cards"][0][1] < 900
    colors = engine_colors([e for e in engines if e in ENGINES])
    assert len(set(colors.values())) == len(colors)
