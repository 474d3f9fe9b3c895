"""A results folder stays trustworthy under reruns, crashes and odd files: no stale mixing, self-healing files,
failed fits tried again, workers that die with their run, SIGTERM handled like Ctrl-C. Real processes, real files."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import run_cli as _cli

from boostreg import DatasetSpec, Study, run_study
from boostreg.errors import BoostregError
from boostreg.store import ParquetStore

pytestmark = pytest.mark.slow  # real runs interrupted, killed, refused and resumed through the CLI

TINY = """[study]
name = "tiny"
engines = ["lightgbm"]
folds = 2
[[datasets]]
file = "data.csv"
target = "y"
[grid]
reg_alpha = {alpha}
reg_lambda = [0]
[params]
n_estimators = 3
"""


def _data(folder: Path, shift: float = 0.0) -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x1": rng.normal(size=80), "x2": rng.normal(size=80)})
    frame["y"] = 2 * frame.x1 + rng.normal(size=80) + shift
    frame.to_csv(folder / "data.csv", index=False)


def _one_line_error(proc, code=2):
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert proc.returncode == code, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert len(lines) == 1 and lines[0].startswith("boostreg: error: "), lines
    return lines[0]


def test_a_changed_data_file_is_refused_then_kept_apart_with_force(tmp_path):
    _data(tmp_path)
    (tmp_path / "s.toml").write_text(TINY.format(alpha="[0, 1]"))
    assert _cli(["run", "s.toml", "--out", "out", "-q", "--no-report"], tmp_path).returncode == 0
    first = ParquetStore(tmp_path / "out").fits()
    assert len(first) == 4 and first.study_fingerprint.nunique() == 1
    _data(tmp_path, shift=1.0)  # the user edits the data and runs the same command
    line = _one_line_error(_cli(["run", "s.toml", "--out", "out", "-q", "--no-report"], tmp_path))
    assert "another study" in line and "dataset 'data' content" in line and "--force" in line
    assert len(ParquetStore(tmp_path / "out").fits()) == 4  # nothing mixed in
    forced = _cli(["run", "s.toml", "--out", "out", "-q", "--force"], tmp_path)
    assert forced.returncode == 0, forced.stderr
    now = ParquetStore(tmp_path / "out").fits()
    assert len(now) == 4 and now.study_fingerprint.nunique() == 1
    assert set(now.study_fingerprint) != set(first.study_fingerprint)
    assert not set(now.fit_id) & set(first.fit_id)  # different data, different fits
    (previous,) = (tmp_path / "out" / "previous").iterdir()
    assert previous.name == first.study_fingerprint.iloc[0]
    assert sorted(ParquetStore(previous).fits().fit_id) == sorted(first.fit_id)
    # every reader of OUT sees the current study only
    assert _cli(["report", "out"], tmp_path).returncode == 0
    export = _cli(["export", "out", "all.parquet"], tmp_path)
    assert export.returncode == 0 and len(pd.read_parquet(tmp_path / "all.parquet")) == 4


def test_a_changed_grid_is_refused(tmp_path):
    _data(tmp_path)
    (tmp_path / "s.toml").write_text(TINY.format(alpha="[0, 1]"))
    assert _cli(["run", "s.toml", "--out", "out", "-q", "--no-report"], tmp_path).returncode == 0
    (tmp_path / "s.toml").write_text(TINY.format(alpha="[0, 2]"))
    line = _one_line_error(_cli(["run", "s.toml", "--out", "out", "-q", "--no-report"], tmp_path))
    assert "changed: grid" in line


def test_truncated_files_are_quarantined_redone_and_skipped_by_readers(tmp_path):
    study = Study(
        name="heal",
        datasets=[DatasetSpec(name="diabetes")],
        engines=["lightgbm"],
        grid={"reg_alpha": [0, 1], "reg_lambda": [0]},
        params={"n_estimators": 3},
        folds=2,
    )
    run_study(study, tmp_path / "out", jobs=1, progress=False)
    store = ParquetStore(tmp_path / "out")
    good = store.fits().sort_values("fit_id").reset_index(drop=True)
    # a record file cut in half, as a crashed copy or a full disk leaves it, beside a readable segment
    victim = good.fit_id.iloc[0]
    single = store.fits_dir / f"{victim}.parquet"
    store.fits()[store.fits().fit_id == victim].to_parquet(single)  # a one-fit file
    data = single.read_bytes()
    single.write_bytes(data[: len(data) // 2])
    with pytest.warns(UserWarning, match="skipped unreadable file"):
        assert len(store.fits()) == 4  # readers warn and skip instead of raising ArrowInvalid
    # the next run moves it to quarantine (one warning) and the table is whole again
    with pytest.warns(UserWarning, match="unreadable file"):
        run_study(study, tmp_path / "out", jobs=1, progress=False)
    assert (tmp_path / "out" / "quarantine" / "fits" / f"{victim}.parquet").exists()
    again = store.fits().sort_values("fit_id").reset_index(drop=True)
    assert again.fit_id.tolist() == good.fit_id.tolist()
    # a truncated segment: its fits are done again, bit for bit the same numbers
    (segment,) = [p for p in store.fits_dir.iterdir() if p.name.startswith("segment-")]
    segment.write_bytes(segment.read_bytes()[:100])
    with pytest.warns(UserWarning, match="unreadable file"):
        result = run_study(study, tmp_path / "out", jobs=1, progress=False)
    assert result.n_run == 4
    redone = store.fits().sort_values("fit_id").reset_index(drop=True)
    assert redone.test_error.tolist() == good.test_error.tolist()


def test_failed_fits_are_tried_again_and_the_run_exits_3_with_the_first_error(tmp_path):
    _data(tmp_path)
    (tmp_path / "s.toml").write_text(TINY.format(alpha="[0, 1]") + "[params.lightgbm]\nmax_cat_to_onehot = 0\n")
    proc = _cli(["run", "s.toml", "--out", "out", "-q", "--no-report"], tmp_path)
    assert proc.returncode == 3 and "Traceback" not in proc.stderr
    last = [line for line in proc.stderr.splitlines() if line.startswith("boostreg: error: ")]
    assert len(last) == 1 and "4 of 4 fits failed" in last[0] and "max_cat_to_onehot" in last[0]
    fits = ParquetStore(tmp_path / "out").fits()
    assert (fits.status == "failed").all() and fits.error.str.contains(r"\[at .*:\d+ in ").all()  # its last frames
    again = _cli(["run", "s.toml", "--out", "out", "-q", "--no-report"], tmp_path)
    assert again.returncode == 3 and "4 fits run, 0 already stored" in again.stdout  # tried again, not skipped
    assert "tried again" in again.stderr
    assert len(list((tmp_path / "out" / "quarantine").glob("failed-*.parquet"))) == 1


def test_an_output_folder_that_cannot_be_written_mid_run_is_one_line_and_keeps_what_finished(tmp_path):
    import resource

    _data(tmp_path)
    # long learning curves: each fit's curves file is larger than the limit below, its record is not
    (tmp_path / "s.toml").write_text(
        TINY.format(alpha="[0, 0.5]")
        .replace("n_estimators = 3", "n_estimators = 3000")
        .replace('"lightgbm"', '"xgboost"')
    )  # XGBoost grows every round it is asked

    def small_files():  # a full disk, as the kernel reports it to a process: writes past 60 kB fail (EFBIG)
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (60_000, 60_000))

    proc = _cli(["run", "s.toml", "--out", "out", "-q", "--no-report", "-j", "1"], tmp_path, preexec_fn=small_files)
    line = _one_line_error(proc, code=74)
    assert "writing to 'out' failed" in line and "run the same command again" in line
    assert _cli(["run", "s.toml", "--out", "out", "-q", "--no-report"], tmp_path).returncode == 0  # and it resumes


def _children(pid: int) -> list[int]:
    import psutil

    try:
        return [c.pid for c in psutil.Process(pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def _alive(pids) -> list[int]:
    import psutil

    out = []
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                out.append(pid)
        except psutil.NoSuchProcess:
            pass
    return out


def _records(out: Path) -> int:
    return len(list((out / "fits").glob("*.parquet"))) if (out / "fits").exists() else 0


def _start_big_run(tmp_path):
    (tmp_path / "s.toml").write_text("""[study]
