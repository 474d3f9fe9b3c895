"""Tests of the real command line, run as a subprocess: help, datasets, one full run and its rerun, user errors.

Each call starts a fresh interpreter (about 2.5 s of imports), so the quick calls run concurrently in one
module fixture and the tests below only look at their results.
"""

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest
from conftest import run_cli as _cli

pytestmark = pytest.mark.slow  # every command run as a new process on real runs

TINY = """\
[study]
name = "tiny"
engines = ["xgboost"]
folds = 2

[[datasets]]
name = "{dataset}"

[grid]
reg_alpha = [{alpha}]
reg_lambda = [0]

[params]
n_estimators = 5
"""


def _last_line(stdout):
    """The last line printed, not counting a trailing 'report: PATH' line (when the run also writes its report)."""
    lines = [line for line in stdout.strip().splitlines() if line.strip()]
    if lines and lines[-1].startswith("report: "):
        lines.pop()
    return lines[-1]


def _prices(n=300, seed=0):
    """A small regression table with two numeric columns and a text column of 4 colours."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "carat": rng.uniform(0.2, 2.5, n).round(3),
            "depth": rng.normal(61, 1.5, n).round(2),
            "colour": rng.choice(["D", "E", "F", "G"], n),
        }
    )
    frame["price"] = (
        4000 * frame.carat + 300 * frame.colour.map({"D": 3, "E": 2, "F": 1, "G": 0}) + rng.normal(0, 200, n)
    ).round(2)
    return frame


# name -> (arguments, words the error line must contain); every one uses its own output folder "out_<name>"
ERRORS = {
    "unknown_dataset": (["run", "unknown.toml"], ["unknown dataset 'no_such_data'", "boostreg datasets"]),
    "missing_data_file": (["run", "--data", "nope.csv", "--target", "price"], ["nope.csv", "not found"]),
    "no_target_column": (
        ["run", "--data", "features.csv", "--target", "price"],
        ["'price' not found", "Available columns", "'carat'", "'depth'", "'colour'"],
    ),
    "empty_csv": (["run", "--data", "empty.csv", "--target", "price"], ["empty.csv", "empty"]),
    "malformed_toml": (["run", "malformed.toml"], ["malformed TOML", "line 3"]),
    "negative_alpha": (["run", "negative.toml"], ["reg_alpha", "-1", ">= 0"]),
    "data_without_target": (["run", "--data", "prices.csv"], ["--target"]),
    "study_and_data": (["run", "tiny.toml", "--data", "prices.csv", "--target", "price"], ["not both"]),
    "other_study": (["run", "tiny.toml"], ["out_other_study", "study.toml", "new or empty --out"]),
    "jobs_zero": (["run", "tiny.toml", "--jobs", "0"], ["--jobs 0", ">= 1"]),
    "groups_missing": (
        ["run", "--data", "prices.csv", "--target", "price", "--groups", "shop"],
        ["groups column 'shop' not found", "'colour'"],
    ),
    "groups_without_data": (
        ["run", "tiny.toml", "--groups", "shop"],
        ["--groups, --weight and --features go with --data FILE"],
    ),
}
HELP = {"group": ["--help"], "run": ["run", "--help"], "datasets": ["datasets", "--help"], "list": ["datasets"]}


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    """Run every help call and every bad input concurrently; name -> (completed process, output folder)."""
    work = tmp_path_factory.mktemp("quick")
    _prices().to_csv(work / "prices.csv", index=False)
    _prices().drop(columns="price").to_csv(work / "features.csv", index=False)
    (work / "empty.csv").write_text("")
    (work / "tiny.toml").write_text(TINY.format(dataset="diabetes", alpha="0, 1"))
    (work / "unknown.toml").write_text(TINY.format(dataset="no_such_data", alpha="0, 1"))
    (work / "negative.toml").write_text(TINY.format(dataset="diabetes", alpha="0, -1"))
    (work / "malformed.toml").write_text('[study]\nname = "tiny"\nfolds = \n\n[[datasets]]\nname = "diabetes"\n')
    (work / "out_other_study").mkdir()
    (work / "out_other_study" / "study.toml").write_text('[study]\nname = "other"\n')
    calls = {name: [*args, "--out", f"out_{name}", "-q"] for name, (args, _) in ERRORS.items()}
    calls.update(HELP)
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {name: pool.submit(_cli, args, work) for name, args in calls.items()}
        return {name: (f.result(), work / f"out_{name}") for name, f in futures.items()}, work


# ---------------------------------------------------------------------------------------------- help, datasets


def test_group_help(quick):
    proc = quick[0]["group"][0]
    assert proc.returncode == 0, proc.stderr
    for word in ("reg_alpha", "run", "datasets", "--help", "--version"):
        assert word in proc.stdout


def test_a_command_leaves_its_objects_to_the_exit_without_a_last_full_collection():
    # the console script freezes the collector as its command returns (SystemExit included): the interpreter's last
    # full pass over a report's objects took 0.5-0.7 s; atexit handlers still run
    code = (
        "import atexit, gc, sys; from boostreg.cli import main; "
        "atexit.register(lambda: print('frozen', gc.get_freeze_count() > 0)); sys.argv = ['boostreg', '--help']; main()"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.rstrip().endswith("frozen True")


def test_run_help(quick):
    proc = quick[0]["run"][0]
    assert proc.returncode == 0, proc.stderr
    for option in (
        "--out",
        "--data",
        "--target",
        "--task",
        "--groups",
        "--jobs",
        "--force",
        "--scheduler",
        "--dask-local",
        "--quiet",
        "STUDY_FILE",
        "regression",
        "binary",
    ):
        assert option in proc.stdout, option


def test_datasets_help(quick):
    proc = quick[0]["datasets"][0]
    assert proc.returncode == 0, proc.stderr
    assert "built-in datasets" in proc.stdout and "--help" in proc.stdout


def test_datasets_lists_the_builtins(quick):
    proc = quick[0]["list"][0]
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    for name, rows in (("diabetes", "442"), ("diamonds", "53940"), ("breast_cancer", "569"), ("sparse_linear", "1000")):
        line = next((l for l in lines if f" {name} " in l), None)
        assert line is not None, f"{name} missing from:\n{proc.stdout}"
        assert rows in line
    assert "Traceback" not in proc.stderr


# ---------------------------------------------------------------------------------------------- user errors


@pytest.mark.parametrize("name", ERRORS)
def test_bad_input_is_one_line_and_exit_2(quick, name):
    proc, _ = quick[0][name]
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("boostreg: error: ")
    for word in ERRORS[name][1]:
        assert word in lines[0], f"{word!r} not in {lines[0]!r}"


@pytest.mark.parametrize("name", [n for n in ERRORS if n not in ("other_study", "jobs_zero")])
def test_bad_input_creates_nothing(quick, name):
    _, out = quick[0][name]
    assert not out.exists(), sorted(p.name for p in out.rglob("*"))


def test_other_study_folder_is_left_untouched(quick):
    _, out = quick[0]["other_study"]
    assert sorted(p.name for p in out.rglob("*")) == ["study.toml"]
    assert (out / "study.toml").read_text() == '[study]\nname = "other"\n'


def test_jobs_zero_creates_nothing(quick):
    _, out = quick[0]["jobs_zero"]
    assert not out.exists(), sorted(str(p.relative_to(out)) for p in out.rglob("*"))


# ---------------------------------------------------------------------------------------------- a full run


def test_run_data_with_groups_keeps_each_group_whole_in_the_outer_folds(tmp_path):
    frame = _prices(120).assign(store=np.repeat(np.arange(12), 10))
    frame.to_csv(tmp_path / "stores.csv", index=False)
    proc = _cli(["run", "--data", "stores.csv", "--target", "price", "--groups", "store", "--dry-run"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "outer folds: GroupKFold(3) over 12 groups, each group whole on one side" in proc.stdout
    assert not (tmp_path / "runs").exists()


def test_run_on_a_csv_then_rerun_skips_everything(quick):
    work = quick[1]
    args = ["run", "--data", "prices.csv", "--target", "price", "--out", "OUT", "-q"]
    first = _cli(args, work)
    assert first.returncode == 0, first.stderr
    assert "Traceback" not in first.stderr
    assert _last_line(first.stdout) == "results: OUT"
    assert "198 fits run, 0 already stored" in first.stdout
    assert "what should I use?" in first.stdout  # the run ends with the validation-selected summary

    fits = pd.read_parquet(work / "OUT" / "fits")
    assert len(fits) == 198 and fits.fit_id.is_unique
    assert (fits.status == "ok").all(), fits.error.dropna().unique()
    assert (fits.task == "regression").all() and (fits.primary_metric == "rmse").all()
    assert (fits.study == "file-prices").all() and (fits.dataset == "prices").all()
    # the default grid is relative (4 x 4) on 3 folds x 2 seeds; XGBoost adds its library default (0, 1)
    assert fits.engine.value_counts().to_dict() == {"xgboost": 6 * 17, "lightgbm": 6 * 16}
    grid = fits[fits.in_grid]
    points = sorted(set(zip(grid.reg_alpha_relative.round(12), grid.reg_lambda_relative.round(12))))
    assert points == [(a, l) for a in [0.0, 0.01, 0.1, 1.0] for l in [0.0, 0.1, 1.0, 10.0]]
    default = fits[fits.is_default]
    assert sorted(default.engine.value_counts().items()) == [("lightgbm", 6), ("xgboost", 6)]
    assert ((default.reg_alpha == 0) & (default.reg_lambda == np.where(default.engine == "xgboost", 1.0, 0.0))).all()
    assert fits.groupby(["engine", "fold", "seed"]).size().tolist() == [16] * 6 + [17] * 6
    assert (fits.n_features == 3).all()  # carat, depth and the text column colour
    # the validation split: 20% of each training fold, the test fold untouched
    assert (fits.n_train + fits.n_valid + fits.n_test == 300).all() and sorted(fits.n_test.unique()) == [100]
    assert (fits.n_valid == 40).all() and fits.valid_error.notna().all()
    assert fits.test_error.notna().all() and (fits.test_error > 0).all()
    # both engines saw the same test folds (3 per seed)
    digests = fits.groupby(["seed", "fold"]).fold_digest.nunique()
    assert (digests == 1).all() and fits.fold_digest.nunique() == 6
    assert len(pd.read_parquet(work / "OUT" / "curves")) > 0
    stored = {p.name: p.stat().st_mtime_ns for p in (work / "OUT" / "fits").iterdir()}
    assert len(stored) == 1 and next(iter(stored)).startswith("segment-")  # compacted when the run ended

    again = _cli(args, work)
    assert again.returncode == 0, again.stderr
    assert "0 fits run, 198 already stored" in again.stdout
    assert _last_line(again.stdout) == "results: OUT"
    assert {p.name: p.stat().st_mtime_ns for p in (work / "OUT" / "fits").iterdir()} == stored
    assert len(pd.read_parquet(work / "OUT" / "fits")) == 198

    json_out = _cli(["summary", "OUT", "--format", "json"], work)
    assert json_out.returncode == 0, json_out.stderr
    import json

    rows = json.loads(json_out.stdout)
    assert {(r["dataset"], r["engine"]) for r in rows} == {("prices", "xgboost"), ("prices", "lightgbm")}
    for r in rows:
        for key in (
            "selected_reg_alpha",
            "selected_reg_lambda",
            "gain_vs_default",
            "gain_ci_low",
            "gain_ci_high",
            "gain_vs_unpenalized",
            "at_grid_edge",
            "shared_metric",
            "shared_selected",
        ):
            assert key in r
        assert r["shared_metric"] == "r2" and r["gain_ci_low"] <= r["gain_vs_default"] <= r["gain_ci_high"]


# ---------------------------------------------------------------------------------------------- the run's data


def test_writers_never_touch_a_runs_data_and_a_second_run_is_refused_while_one_writes(tmp_path):
    """report/export/guide/--out into a run's fits/ or study.json, or over a fifo, exit 2 in one line and every
    byte stays; a run into a folder whose lock another process holds exits 2 at once naming it, and runs once the
    holder is killed (-9: the kernel releases the flock)."""
    import os
    import signal
    import time

    (tmp_path / "tiny.toml").write_text(TINY.format(dataset="diabetes", alpha="0, 1"))
    for name in ("A", "B"):
        proc = _cli(["run", "tiny.toml", "--out", name, "-q", "--no-report"], tmp_path)
        assert proc.returncode == 0, proc.stderr
    segment = next((tmp_path / "B" / "fits").glob("segment-*.parquet")).relative_to(tmp_path)
    os.mkfifo(tmp_path / "fifo.html")
    before = {p: p.read_bytes() for p in (tmp_path / "B").rglob("*") if p.is_file()}
    calls = [
        ["report", "A", "-o", segment],
        ["report", "A", "-o", "B/study.json"],
        ["report", "A", "-o", "fifo.html"],
        ["export", "A", segment],
        ["export", "A", "B/fits/extra.parquet"],
        ["guide", "A", "-o", "B/study.json"],
        ["run", "tiny.toml", "--out", "B/fits/sub", "-q"],
        ["run", "tiny.toml", "--out", "B/sub", "-q"],
    ]
    with ThreadPoolExecutor(max_workers=4) as pool:
        procs = list(pool.map(lambda args: _cli(args, tmp_path), calls))
    for args, proc in zip(calls, procs):
        lines = [line for line in proc.stderr.splitlines() if line.strip()]
        assert proc.returncode == 2 and len(lines) == 1 and lines[0].startswith("boostreg: error: "), (
            args,
            proc.stderr,
        )
    assert {p: p.read_bytes() for p in (tmp_path / "B").rglob("*") if p.is_file()} == before
    assert (tmp_path / "fifo.html").is_fifo()

    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import time; from boostreg.paths import lock_out; "
            "lock_out('B'); print('held', flush=True); time.sleep(120)",
        ],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        start = time.monotonic()
        refused = _cli(["run", "tiny.toml", "--out", "B", "-q", "--no-report"], tmp_path)
        assert refused.returncode == 2 and time.monotonic() - start < 60, refused.stderr
        assert refused.stderr.strip() == (
            f"boostreg: error: another boostreg process (pid {holder.pid}) is writing "
            "into 'B'; wait for it to end (or stop it), then run again, or choose "
            "another --out."
        )
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    again = _cli(["run", "tiny.toml", "--out", "B", "-q", "--no-report"], tmp_path)
    assert again.returncode == 0 and "0 fits run, 6 already stored" in again.stdout, again.stderr


def test_an_unreachable_scheduler_writes_nothing_and_the_corrected_study_runs(tmp_path):
    """Once the refused run left OUT/study.json, and the corrected study was then refused "changed: grid"."""
    (tmp_path / "tiny.toml").write_text(TINY.format(dataset="diabetes", alpha="0, 1"))
    (tmp_path / "empty").mkdir()
    for out in ("new", "empty"):
        proc = _cli(["run", "tiny.toml", "--out", out, "-q", "--scheduler", "tcp://127.0.0.1:1"], tmp_path)
        lines = [line for line in proc.stderr.splitlines() if line.strip()]
        assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
        assert len(lines) == 1 and lines[0].startswith("boostreg: error: cannot reach the Dask scheduler"), lines
    assert not (tmp_path / "new").exists() and list((tmp_path / "empty").iterdir()) == []
    (tmp_path / "tiny.toml").write_text(TINY.format(dataset="diabetes", alpha="0, 2"))  # another grid
    for out in ("new", "empty"):
        proc = _cli(["run", "tiny.toml", "--out", out, "-q", "--no-report"], tmp_path)
        assert proc.returncode == 0 and " fits run, 0 already stored" in proc.stdout, proc.stderr
