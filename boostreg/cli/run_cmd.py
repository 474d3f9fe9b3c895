"""``boostreg run``: check the options, run the study (or print its plan), then the summary, models and report."""

from __future__ import annotations

import dataclasses
import json
import math
import os
import re
import signal
import sys
from pathlib import Path

import click

from ..errors import BoostregError
from ..fmt import num
from .app import EXIT_FAILED_FITS, EXIT_INTERRUPTED, EXIT_IO, EXIT_TERMINATED, Terminated, stop_signal
from .console import console, features_option, format_option, print_summary, rich_table, task_option

# the modules that fit, read records or compute tables are imported by the command that needs them: 'boostreg
# --help' and a refused option answer without loading the engines' libraries

#: a Dask scheduler address: tcp://HOST:PORT (or tls://, ucx://, ws://, wss://); HOST may be [IPv6]
_ADDRESS = re.compile(r"(tcp|tls|ucx|wss?)://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.\-]+):\d{1,5}/?")


def check_name_length(path, what: str) -> None:
    """A file or folder name over 255 bytes cannot be made (ENAMETOOLONG): refuse it up front, not as a full disk."""
    if path is None:
        return
    for part in Path(path).parts:
        size = len(part.encode("utf-8", "surrogateescape"))
        if size > 255:
            shown = repr(part) if len(part) <= 40 else repr(part[:37] + "...")
            raise BoostregError(
                f"{what} {shown} is a name too long ({size} bytes; a file or folder name can be at "
                "most 255 bytes); give a shorter name."
            )


def _study_from_options(study_file, data, target, task, groups=None, weight=None, features=None):
    from ..study import DEFAULT_STUDY, load_study, single_file_study

    if data is not None and study_file is not None:
        raise BoostregError("give either a study file or --data FILE --target COL, not both.")
    if data is not None:
        if not target:
            raise BoostregError("--data needs --target COLUMN naming the column to predict.")
        return single_file_study(str(data), target, task, groups=groups, weight=weight, features=features)
    if target or task or groups or weight or features:
        raise BoostregError(
            "--target, --task, --groups, --weight and --features go with --data FILE; a study file sets them per "
            "dataset."
        )
    return load_study(study_file or DEFAULT_STUDY)