name = "big"
engines = ["xgboost", "lightgbm"]
folds = 5
seeds = [0, 1, 2]
[[datasets]]
name = "diamonds"
max_rows = 5000
[grid]
reg_alpha = [0, 0.1, 1, 10, 100]
reg_lambda = [0, 0.1, 1, 10, 100]
[params]
n_estimators = 100
""")
    proc = subprocess.Popen(
        [sys.executable, "-m", "boostreg.cli", "run", "s.toml", "--out", "out", "-q", "-j", "2", "--no-report"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.time() + 120
    while _records(tmp_path / "out") < 6 and time.time() < deadline:
        time.sleep(0.2)
    assert _records(tmp_path / "out") >= 6, "the run did not start storing fits"
    return proc


def test_workers_die_with_a_killed_run_and_never_write_after_it(tmp_path):
    proc = _start_big_run(tmp_path)
    workers = _children(proc.pid)
    assert len(workers) >= 2
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    deadline = time.time() + 10
    while _alive(workers) and time.time() < deadline:
        time.sleep(0.1)
    assert _alive(workers) == [], "worker processes outlived the killed run"
    stored = _records(tmp_path / "out")
    time.sleep(3)
    assert _records(tmp_path / "out") == stored  # nothing lands after the run's death
    # and the folder resumes cleanly: no torn record, the next run picks up where it stopped
    fits = ParquetStore(tmp_path / "out").fits()
    assert fits.fit_id.is_unique and (fits.status == "ok").all()


def test_sigterm_stops_like_ctrl_c_with_one_line_and_exit_143(tmp_path):
    proc = _start_big_run(tmp_path)
    workers = _children(proc.pid)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert "Traceback" not in err and len(lines) == 1 and lines[0].startswith("boostreg: stopped: "), lines
    deadline = time.time() + 10
    while _alive(workers) and time.time() < deadline:
        time.sleep(0.1)
    assert _alive(workers) == []
    stored = ParquetStore(tmp_path / "out").fits()
    assert stored.fit_id.is_unique and len(stored) >= 6


def test_a_garbage_run_log_does_not_break_the_report_and_is_moved_aside_by_the_next_run(tmp_path):
    study = Study(
        name="log",
        datasets=[DatasetSpec(name="diabetes")],
        engines=["lightgbm"],
        grid={"reg_alpha": [0, 1], "reg_lambda": [0]},
        params={"n_estimators": 3},
        folds=2,
    )
    run_study(study, tmp_path / "out", jobs=1, progress=False)
    (tmp_path / "out" / "runs.json").write_text("{not json")
    from boostreg import open_run
    from boostreg.report import build_report

    with pytest.warns(UserWarning, match="not a log of runs"):
        build_report(open_run(tmp_path / "out"))  # the report is handed a Run
    with pytest.warns(UserWarning, match="not a log of runs"):
        run_study(study, tmp_path / "out", jobs=1, progress=False)
    assert (tmp_path / "out" / "quarantine" / "runs.json").read_text() == "{not json"
    assert len(__import__("json").loads((tmp_path / "out" / "runs.json").read_text())) == 1


def test_a_study_identity_that_is_not_boostregs_is_refused(tmp_path):
    study = Study(
        name="id",
        datasets=[DatasetSpec(name="diabetes")],
        engines=["lightgbm"],
        grid={"reg_alpha": [0], "reg_lambda": [0]},
        params={"n_estimators": 3},
        folds=2,
    )
    run_study(study, tmp_path / "out", jobs=1, progress=False)
    (tmp_path / "out" / "study.json").write_text("[1, 2]")
    with pytest.raises(BoostregError, match="not a study identity boostreg wrote"):
        run_study(study, tmp_path / "out", jobs=1, progress=False)


@pytest.mark.parametrize("validation", [False, True])
def test_a_one_engine_two_by_two_study_ends_with_its_report(tmp_path, validation):
    """Once a traceback in the report (a bootstrap of one value): every section must cope with tiny studies."""
    (tmp_path / "one.toml").write_text(
        '[study]\nname = "one"\nengines = ["xgboost"]\nfolds = 2\n[[datasets]]\n'
        'name = "diabetes"\n[grid]\nreg_alpha = [0, 1]\nreg_lambda = [0, 1]\n[params]\n'
        "n_estimators = 5\n" + ("validation_fraction = 0.2\n" if validation else "")
    )
    proc = _cli(["run", "one.toml", "--out", "out", "-q"], tmp_path)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "report: out/report.html"
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "not enough evidence" in html  # one dataset x engine: no pooled verdict


def test_a_truncated_dynamics_table_is_one_line_in_the_report_and_quarantined_by_the_next_run(tmp_path):
    """Once a traceback in every report, and never quarantined."""
    study = Study(
        name="dyn",
        datasets=[DatasetSpec(name="diabetes")],
        engines=["lightgbm"],
        grid={"reg_alpha": [0, 1], "reg_lambda": [0]},
        params={"n_estimators": 3},
        folds=2,
    )
    run_study(study, tmp_path / "out", jobs=1, progress=False)
    table = tmp_path / "out" / "dynamics.parquet"
    good = pd.read_parquet(table)
    cut = table.read_bytes()[: table.stat().st_size // 2]
    table.write_bytes(cut)
    from boostreg import open_run
    from boostreg.report import build_report_view

    run = open_run(tmp_path / "out")
    assert "truncated or not Parquet" in run.dynamics_problem()
    with pytest.warns(UserWarning, match="dynamics.parquet' cannot be read .* moves it to quarantine"):
        view = build_report_view(run)
    (section,) = [s for s in view.sections if s.id == "dynamics"]
    assert len(section.paragraphs) == 1 and "cannot be read" in section.paragraphs[0] and not section.figures
    with pytest.warns(UserWarning, match="moved to .*quarantine.* and written anew"):
        run_study(study, tmp_path / "out", jobs=1, progress=False)
    assert (tmp_path / "out" / "quarantine" / "dynamics.parquet").read_bytes() == cut
    pd.testing.assert_frame_equal(pd.read_parquet(table), good)
    assert open_run(tmp_path / "out").dynamics_problem() is None


def test_a_report_on_a_leave_one_out_run_is_written(tmp_path):
    """Once a traceback: R² of a one-row test fold is undefined, so the shared metric was all NaN."""
    from sklearn.model_selection import LeaveOneOut

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x1": rng.normal(size=24), "x2": rng.normal(size=24)})
    frame["y"] = 2 * frame.x1 + rng.normal(size=24)
    study = Study(
        name="loo",
        datasets=[DatasetSpec(name="t", frame=frame, target="y")],
        engines=["lightgbm"],
        grid={"reg_alpha": [0, 1], "reg_lambda": [0]},
        params={"n_estimators": 3, "validation_fraction": 0.2},
        folds=2,
        cv=LeaveOneOut(),
    )
    result = run_study(study, tmp_path / "out", jobs=1, progress=False)
    assert len(result.fits) == 48 and (result.fits.status == "ok").all()  # 24 one-row test folds x 2 settings
    proc = _cli(["report", "out"], tmp_path)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr and proc.stderr.strip() == "", proc.stderr
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "no shared metric to compare models on" in html


def _stopped_by_sigterm(proc, when) -> None:
    """SIGTERM to a running ``proc`` once ``when()`` holds: exit 143, one line on stderr, no traceback."""
    import psutil

    deadline = time.time() + 120
    while proc.poll() is None and time.time() < deadline:
        try:
            if when(psutil.Process(proc.pid)):
                break
        except psutil.Error:
            pass
        time.sleep(0.02)
    assert proc.poll() is None, "the command ended before it could be stopped"
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    lines = [line for line in err.splitlines() if line.strip()]
    assert proc.returncode == 143, err
    assert "Traceback" not in out + err and len(lines) == 1 and lines[0].startswith("boostreg: stopped: "), lines


def test_sigterm_while_a_report_draws_or_a_run_starts_is_one_line_143_and_writes_nothing(tmp_path):
    """Once the default SIGTERM: no message; a report stopped mid-write left its temporary file."""
    study = Study(
        name="stop",
        datasets=[DatasetSpec(name="diabetes")],
        engines=["lightgbm", "xgboost"],
        grid={"reg_alpha": [0, 0.1, 1], "reg_lambda": [0, 1, 10]},
        params={"n_estimators": 5, "validation_fraction": 0.2},
        folds=2,
    )
    run_study(study, tmp_path / "out", jobs=2, progress=False)
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))

    def popen(*args):
        return subprocess.Popen(
            [sys.executable, "-m", "boostreg.cli", *args],
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def busy(seconds):  # past its imports and the records' reading: computing and drawing the figures (the figures
        # are drawn in child processes, so their CPU time counts too)
        return lambda p: sum(p.cpu_times()[:2]) + sum(sum(c.cpu_times()[:2]) for c in p.children()) > seconds

    _stopped_by_sigterm(popen("report", "out"), busy(2.5))
    # start-up of a run: while its modules load, and while it reads a large data file (before any fit)
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(300_000, 6)).round(4), columns=[f"x{i}" for i in range(6)])
    frame.assign(y=(2 * frame.x0 + rng.normal(size=len(frame))).round(4)).to_csv(tmp_path / "data.csv", index=False)
    (tmp_path / "s.toml").write_text(TINY.format(alpha="[0, 1]"))
    before += [Path("data.csv"), Path("s.toml")]
    started = time.time()
    _stopped_by_sigterm(popen("run", "s.toml", "--out", "new", "-q"), lambda p: time.time() - started > 0.5)

    def reading(p):
        return any(f.path.endswith("data.csv") for f in p.open_files())

    _stopped_by_sigterm(popen("run", "s.toml", "--out", "new", "-q"), reading)
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == sorted(before)  # nothing new, no .tmp
