"""Kill a real sweep (SIGKILL, whole process group) at random moments, resume, and get an uninterrupted run's store."""

import os
import random
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest

from boostreg import load_study, run_study
from boostreg.store import ParquetStore

pytestmark = pytest.mark.slow  # real runs killed at random moments and resumed

STUDY = """[study]
name = "crash"
engines = ["xgboost", "lightgbm"]
folds = 2
seeds = [0]
[[datasets]]
name = "sparse_linear"
params = { n_samples = 600 }
[[datasets]]
name = "breast_cancer"
[grid]
reg_alpha = [0, 1, 10]
reg_lambda = [0, 1, 10]
[params]
n_estimators = 60
learning_rate = 0.2
"""
COMPARE = [
    "train_error",
    "test_error",
    "leaf_abs_mean",
    "zero_leaf_frac",
    "shrinkage_vs_unpenalized",
    "n_leaves_mean",
    "theory_max_rel_err",
]


def _start(study_path, out, jobs=2):
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "boostreg.cli",
            "run",
            str(study_path),
            "--out",
            str(out),
            "-q",
            "--no-report",
            "--jobs",
            str(jobs),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
        text=True,
    )


def _assert_same_store(reference: ParquetStore, resumed: ParquetStore):
    a, b = reference.fits(), resumed.fits()
    assert b.fit_id.is_unique
    assert set(a.fit_id) == set(b.fit_id)
    assert (b.status == "ok").all()
    a, b = a.set_index("fit_id").sort_index(), b.set_index("fit_id").sort_index()
    pd.testing.assert_frame_equal(a[COMPARE], b[COMPARE], check_exact=False, rtol=1e-12)
    curves = resumed.curves()
    assert not curves.duplicated(["fit_id", "round"]).any()
    counts = curves.groupby("fit_id").size()
    np.testing.assert_array_equal(counts.reindex(b.index).to_numpy(), b.n_trees.to_numpy())
    leftovers = [p for d in (resumed.fits_dir, resumed.curves_dir) for p in d.iterdir() if p.name.startswith(".")]
    assert leftovers == []


def test_sigkill_at_random_moments_then_resume_gives_the_uninterrupted_store(tmp_path):
    study_path = tmp_path / "crash.toml"
    study_path.write_text(STUDY)
    reference = run_study(load_study(study_path), tmp_path / "reference", jobs=1, progress=False)
    total = reference.n_planned
    seed = int(os.environ.get("BOOSTREG_CRASH_SEED", time.time()))
    rng = random.Random(seed)
    out = tmp_path / "killed"
    stored_after_kill = []
    deadline = time.monotonic() + 180
    for _ in range(4):
        before = len(ParquetStore(out).fit_ids()) if out.exists() else 0
        proc = _start(study_path, out)
        while proc.poll() is None and time.monotonic() < deadline:  # wait for this run's first stored fit ...
            time.sleep(0.05)
            if out.exists() and len(ParquetStore(out).fit_ids()) > before:
                break
        time.sleep(rng.uniform(0.0, 1.5))  # ... then kill at a random moment of the sweep
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        stored_after_kill.append(len(ParquetStore(out).fit_ids()) if out.exists() else 0)
        if stored_after_kill[-1] == total or time.monotonic() > deadline:
            break
    assert 0 < stored_after_kill[0] < total, f"the first kill was not mid-sweep: {stored_after_kill} (seed {seed})"
    final = _start(study_path, out)
    _, err = final.communicate(timeout=300)
    assert final.returncode == 0, err
    _assert_same_store(ParquetStore(tmp_path / "reference"), ParquetStore(out))
    print(f"seed {seed}: fits stored after each kill {stored_after_kill} of {total}")


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_ctrl_c_stops_cleanly_keeps_what_finished_and_says_how_to_resume(tmp_path):
    study_path = tmp_path / "crash.toml"
    study_path.write_text(STUDY)
    out = tmp_path / "interrupted"
    proc = _start(study_path, out)
    for _ in range(200):  # wait until some fits are stored, then press Ctrl-C (SIGINT to the process group)
        time.sleep(0.1)
        if out.exists() and len(ParquetStore(out).fit_ids()) >= 3:
            break
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "run the same command again to resume" in lines[0], err
    stored = ParquetStore(out).fits()
    assert 3 <= len(stored) and (stored.status == "ok").all()
    printed = int(lines[0].split("stopped: ")[1].split()[0])
    assert printed <= len(stored) <= printed + 2  # a worker may finish one write while it is being stopped