@click.command()
@click.argument("study_file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--out",
    "-o",
    type=click.Path(file_okay=False, path_type=Path),
    help="Output folder for fits/ and curves/ (default: runs/STUDY_NAME).",
)
@click.option(
    "--data",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Run the default grid on your own CSV or Parquet file (needs --target).",
)
@click.option("--target", help="Target column of --data.")
@task_option
@click.option(
    "--groups",
    metavar="COLUMN",
    help="A column of group labels in --data (a patient, a store): each group stays whole on one side of every "
    "outer fold and validation split.",
)
@click.option(
    "--weight",
    metavar="COLUMN",
    help="A column of sample weights in --data (numbers >= 0): it leaves the features; fits and metrics use it.",
)
@features_option
@click.option(
    "--jobs", "-j", type=int, default=None, help="Worker processes (default: one per core, each fit single-threaded)."
)
@click.option(
    "--force",
    is_flag=True,
    help="Into a folder that holds another study's records: move them apart to "
    "OUT/previous/FINGERPRINT/ and start this study there.",
)
@click.option("--scheduler", metavar="tcp://HOST:PORT", help="Send fits to an existing Dask cluster.")
@click.option("--dask-local", type=int, metavar="N", help="Start a local Dask cluster with N workers and use it.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@click.option("--no-report", is_flag=True, help="Do not write OUT/report.html at the end.")
@click.option(
    "--dry-run", is_flag=True, help="Print the plan (datasets, engines, fits, a rough time) and write nothing."
)
@click.option(
    "--check",
    type=click.Choice(["sample", "all"]),
    default=None,
    help="Which fits get the closed-form theory check (default: the study's, else sample: the fits whose "
    "leaves are stored and one in ten of the rest; all: every fit, slower).",
)
@click.option(
    "--curves",
    type=click.Choice(["checked", "all"]),
    default=None,
    help="Which fits keep a per-round training curve (default: the study's, else checked: the theory-checked "
    "fits; the others keep their final training error and per-round test/validation curves; all: every fit, "
    "slower).",
)
@click.option(
    "--fit-timeout",
    type=float,
    default=None,
    metavar="SECONDS",
    help="Stop a fit that runs longer and store it as failed (default: the study's fit_timeout, else no limit; "
    "not enforced on Dask).",
)
@format_option("How to print the closing summary (or the --dry-run plan): a table, or JSON for programs.")
@click.option(
    "--refit",
    "refit_rule",
    type=click.Choice(["best", "smallest"]),
    default=None,
    flag_value="best",
    is_flag=False,
    help="After the run, fit each booster's chosen setting (best, or the smallest model "
    "within noise: --refit smallest) on every row and save it under OUT/models/.",
)
def run(
    study_file,
    out,
    data,
    target,
    task,
    groups,
    weight,
    features,
    jobs,
    force,
    scheduler,
    dask_local,
    quiet,
    no_report,
    dry_run,
    check,
    curves,
    fit_timeout,
    fmt,
    refit_rule,
):
    """Run a study (default: the quickstart study), store one record per fit, write the HTML report.

    Fits already stored in the output folder are skipped, so running the same command again resumes an
    interrupted study. Results: OUT/fits and OUT/curves (Parquet, read with pandas.read_parquet), and
    OUT/report.html (its path is the last line printed).
    """
    study = _study_from_options(study_file, data, target, task, groups, weight, features)
    if scheduler and dask_local is not None:
        raise BoostregError("give either --scheduler or --dask-local, not both.")
    if scheduler is not None and not _ADDRESS.fullmatch(scheduler):
        raise BoostregError(
            f"--scheduler {scheduler!r} is not a Dask scheduler address; expected tcp://HOST:PORT, "
            "e.g. --scheduler tcp://127.0.0.1:8786."
        )
    if jobs is not None and jobs < 1:
        raise BoostregError(
            f"--jobs {jobs} is not allowed; use a whole number >= 1 (this machine has {os.cpu_count() or 1} cores)."
        )
    check_name_length(out, "--out")
    if check is not None:
        study = dataclasses.replace(study, check=check)
    if curves is not None:
        study = dataclasses.replace(study, curves=curves)
    if fit_timeout is not None:
        if not (math.isfinite(fit_timeout) and fit_timeout > 0):
            raise BoostregError(
                f"--fit-timeout {fit_timeout:g} is not allowed; give a positive number of seconds, e.g. "
                "--fit-timeout 600 (the most one fit may take)."
            )
        study = dataclasses.replace(study, fit_timeout=fit_timeout)
    out = out or Path("runs") / study.name
    if refit_rule and not study.has_validation_split:
        raise BoostregError(
            "--refit needs a validation split to choose a setting; add validation_fraction = 0.2 under "
            "[params] of the study (boostreg run --data adds one), then run it again."
        )
    if refit_rule:
        study = dataclasses.replace(study, refit=refit_rule)
    if dry_run:
        from .dry_run import print_plan

        print_plan(study, out, jobs, fmt, report=not no_report)
        return
    if not no_report and ((out / "report.html").is_symlink() or (out / "report.html").exists()):
        from ..paths import check_target

        # a report.html that is a folder or a device would fail after every fit: refuse now (boostreg.paths)
        check_target(out / "report.html", "the report", "another --out, or pass --no-report")
    result = _run_with_signals(study, out, jobs, quiet, force, scheduler, dask_local)
    from ..inference import has_validation
    from ..tables import summary_records, summary_table

    if fmt == "json":
        fits = result.fits
        click.echo(
            json.dumps(
                summary_records(summary_table(fits)) if has_validation(fits) else [], indent=1, ensure_ascii=False
            )
        )
    else:
        _print_run_summary(result)
    for path in result.models:
        click.echo(f"model: {path}")
    if not no_report:
        click.echo(f"report: {result.report()}")
    failed = result.fits[result.fits.status != "ok"]
    if len(failed):
        click.echo(
            f"boostreg: error: {len(failed)} of {len(result.fits)} fits failed (stored with status 'failed'; "
            f"the next run tries them again); first: {failed.dataset.iloc[0]} / {failed.engine.iloc[0]}: "
            f"{failed.error.iloc[0]}",
            err=True,
        )
        sys.exit(EXIT_FAILED_FITS)


def _run_with_signals(study, out, jobs, quiet, force, scheduler, dask_local):
    """Run the study with Ctrl-C and SIGTERM stopping it (what finished is kept); an unwritable folder is one line."""
    from ..executors.local import STOP_REQUESTS
    from ..results import Run

    STOP_REQUESTS.clear()
    previous = {sig: signal.signal(sig, stop_signal) for sig in (signal.SIGINT, signal.SIGTERM)}  # SIGTERM = Ctrl-C
    try:
        result = _run(study, out, jobs, quiet, force, scheduler, dask_local)
        if STOP_REQUESTS:  # the signal came while Python dropped the exception (see stop_signal): stop all the same
            raise STOP_REQUESTS[-1]()
    except KeyboardInterrupt as stop:
        try:
            stored = len(Run(out).fit_ids()) if out.exists() else 0
        except OSError:
            stored = "some"
        click.echo(
            f"boostreg: stopped: {stored} fits are stored in {out}; run the same command again to resume.", err=True
        )
        sys.exit(EXIT_TERMINATED if isinstance(stop, Terminated) else EXIT_INTERRUPTED)
    except OSError as err:  # disk full, a folder made read-only or removed mid-run: the environment, not the study
        click.echo(
            f"boostreg: error: writing to '{out}' failed ({err.strerror or err}); free space or fix its "
            "permissions, then run the same command again to resume (finished fits are kept).",
            err=True,
        )
        sys.exit(EXIT_IO)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return result


def _run(study, out, jobs, quiet, force, scheduler, dask_local):
    from ..run import run_study

    if dask_local is not None:
        from ..executors.dask import local_cluster

        with local_cluster(dask_local) as address:
            return run_study(study, out, jobs=jobs, progress=not quiet, force=force, scheduler=address)
    return run_study(study, out, jobs=jobs, progress=not quiet, force=force, scheduler=scheduler)


def _print_run_summary(result) -> None:
    """After a run: the summary table when the study has a validation split, else fit counts and a hint."""
    from ..fit import fit_counts
    from ..inference import has_validation
    from ..tables import summary_table

    fits = result.fits
    if has_validation(fits):
        print_summary(result, summary_table(fits, result.identity))
    else:
        rows = [
            (r.dataset, r.engine, r.fits, r.failed, num(r.max_zero_frac), num(r.theory_max_rel_err))
            for r in fit_counts(fits).itertuples()
        ]
        console().print(
            rich_table(
                f"{fits.study.iloc[0] if len(fits) else ''}: fits",
                ("dataset", "engine", "fits", "failed", "max exact-zero share", "theory err"),
                rows,
            )
        )
        click.echo(
            "No validation split in this study, so no setting is selected and no gain computed; add "
            "validation_fraction = 0.2 under [params] for 'boostreg summary'."
        )
    click.echo(f"{result.n_run} fits run, {result.n_skipped} already stored, {result.wall_time_s:.1f} s wall time.")
    click.echo(f"results: {result.out}")
