"""Every bad input a user can give, the command that gives it, and what boostreg answers.

``docs/bad-inputs.md`` is written from these cases by running them::

    .venv/bin/python tests/bad_inputs.py docs/bad-inputs.md

and ``tests/test_bad_inputs.py`` replays every row of that file and checks the answer is still the same.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

TINY = """[study]
name = "tiny"
engines = ["lightgbm"]
folds = 2
[[datasets]]
{dataset}
[grid]
reg_alpha = {alpha}
reg_lambda = [0]
[params]
n_estimators = 3
"""


def _study(d: Path, dataset='name = "diabetes"', alpha="[0, 1]", extra="") -> str:
    (d / "study.toml").write_text(TINY.format(dataset=dataset, alpha=alpha) + extra, encoding="utf-8")
    return "study.toml"


def _write(d: Path, name: str, text: str) -> str:
    (d / name).write_text(text, encoding="utf-8")
    return name


def _csv(d: Path, name="data.csv", **columns) -> str:
    rng = np.random.default_rng(0)
    n = 60
    frame = pd.DataFrame({"x1": rng.normal(size=n), "x2": rng.normal(size=n), "y": rng.normal(size=n)})
    for k, v in columns.items():
        frame[k] = v(n) if callable(v) else v
    frame.to_csv(d / name, index=False)
    return name


def _frame_csv(d: Path, name: str, frame: pd.DataFrame, **to_csv) -> str:
    frame.to_csv(d / name, **{"index": False, **to_csv})
    return name


def _small(n=60, **columns) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x1": rng.normal(size=n), "x2": rng.normal(size=n), "y": rng.normal(size=n)})
    for k, v in columns.items():
        frame[k] = v(n) if callable(v) else v
    return frame


def _tiny(d: Path, old: str, new: str) -> str:
    return _write(d, "study.toml", TINY.format(dataset='name = "diabetes"', alpha="[0, 1]").replace(old, new))


def _stale(d: Path, change: str) -> list[str]:
    """A real run into out/, then the data file or the grid changes and the same command runs again."""
    csv = _csv(d)
    study = _study(d, dataset=f'file = "{csv}"\ntarget = "y"')
    proc = subprocess.run(
        [sys.executable, "-m", "boostreg.cli", "run", study, "--out", "out", "-q", "--no-report"],
        cwd=d,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    assert proc.returncode == 0, proc.stderr
    if change == "data":
        frame = pd.read_csv(d / csv)
        frame.loc[0, "y"] += 1.0
        frame.to_csv(d / csv, index=False)
    else:
        _study(d, dataset=f'file = "{csv}"\ntarget = "y"', alpha="[0, 2]")
    return ["run", study, "--out", "out"]


def _records_without_validation(out: Path) -> None:
    """One stored fit record with no validation error, as a run without validation_fraction leaves."""
    from boostreg.store import ParquetStore

    store = ParquetStore(out)
    store.create()
    store.write(
        {
            "study": "tiny",
            "dataset": "diabetes",
            "task": "regression",
            "engine": "lightgbm",
            "fold": 0,
            "seed": 0,
            "fit_id": "a" * 16,
            "group_id": "b" * 16,
            "status": "ok",
            "reg_alpha": 0.0,
            "reg_lambda": 0.0,
            "primary_metric": "rmse",
            "test_error": 1.0,
            "train_error": 1.0,
        },
        None,
    )


def _run_folder(out: Path) -> Path:
    """A run folder: one stored record (a one-fit file in fits/) and a study.json."""
    _records_without_validation(out)
    (out / "study.json").write_text('{"fingerprint": "0123456789abcdef"}', encoding="utf-8")
    return out


def _foreign_file(d: Path) -> list[str]:
    """A real run into out/, then a user's own Parquet file put in out/fits/, then the same command again."""
    argv = ["run", _study(d), "--out", "out", "-q", "--no-report"]
    proc = subprocess.run(
        [sys.executable, "-m", "boostreg.cli", *argv],
        cwd=d,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    assert proc.returncode == 0, proc.stderr
    pd.DataFrame({"a": [1, 2], "b": ["x", "y"]}).to_parquet(d / "out" / "fits" / "mine.parquet")
    return argv


def _truncated_dynamics(d: Path, command: str) -> list[str]:
    """A real run into out/, then its dynamics.parquet cut in half (a crashed copy, a full disk), then ``command``."""
    argv = ["run", _study(d), "--out", "out", "-q", "--no-report"]
    proc = subprocess.run(
        [sys.executable, "-m", "boostreg.cli", *argv],
        cwd=d,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    assert proc.returncode == 0, proc.stderr
    table = d / "out" / "dynamics.parquet"
    table.write_bytes(table.read_bytes()[: table.stat().st_size // 2])
    return ["report", "out"] if command == "report" else argv


#: processes holding a folder's lock while a case runs; each ends when this process closes its stdin
_HOLDERS: list[subprocess.Popen] = []


def _locked(d: Path) -> list[str]:
    """out/ held by another boostreg process (its lock taken, as a run takes it) while the same run starts there."""
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from boostreg.paths import lock_out; lock_out('out'); "
            "print('held', flush=True); sys.stdin.read()",
        ],
        cwd=d,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "held"
    _HOLDERS.append(holder)
    (d / "holder.pid").write_text(str(holder.pid))  # run_case writes it as PID in the message
    return ["run", _study(d), "--out", "out"]


METRIC_SCRIPT = """import sys

from boostreg import BoostregError, DatasetSpec, Metric, Study


def cost(y_true, y_pred, sample_weight=None):
    {body}


try:
    Study(name="tiny", datasets=[DatasetSpec(name="diabetes")],
          primary_metric={{"regression": Metric(cost, greater_is_better=False)}})
except BoostregError as err:  # the one line the Python API raises, printed as the CLI prints its errors
    print(f"boostreg: error: {{err}}", file=sys.stderr)
    sys.exit(2)
"""


def _metric_script(d: Path, body: str) -> list[str]:
    """A Python script (the callable metric is Python-only) whose study uses a Metric with this body."""
    return [_write(d, "metric.py", METRIC_SCRIPT.format(body=body))]


def _both_engines(d: Path, dataset: str) -> str:
    text = TINY.format(dataset=dataset, alpha="[0, 1]").replace(
        'engines = ["lightgbm"]', 'engines = ["xgboost", "lightgbm"]'
    )
    return _write(d, "study.toml", text)


@dataclass(frozen=True)
class Case:
    """One bad input: how to make it (files in a fresh folder), the command, the expected exit code."""

    name: str
    what: str
    make: Callable[[Path], list[str]]
    exit_code: int = 2


CASES = [
    Case("unknown-dataset", "unknown built-in dataset in a study", lambda d: ["run", _study(d, 'name = "diamond"')]),
    Case("missing-file", "--data file that does not exist", lambda d: ["run", "--data", "nope.csv", "--target", "y"]),
    Case(
        "unreadable-file",
        "file that is not what its name says (corrupt Parquet)",
        lambda d: (
            (d / "bad.parquet").write_bytes(b"not parquet at all"),
            ["run", "--data", "bad.parquet", "--target", "y"],
        )[1],
    ),
    Case(
        "unsupported-suffix",
        "file of a type boostreg does not read",
        lambda d: ((d / "data.xlsx").write_text("x"), ["run", "--data", "data.xlsx", "--target", "y"])[1],
    ),
    Case(
        "empty-file",
        "empty CSV",
        lambda d: ((d / "empty.csv").write_text(""), ["run", "--data", "empty.csv", "--target", "y"])[1],
    ),
    Case(
        "header-only",
        "CSV with a header and no rows",
        lambda d: ((d / "h.csv").write_text("x1,y\n"), ["run", "--data", "h.csv", "--target", "y"])[1],
    ),
    Case(
        "no-target-column", "CSV without the target column", lambda d: ["run", "--data", _csv(d), "--target", "price"]
    ),
    Case(
        "target-missing-values",
        "target with missing values",
        lambda d: [
            "run",
            "--data",
            _csv(d, y=lambda n: np.where(np.arange(n) % 7 == 0, np.nan, 1.0 * np.arange(n))),
            "--target",
            "y",
        ],
    ),
    Case(
        "single-class",
        "binary target with a single class",
        lambda d: ["run", "--data", _csv(d, label="yes"), "--target", "label", "--task", "binary"],
    ),
    Case(
        "text-regression-target",
        "text in a regression target",
        lambda d: [
            "run",
            "--data",
            _csv(d, label=lambda n: np.array(["a", "b", "c"])[np.arange(n) % 3]),
            "--target",
            "label",
            "--task",
            "regression",
        ],
    ),
    Case(
        "constant-column",
        "a constant column and an all-missing column (warned and dropped; the run goes on)",
        lambda d: [
            "run",
            _study(d, f'file = "{_csv(d, const=1.0, empty=np.nan)}"\ntarget = "y"'),
            "--out",
            "out",
            "-q",
            "--no-report",
        ],
        exit_code=0,
    ),
    Case(
        "target-copy",
        "a feature column that copies the target (header 'x1,x2,y,y': pandas reads the second 'y' as 'y.1')",
        lambda d: [
            "run",
            "--data",
            _frame_csv(d, "data.csv", _small().assign(y2=lambda f: f.y).set_axis(["x1", "x2", "y", "y"], axis=1)),
            "--target",
            "y",
        ],
    ),
    Case(
        "engine-unsafe-names",
        "feature names XGBoost or LightGBM refuse ('weight [kg]', 'ratio:1', 'a,b'): renamed "
        "with a warning; both engines' fits run",
        lambda d: [
            "run",
            _both_engines(
                d,
                'file = "'
                + _frame_csv(
                    d,
                    "data.csv",
                    _small(
                        **{
                            "weight [kg]": lambda n: np.arange(n) % 7,
                            "ratio:1": lambda n: np.arange(n) % 5,
                            "a,b": lambda n: np.arange(n) % 3,
                        }
                    ),
                )
                + '"\ntarget = "y"',
            ),
            "--out",
            "out",
            "-q",
            "--no-report",
        ],
        exit_code=0,
    ),
    Case(
        "inf-feature",
        "infinite values in a feature",
        lambda d: [
            "run",
            "--data",
            _csv(d, x1=lambda n: np.where(np.arange(n) % 20 == 0, np.inf, 1.0)),
            "--target",
            "y",
        ],
    ),
    Case(
        "inf-target",
        "an infinite value in the target",
        lambda d: [
            "run",
            "--data",
            _csv(d, y=lambda n: np.where(np.arange(n) == 3, -np.inf, np.arange(n))),
            "--target",
            "y",
        ],
    ),
    Case(
        "beyond-float32",
        "a value beyond float32 range (1e307) in a feature",
        lambda d: [
            "run",
            "--data",
            _csv(d, x2=lambda n: np.where(np.arange(n) == 3, 1e307, 1.0 * np.arange(n))),
            "--target",
            "y",
        ],
    ),
    Case(
        "saved-row-index",
        "a CSV saved with pandas' index (an 'Unnamed: 0' column of row numbers): dropped with a "
        "warning; the run goes on",
        lambda d: [
            "run",
            _study(d, f'file = "{_frame_csv(d, "data.csv", _small(), index=True)}"\ntarget = "y"'),
            "--out",
            "out",
            "-q",
            "--no-report",
        ],
        exit_code=0,
    ),
    Case(
        "date-column",
        "a column of dates (2024-01-31): dropped with a warning that says how to use it; the run goes on",
        lambda d: [
            "run",
            _study(
                d,
                f'file = "{_csv(d, day=lambda n: pd.date_range("2024-01-01", periods=n).strftime("%Y-%m-%d"))}"\n'
                'target = "y"',
            ),
            "--out",
            "out",
            "-q",
            "--no-report",
        ],
        exit_code=0,
    ),
    Case(
        "not-utf8",
        "a CSV saved as Latin-1, not UTF-8",
        lambda d: [
            "run",
            "--data",
            _frame_csv(d, "data.csv", _small(town=lambda n: np.resize(["Genève", "Zürich"], n)), encoding="latin-1"),
            "--target",
            "y",
        ],
    ),
    Case(
        "semicolon-separator",
        "a .csv separated by ';'",
        lambda d: ["run", "--data", _frame_csv(d, "data.csv", _small(), sep=";"), "--target", "y"],
    ),
    Case(
        "symlink-loop",
        "--data that is a symbolic link pointing to itself",
        lambda d: ((d / "loop.csv").symlink_to("loop.csv"), ["run", "--data", "loop.csv", "--target", "y"])[1],
    ),
    Case(
        "inferred-binary-lone-value",
        "a numeric target with 2 distinct values, one of them in a single row",
        lambda d: ["run", "--data", _csv(d, y=lambda n: np.where(np.arange(n) == 0, 5.0, 0.0)), "--target", "y"],
    ),
    Case(
        "malformed-toml",
        "malformed study TOML",
        lambda d: ["run", _write(d, "s.toml", '[study]\nname = "x"\nfolds = = 3\n')],
    ),
    Case(
        "unknown-study-key",
        "unknown key in a study (a typo)",
        lambda d: [
            "run",
            _write(d, "s.toml", TINY.format(dataset='name = "diabetes"', alpha="[0]").replace("folds", "fold")),
        ],
    ),
    Case("negative-alpha", "negative reg_alpha", lambda d: ["run", _study(d, alpha="[0, -1]")]),
    Case("text-alpha", "non-numeric reg_alpha", lambda d: ["run", _study(d, alpha='[0, "a lot"]')]),
    Case("inf-alpha", "infinite reg_alpha", lambda d: ["run", _study(d, alpha="[0, inf]")]),
    Case("nan-alpha", "NaN reg_alpha", lambda d: ["run", _study(d, alpha="[0, nan]")]),
    Case("empty-grid", "empty grid", lambda d: ["run", _study(d, alpha="[]")]),
    Case(
        "too-many-folds",
        "more folds than rows of a class",
        lambda d: [
            "run",
            _study(
                d,
                f'file = "{_csv(d, label=lambda n: (np.arange(n) < 1).astype(int))}"\n'
                'target = "label"\ntask = "binary"',
            ),
        ],
    ),
    Case(
        "out-is-a-file",
        "output path that is a file",
        lambda d: ((d / "taken").write_text("x"), ["run", _study(d), "--out", "taken"])[1],
    ),
    Case(
        "out-not-writable",
        "output folder that cannot be written",
        lambda d: ["run", _study(d), "--out", "/proc/boostreg-out"],
    ),
    Case(
        "other-study-out",
        "output folder holding another study's results",
        lambda d: (
            (d / "out").mkdir(),
            (d / "out" / "study.toml").write_text('[study]\nname = "other"\n'),
            ["run", _study(d), "--out", "out"],
        )[2],
    ),
    Case("jobs-zero", "--jobs 0", lambda d: ["run", _study(d), "--jobs", "0", "--out", "out"]),
    Case("data-without-target", "--data without --target", lambda d: ["run", "--data", _csv(d)]),
    Case(
        "study-and-data",
        "a study file and --data together",
        lambda d: ["run", _study(d), "--data", _csv(d), "--target", "y"],
    ),
    Case(
        "report-no-results",
        "report of a folder without results",
        lambda d: ((d / "empty").mkdir(), ["report", "empty"])[1],
    ),
    Case(
        "validation-fraction",
        "early stopping with validation_fraction out of range",
        lambda d: ["run", _study(d, extra="early_stopping_rounds = 10\nvalidation_fraction = 0.9\n")],
    ),
    Case(
        "dataset-twice",
        "one dataset listed twice without an alias",
        lambda d: ["run", _study(d, 'name = "diabetes"\n[[datasets]]\nname = "diabetes"')],
    ),
    Case(
        "guide-not-records",
        "guide of a Parquet file that holds no fit records",
        lambda d: (pd.DataFrame({"a": [1]}).to_parquet(d / "other.parquet"), ["guide", "other.parquet"])[1],
    ),
    Case(
        "relative-negative",
        "a relative penalty below 0",
        lambda d: ["run", _study(d, alpha="{ relative = [0, -0.1] }")],
    ),
    Case(
        "relative-no-reference",
        "a relative grid whose unpenalized reference cannot give alpha_max (row subsampling)",
        lambda d: ["run", _study(d, alpha="{ relative = [0, 0.1] }", extra="subsample = 0.8\n")],
    ),
    Case(
        "relative-baseline",
        "a relative grid for baselines (they have no unpenalized booster reference)",
        lambda d: [
            "run",
            _write(
                d,
                "study.toml",
                TINY.format(dataset='name = "diabetes"', alpha="[0]")
                + "[baseline_grid]\npenalty = { relative = [0.1, 1] }\n",
            ),
        ],
    ),
    Case(
        "summary-without-validation",
        "summary of a run that carved no validation split",
        lambda d: (_records_without_validation(d / "out"), ["summary", "out"])[1],
    ),
    Case(
        "learning-rate-zero",
        "learning_rate = 0 (every leaf would be 0)",
        lambda d: ["run", _study(d, extra="learning_rate = 0\n")],
    ),
    Case(
        "learning-rate-huge",
        "learning_rate = 1e30 (once: stored as 'ok' fits, LightGBM's finite and absurd)",
        lambda d: ["run", _study(d, extra="learning_rate = 1e30\n")],
    ),
    Case(
        "fit-timeout-zero",
        "fit_timeout = 0 under [study] (no fit could finish)",
        lambda d: ["run", _tiny(d, "folds = 2", "folds = 2\nfit_timeout = 0")],
    ),
    Case(
        "fit-timeout-option-negative",
        "--fit-timeout -5",
        lambda d: ["run", _study(d), "--fit-timeout", "-5", "--out", "out"],
    ),
    Case("n-estimators-zero", "n_estimators = 0", lambda d: ["run", _tiny(d, "n_estimators = 3", "n_estimators = 0")]),
    Case(
        "n-estimators-huge",
        "n_estimators = 1e9 (would run for days)",
        lambda d: ["run", _tiny(d, "n_estimators = 3", "n_estimators = 1e9")],
    ),
    Case("subsample-above-one", "subsample = 2", lambda d: ["run", _study(d, extra="subsample = 2\n")]),
    Case(
        "num-leaves-one",
        "num_leaves = 1 (no split possible)",
        lambda d: ["run", _study(d, extra="[params.lightgbm]\nnum_leaves = 1\n")],
    ),
    Case(
        "seed-too-large", "a seed of 2**32", lambda d: ["run", _tiny(d, "folds = 2", "folds = 2\nseeds = [4294967296]")]
    ),
    Case("seed-twice", "a seed listed twice", lambda d: ["run", _tiny(d, "folds = 2", "folds = 2\nseeds = [0, 0]")]),
    Case(
        "engine-twice",
        "an engine listed twice",
        lambda d: ["run", _tiny(d, 'engines = ["lightgbm"]', 'engines = ["lightgbm", "lightgbm"]')],
    ),
    Case(
        "name-is-a-path",
        "a study name that is a path ('..')",
        lambda d: ["run", _tiny(d, 'name = "tiny"', 'name = ".."')],
    ),
    Case(
        "name-with-nul",
        "a study name with a NUL character",
        lambda d: ["run", _tiny(d, 'name = "tiny"', 'name = "a\\u0000b"')],
    ),
    Case(
        "name-too-long",
        "a study name of 300 characters",
        lambda d: ["run", _tiny(d, 'name = "tiny"', f'name = "{"x" * 300}"')],
    ),
    Case("dask-local-zero", "--dask-local 0", lambda d: ["run", _study(d), "--dask-local", "0", "--out", "out"]),
    Case(
        "out-not-boostreg",
        "an output folder that holds other files",
        lambda d: (
            (d / "mine").mkdir(),
            (d / "mine" / "notes.txt").write_text("mine"),
            ["run", _study(d), "--out", "mine"],
        )[2],
    ),
    Case("stale-data", "a rerun into the same folder after the data file changed", lambda d: _stale(d, "data")),
    Case("stale-grid", "a rerun into the same folder after the grid changed", lambda d: _stale(d, "grid")),
    Case(
        "garbage-study-json",
        "an output folder whose study.json is not boostreg's",
        lambda d: (
            _records_without_validation(d / "out"),
            (d / "out" / "study.json").write_text("garbage"),
            ["run", _study(d), "--out", "out"],
        )[2],
    ),
    Case(
        "export-into-fits",
        "an export written into the run's own fits/ folder",
        lambda d: (_records_without_validation(d / "out"), ["export", "out", "out/fits/all.parquet"])[1],
    ),
    Case(
        "report-over-records",
        "a report written over a run's own record file (once: every record became HTML)",
        lambda d: (_run_folder(d / "out"), ["report", "out", "-o", f"out/fits/{'a' * 16}.parquet"])[1],
    ),
    Case(
        "report-over-study-json",
        "a report written over a run's study.json (once: the run lost its identity)",
        lambda d: (_run_folder(d / "out"), ["report", "out", "-o", "out/study.json"])[1],
    ),
    Case(
        "report-over-fifo",
        "a report written over a fifo (or a device such as /dev/full: once replaced by a file)",
        lambda d: (_run_folder(d / "out"), os.mkfifo(d / "pipe.html"), ["report", "out", "-o", "pipe.html"])[2],
    ),
    Case(
        "report-into-proc",
        "a report written into /proc",
        lambda d: (_run_folder(d / "out"), ["report", "out", "-o", "/proc/report.html"])[1],
    ),
    Case(
        "export-over-other-run",
        "an export written over another run's records (once: B's records replaced by A's)",
        lambda d: (_run_folder(d / "a"), _run_folder(d / "b"), ["export", "a", f"b/fits/{'a' * 16}.parquet"])[2],
    ),
    Case(
        "export-beside-other-run",
        "an export written into another run's fits/ (once: two studies in one folder)",
        lambda d: (_run_folder(d / "a"), _run_folder(d / "b"), ["export", "a", "b/fits/extra.parquet"])[2],
    ),
    Case(
        "guide-over-study-json",
        "a guide written over a run's study.json",
        lambda d: (_run_folder(d / "out"), ["guide", "out", "-o", "out/study.json"])[1],
    ),
    Case(
        "out-in-run-data",
        "--out inside another run's fits/ folder",
        lambda d: (_run_folder(d / "other"), ["run", _study(d), "--out", "other/fits/sub"])[1],
    ),
    Case(
        "out-nested-in-run",
        "--out inside another run's folder",
        lambda d: (_run_folder(d / "other"), ["run", _study(d), "--out", "other/sub"])[1],
    ),
    Case(
        "report-html-is-a-folder",
        "a run whose OUT/report.html is a folder (once: refused after every fit)",
        lambda d: ((d / "out" / "report.html").mkdir(parents=True), ["run", _study(d), "--out", "out"])[1],
    ),
    Case(
        "foreign-file-in-fits",
        "a user's own Parquet file in OUT/fits (once: deleted, then every run crashed): "
        "warned, left alone; the run goes on",
        _foreign_file,
        exit_code=0,
    ),
    Case("out-locked", "a second run into a folder another boostreg process is writing into", _locked),
    Case(
        "dynamics-truncated-report",
        "report of a run whose OUT/dynamics.parquet is truncated (once: a traceback): its section says so; "
        "the report is written",
        lambda d: _truncated_dynamics(d, "report"),
        exit_code=0,
    ),
    Case(
        "dynamics-truncated-rerun",
        "a rerun into a folder whose OUT/dynamics.parquet is truncated (once: never quarantined): moved to "
        "OUT/quarantine/ and written anew",
        lambda d: _truncated_dynamics(d, "run"),
        exit_code=0,
    ),
    Case(
        "recommend-check-too-few-rows",
        "recommend --check on fewer rows than its 5 cross-validation folds",
        lambda d: [
            "recommend",
            "--data",
            _frame_csv(d, "data.csv", _small(4)),
            "--target",
            "y",
            "--check",
            "--engine",
            "lightgbm",
        ],
    ),
    Case(
        "recommend-check-rare-class",
        "recommend --check on a binary target whose rarer class has fewer rows than the "
        "folds (warned; the check goes on)",
        lambda d: [
            "recommend",
            "--data",
            _frame_csv(d, "data.csv", _small(40, y=lambda n: (np.arange(n) < 2).astype(int))),
            "--target",
            "y",
            "--check",
            "--engine",
            "lightgbm",
            "-q",
        ],
    ),
    Case(
        "run-features-missing",
        "run --data --features naming a column the file does not have",
        lambda d: ["run", "--data", _csv(d), "--target", "y", "--features", "x1,x3"],
    ),
    Case(
        "run-groups-missing",
        "run --data --groups naming a column the file does not have",
        lambda d: ["run", "--data", _csv(d, store=lambda n: np.arange(n) % 6), "--target", "y", "--groups", "shop"],
    ),
    Case(
        "recommend-groups-missing",
        "recommend --groups naming a column the file does not have",
        lambda d: [
            "recommend",
            "--data",
            _csv(d, store=lambda n: np.arange(n) % 6),
            "--target",
            "y",
            "--groups",
            "shop",
        ],
    ),
    Case(
        "multiclass-class-too-small",
        "a text target with 3 classes, one of them in 2 rows, and 3 folds (stratified folds need a row of each class "
        "in every fold)",
        lambda d: [
            "run",
            "--data",
            _csv(d, kind=lambda n: np.where(np.arange(n) < 2, "rare", np.array(["a", "b"])[np.arange(n) % 2])),
            "--target",
            "kind",
        ],
    ),
    Case(
        "recommend-integer-target-not-guessed",
        "recommend on a target of class codes 0/1/2 (as scikit-learn's wine) without --task",
        lambda d: ["recommend", "--data", _csv(d, cultivar=lambda n: np.arange(n) % 3), "--target", "cultivar"],
    ),
    Case(
        "weight-negative",
        "--weight naming a column with a negative weight",
        lambda d: [
            "run",
            "--data",
            _csv(d, w=lambda n: np.where(np.arange(n) == 4, -2.0, 1.0)),
            "--target",
            "y",
            "--weight",
            "w",
        ],
    ),
    Case(
        "weight-missing-values",
        "--weight naming a column with an empty cell",
        lambda d: [
            "run",
            "--data",
            _csv(d, w=lambda n: np.where(np.arange(n) == 7, np.nan, 1.0)),
            "--target",
            "y",
            "--weight",
            "w",
        ],
    ),
    Case(
        "weight-all-zero",
        "--weight naming a column that is 0 in every row",
        lambda d: ["run", "--data", _csv(d, w=0.0), "--target", "y", "--weight", "w"],
    ),
    Case(
        "weight-not-numeric",
        "--weight naming a text column",
        lambda d: [
            "recommend",
            "--data",
            _csv(d, w=lambda n: np.array(["high", "low"])[np.arange(n) % 2]),
            "--target",
            "y",
            "--weight",
            "w",
        ],
    ),
    Case(
        "weight-missing-column",
        "--weight naming a column the file does not have",
        lambda d: ["run", "--data", _csv(d, weight=1.5), "--target", "y", "--weight", "wieght"],
    ),
    Case(
        "weight-builtin-dataset",
        "weight = ... on a built-in dataset in a study file",
        lambda d: ["run", _study(d, 'name = "diabetes"\nweight = "age"'), "--out", "out"],
    ),
    Case(
        "integer-target-not-guessed",
        "a target of whole numbers with few values (3..9, as wine quality) and no --task: class codes or numbers?",
        lambda d: ["run", "--data", _csv(d, quality=lambda n: 3 + np.arange(n) % 7), "--target", "quality"],
    ),
    Case(
        "refit-without-validation",
        "run --refit on a study with no validation split to choose a setting on",
        lambda d: ["run", _study(d), "--refit", "--out", "out"],
    ),
    Case(
        "target-huge-scale",
        "a target of order 1e20 (XGBoost's float32 split gains overflow; it stops splitting)",
        lambda d: [
            "run",
            "--data",
            _frame_csv(d, "data.csv", _small().assign(y=lambda f: f.y * 1e20)),
            "--target",
            "y",
        ],
    ),
    Case(
        "target-large-offset",
        "a target 1e8 + noise (float32 rounding, in which both engines compute gradients, loses the labels)",
        lambda d: ["run", "--data", _frame_csv(d, "data.csv", _small().assign(y=lambda f: f.y + 1e8)), "--target", "y"],
    ),
    Case(
        "target-linear-copy",
        "a feature that is a scaled copy of the target (x3 = 2 y)",
        lambda d: ["run", "--data", _frame_csv(d, "data.csv", _small().assign(x3=lambda f: 2 * f.y)), "--target", "y"],
    ),
    Case(
        "uint64-hash-column",
        "a uint64 column near 2^63 (hashes that floating point cannot tell apart)",
        lambda d: [
            "run",
            "--data",
            _frame_csv(
                d, "data.csv", _small(h=lambda n: np.uint64(2**63) + np.arange(n, dtype=np.uint64) * np.uint64(7))
            ),
            "--target",
            "y",
        ],
    ),
    Case(
        "numbers-as-text",
        "numeric columns with '?' cells (UCI style) and thousands separators ('1,234.00'): read "
        "as numbers with a warning; the run goes on",
        lambda d: [
            "run",
            _study(
                d,
                'file = "'
                + _frame_csv(
                    d,
                    "data.csv",
                    _small(
                        q=lambda n: np.where(np.arange(n) % 20 == 0, "?", np.arange(n).astype(str)),
                        money=lambda n: [f"{1000 + 37 * i:,.2f}" for i in range(n)],
                    ),
                )
                + '"\n'
                'target = "y"',
            ),
            "--out",
            "out",
            "-q",
            "--no-report",
        ],
        exit_code=0,
    ),
    Case(
        "scheduler-not-address",
        "--scheduler that is not an address (once: a traceback)",
        lambda d: ["run", _study(d), "--scheduler", "not a url", "--out", "out"],
    ),
    Case(
        "scheduler-unreachable",
        "--scheduler where no scheduler listens (once: left OUT/study.json, so the corrected study was refused "
        "'changed: grid')",
        lambda d: ["run", _study(d), "--scheduler", "tcp://127.0.0.1:1", "--out", "out"],
    ),
    Case(
        "dry-run-negative-jobs",
        "--dry-run --jobs -2 (once: 'roughly -0 s')",
        lambda d: ["run", _study(d), "--dry-run", "--jobs", "-2", "--out", "out"],
    ),
    Case(
        "out-name-too-long",
        "--out whose name is 300 bytes (once: exit 74 'free space')",
        lambda d: ["run", _study(d), "--out", "sub/" + "x" * 300, "--no-report"],
    ),
    Case(
        "export-not-parquet",
        "export to a file name that is not .parquet",
        lambda d: (_records_without_validation(d / "out"), ["export", "out", "fits.csv"])[1],
    ),
    Case(
        "metric-raises",
        "Python API: a callable selection metric (boostreg.Metric) that raises on a small probe",
        lambda d: _metric_script(d, "return float(sum(y_pred) / len(y_true[0]))"),
    ),
    Case(
        "metric-nan",
        "Python API: a callable selection metric (boostreg.Metric) that returns NaN",
        lambda d: _metric_script(d, 'return float("nan")'),
    ),
]


def run_case(case: Case, folder: Path) -> dict:
    """Run one case in ``folder``; return exit code, stderr lines, whether a traceback showed, files written."""
    folder.mkdir(parents=True, exist_ok=True)
    argv = case.make(folder)
    before = {p for p in folder.rglob("*")}
    env = {**os.environ, "COLUMNS": "200"}
    command = [sys.executable, *argv] if argv[0].endswith(".py") else [sys.executable, "-m", "boostreg.cli", *argv]
    proc = subprocess.run(command, cwd=folder, capture_output=True, text=True, env=env, timeout=300)
    after = {p for p in folder.rglob("*")}
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    message = "\n".join(line.replace(str(folder), "DIR") for line in lines)
    if (folder / "holder.pid").exists():  # another process's id (``_locked``) changes from run to run
        message = message.replace(f"pid {(folder / 'holder.pid').read_text()})", "pid PID)")
    return {
        "code": proc.returncode,
        "message": message,
        "traceback": "Traceback" in proc.stderr + proc.stdout,
        "written": sorted(str(p.relative_to(folder)) for p in after - before),
        "argv": argv,
    }


def run_all(root: Path) -> dict[str, dict]:
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = pool.map(lambda c: (c.name, run_case(c, root / c.name)), CASES)
    return dict(results)


def markdown(results: dict[str, dict]) -> str:
    rows = [
        "# Bad input and what boostreg answers",
        "",
        "Generated by `.venv/bin/python tests/bad_inputs.py docs/bad-inputs.md`; `tests/test_bad_inputs.py` replays "
        "every row and fails if an answer changes. Every error is one line on stderr, exit code 2, no traceback, "
        "and nothing is written. DIR is the folder the command ran in.",
        "",
        "| case | bad input | command | exit | what boostreg prints |",
        "|---|---|---|---|---|",
    ]
    for case in CASES:
        r = results[case.name]
        cmd = ("python " if r["argv"][0].endswith(".py") else "boostreg ") + " ".join(r["argv"])
        msg = r["message"].replace("|", "\\|").replace("\n", "<br>")
        rows.append(f"| {case.name} | {case.what} | `{cmd}` | {r['code']} | {msg} |")
    return "\n".join(rows) + "\n"


def parse_markdown(text: str) -> dict[str, tuple[int, str]]:
    """case name -> (exit code, message) from the docs table."""
    out = {}
    for line in text.splitlines():
        if not line.startswith("| ") or line.startswith("| case") or line.startswith("|---"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
        out[cells[0]] = (int(cells[3]), cells[4].replace("<br>", "\n").replace("\\|", "|"))
    return out


if __name__ == "__main__":
    import tempfile

    target = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/bad-inputs.md")
    with tempfile.TemporaryDirectory() as tmp:
        results = run_all(Path(tmp))
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(markdown(results), encoding="utf-8")
    print(f"wrote {target}")