def test_a_stopped_run_leaves_no_resource_tracker_warnings_on_the_terminal():
    """After Ctrl-C, loky's resource tracker (a separate process sharing stderr) could print "leaked semlock
    objects" and a FileNotFoundError after boostreg's one line, for semaphores already unlinked. The tracker takes
    the interpreter's -W options when it starts; boostreg adds a filter for exactly those messages. A process that
    registers a semaphore and exits without unregistering it shows the warnings without the filter, none with it."""
    script = (
        "import sys\n"
        "if sys.argv[1] == 'quiet':\n"
        "    from boostreg.executors import quiet_resource_tracker; quiet_resource_tracker()\n"
        "from joblib.externals.loky.backend import resource_tracker\n"
        "resource_tracker.register('/loky-boostreg-test-{}'.format(sys.argv[1]), 'semlock')\n"
    )
    loud = subprocess.run([sys.executable, "-c", script, "loud"], capture_output=True, text=True, timeout=60)
    quiet = subprocess.run([sys.executable, "-c", script, "quiet"], capture_output=True, text=True, timeout=60)
    assert "leaked semlock" in loud.stderr and "FileNotFoundError" in loud.stderr
    assert quiet.returncode == 0 and quiet.stderr == ""


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # the drop this test stages
def test_a_stop_signal_dropped_inside_a_finalizer_still_stops_the_run(tmp_path):
    """Python drops an exception raised inside __del__ (pyarrow's ParquetWriter has one): a Ctrl-C landing there
    would let the run go on to the end and exit 0. The handler remembers the signal; the executor raises it between
    tasks, so nothing more is fitted."""
    from boostreg import cli
    from boostreg.executors import local as execute

    class Finalized:
        def __del__(self):
            cli._stop_signal(signal.SIGINT, None)

    study_path = tmp_path / "crash.toml"
    study_path.write_text(STUDY)
    try:
        Finalized()  # collected at once: the handler's KeyboardInterrupt is printed and dropped
        assert execute.STOP_REQUESTS == [KeyboardInterrupt]
        with pytest.raises(KeyboardInterrupt):
            run_study(load_study(study_path), tmp_path / "out", jobs=1, progress=False)
        assert ParquetStore(tmp_path / "out").fit_ids() == set()
    finally:
        execute.STOP_REQUESTS.clear()


def test_a_killed_runs_summary_says_it_is_incomplete_and_never_scores_a_missing_group(tmp_path):
    """A real run stopped part-way: the summary counts the stored fits against the plan and says how to finish."""
    from click.testing import CliRunner

    from boostreg.cli import cli

    study_path = tmp_path / "valid.toml"
    study_path.write_text(STUDY.replace("learning_rate = 0.2", "learning_rate = 0.2\nvalidation_fraction = 0.2"))
    out = tmp_path / "killed"
    proc = _start(study_path, out, jobs=1)
    for _ in range(300):
        time.sleep(0.1)
        if out.exists() and len(ParquetStore(out).fit_ids()) >= 12:
            break
    os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=60)
    stored = len(ParquetStore(out).fit_ids())
    total = 2 * 2 * 2 * 10  # datasets x engines x folds x (9 grid points + the default off XGBoost's grid / LightGBM's)
    assert 12 <= stored < total
    res = CliRunner().invoke(cli, ["summary", str(out)])
    assert res.exit_code == 0, res.output
    (line,) = [x for x in res.output.splitlines() if x.startswith("incomplete run:")]
    assert f"of 8 planned fold groups are complete ({stored} fits stored)" in line
    assert "Run the same command again to finish it." in line
    summary = pd.DataFrame(
        __import__("json").loads(CliRunner().invoke(cli, ["summary", str(out), "--format", "json"]).output)
    )
    assert len(summary) == 4 and not summary.complete.all()  # every planned dataset x engine has a row
    assert (summary.n_groups == 2).all() and (summary.n_used <= summary.n_groups).all()
    assert summary.fits_present.sum() == stored
    unreached = summary[summary.fits_present == 0]
    assert unreached.gain_vs_default.isna().all() and (unreached.selected == "not reached").all()
