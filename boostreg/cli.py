"""Command line: parse, call the API, print; a user mistake (BoostregError) is one line and exit code 2."""

from __future__ import annotations

import signal
import sys
import warnings
from pathlib import Path

import click

from .errors import BoostregError

EXIT_USER_ERROR = 2
#: a run whose every fit ran, but some failed (their records say why; the next run tries them again)
EXIT_FAILED_FITS = 3
#: the output folder could not be written (disk full, read-only): what finished is kept
EXIT_IO = 74
EXIT_INTERRUPTED = 130  # Ctrl-C
EXIT_TERMINATED = 143   # SIGTERM


class Terminated(KeyboardInterrupt):
    """SIGTERM, handled like Ctrl-C: stop the workers, keep what finished, say how to resume."""


def _stop_signal(signum, frame):
    """Ctrl-C (SIGINT) or SIGTERM during a run: remember it, then raise it here. A KeyboardInterrupt raised while
    Python runs an object's __del__ (pyarrow's ParquetWriter has one) is printed and dropped, and the run would go on
    to the end; the executor checks what was remembered between tasks, and the run command after the run."""
    from .execute import STOP_REQUESTS

    stop = Terminated if signum == signal.SIGTERM else KeyboardInterrupt
    STOP_REQUESTS.append(stop)
    raise stop()


class _Group(click.Group):
    """Turns BoostregError (and click's own usage errors) into one line on stderr and exit code 2."""

    def main(self, *args, **kwargs):
        kwargs.setdefault("standalone_mode", False)
        try:
            return super().main(*args, **kwargs)
        except BoostregError as err:
            click.echo(f"boostreg: error: {err}", err=True)
            sys.exit(EXIT_USER_ERROR)
        except click.exceptions.Exit as err:
            sys.exit(err.exit_code)
        except click.ClickException as err:
            click.echo(f"boostreg: error: {err.format_message()} (see 'boostreg --help')", err=True)
            sys.exit(EXIT_USER_ERROR)
        except click.exceptions.Abort:
            click.echo("boostreg: stopped.", err=True)
            sys.exit(130)


def _warn_one_line(message, category, filename, lineno, file=None, line=None):
    click.echo(f"boostreg: warning: {message}", err=True)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="boostreg")
def cli():
    """Measure what reg_alpha (L1) and reg_lambda (L2) do to XGBoost and LightGBM.

    \b
    boostreg run                              the default quickstart study
    boostreg run STUDY.toml --out runs/x      a study file
    boostreg run --data my.csv --target y     your own CSV/Parquet on the default grid
    boostreg summary runs/x [--format json]   per dataset and engine: the selected setting and its gain
    boostreg report runs/x                    the HTML report of a run (run writes it too)
    boostreg guide runs/x                     the reg_alpha / reg_lambda tuning guide of a run
    boostreg recommend --data my.csv --target y   the guide's reg_alpha / reg_lambda for your data
    boostreg export runs/x fits.parquet       a run's fit records as one Parquet file
    boostreg datasets                         the built-in datasets
    """
    warnings.showwarning = _warn_one_line


@cli.command()
@click.argument("study_file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", "-o", type=click.Path(file_okay=False, path_type=Path),
              help="Output folder for fits/ and curves/ (default: runs/STUDY_NAME).")
@click.option("--data", type=click.Path(dir_okay=False, path_type=Path),
              help="Run the default grid on your own CSV or Parquet file (needs --target).")
@click.option("--target", help="Target column of --data.")
@click.option("--task", type=click.Choice(["regression", "binary"]), help="Override the task inferred from --target.")
@click.option("--jobs", "-j", type=int, default=None,
              help="Worker processes (default: one per core, each fit single-threaded).")
@click.option("--force", is_flag=True, help="Into a folder that holds another study's records: move them apart to "
                                           "OUT/previous/FINGERPRINT/ and start this study there.")
@click.option("--scheduler", metavar="tcp://HOST:PORT", help="Send fits to an existing Dask cluster.")
@click.option("--dask-local", type=int, metavar="N", help="Start a local Dask cluster with N workers and use it.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@click.option("--no-report", is_flag=True, help="Do not write OUT/report.html at the end.")
@click.option("--dry-run", is_flag=True, help="Print the plan (datasets, engines, fits, a rough time) and write nothing.")
@click.option("--check", type=click.Choice(["sample", "all"]), default=None,
              help="Which fits get the closed-form theory check (default: the study's, else sample: the fits whose leaves "
                   "are stored and one in ten of the rest; all: every fit, slower).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="How to print the closing summary (or the --dry-run plan): a table, or JSON for programs.")
@click.option("--refit", "refit_rule", type=click.Choice(["best", "smallest"]), default=None, flag_value="best",
              is_flag=False, help="After the run, fit each booster's chosen setting (best, or the smallest model "
                                  "within noise: --refit smallest) on every row and save it under OUT/models/.")
def run(study_file, out, data, target, task, jobs, force, scheduler, dask_local, quiet, no_report, dry_run, check, fmt,
        refit_rule):
    """Run a study (default: the quickstart study), store one record per fit, write the HTML report.

    Fits already stored in the output folder are skipped, so running the same command again resumes an
    interrupted study. Results: OUT/fits and OUT/curves (Parquet, read with pandas.read_parquet), and
    OUT/report.html (its path is the last line printed).
    """
    from .study import DEFAULT_STUDY, load_study, single_file_study

    if data is not None and study_file is not None:
        raise BoostregError("give either a study file or --data FILE --target COL, not both.")
    if data is not None:
        if not target:
            raise BoostregError("--data needs --target COLUMN naming the column to predict.")
        study = single_file_study(str(data), target, task)
    else:
        if target or task:
            raise BoostregError("--target and --task go with --data FILE; a study file sets them per dataset.")
        study = load_study(study_file or DEFAULT_STUDY)
    if scheduler and dask_local is not None:
        raise BoostregError("give either --scheduler or --dask-local, not both.")
    if scheduler is not None and not _ADDRESS.fullmatch(scheduler):
        raise BoostregError(f"--scheduler {scheduler!r} is not a Dask scheduler address; expected tcp://HOST:PORT, "
                            "e.g. --scheduler tcp://127.0.0.1:8786.")
    if jobs is not None and jobs < 1:
        import os

        raise BoostregError(f"--jobs {jobs} is not allowed; use a whole number >= 1 (this machine has "
                            f"{os.cpu_count() or 1} cores).")
    _check_name_length(out, "--out")
    if check is not None:
        import dataclasses

        study = dataclasses.replace(study, check=check)
    out = out or Path("runs") / study.name
    if refit_rule and not (study.params.get("validation_fraction")
                           or any(p.get("validation_fraction") for p in study.engine_params.values())):
        raise BoostregError("--refit needs a validation split to choose a setting; add validation_fraction = 0.2 under "
                            "[params] of the study (boostreg run --data adds one), then run it again.")
    if refit_rule:
        import dataclasses

        study = dataclasses.replace(study, refit=refit_rule)
    if dry_run:
        _print_plan(study, out, jobs, fmt)
        return
    if not no_report and ((out / "report.html").is_symlink() or (out / "report.html").exists()):
        from .paths import check_target

        # a report.html that is a folder or a device would fail after every fit: refuse now (boostreg.paths)
        check_target(out / "report.html", "the report", "another --out, or pass --no-report")
    from .execute import STOP_REQUESTS

    STOP_REQUESTS.clear()
    previous = {sig: signal.signal(sig, _stop_signal) for sig in (signal.SIGINT, signal.SIGTERM)}  # SIGTERM = Ctrl-C
    try:
        result = _run(study, out, jobs, quiet, force, scheduler, dask_local)
        if STOP_REQUESTS:  # the signal came while Python dropped the exception (see _stop_signal): stop all the same
            raise STOP_REQUESTS[-1]()
    except KeyboardInterrupt as stop:
        from .store import ParquetStore

        try:
            stored = len(ParquetStore(out).fit_ids()) if out.exists() else 0
        except OSError:
            stored = "some"
        click.echo(f"boostreg: stopped: {stored} fits are stored in {out}; run the same command again to resume.",
                   err=True)
        sys.exit(EXIT_TERMINATED if isinstance(stop, Terminated) else EXIT_INTERRUPTED)
    except OSError as err:  # disk full, a folder made read-only or removed mid-run: the environment, not the study
        click.echo(f"boostreg: error: writing to '{out}' failed ({err.strerror or err}); free space or fix its "
                   "permissions, then run the same command again to resume (finished fits are kept).", err=True)
        sys.exit(EXIT_IO)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if fmt == "json":
        import json

        from .inference import has_validation, summary_records, summary_table

        fits = result.fits
        click.echo(json.dumps(summary_records(summary_table(fits)) if has_validation(fits) else [], indent=1,
                              ensure_ascii=False))
    else:
        _print_run_summary(result)
    for path in result.models:
        click.echo(f"model: {path}")
    if not no_report:
        from .report import build_report

        click.echo(f"report: {build_report(result.out)}")
    failed = result.fits[result.fits.status != "ok"]
    if len(failed):
        click.echo(f"boostreg: error: {len(failed)} of {len(result.fits)} fits failed (stored with status 'failed'; "
                   f"the next run tries them again); first: {failed.dataset.iloc[0]} / {failed.engine.iloc[0]}: "
                   f"{failed.error.iloc[0]}", err=True)
        sys.exit(EXIT_FAILED_FITS)


#: a Dask scheduler address: tcp://HOST:PORT (or tls://, ucx://, ws://, wss://); HOST may be [IPv6]
_ADDRESS = __import__("re").compile(r"(tcp|tls|ucx|wss?)://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.\-]+):\d{1,5}/?")


def _check_name_length(path, what: str) -> None:
    """A file or folder name over 255 bytes cannot be made (ENAMETOOLONG): refuse it up front, not as a full disk."""
    if path is None:
        return
    for part in Path(path).parts:
        if len(part.encode("utf-8", "surrogateescape")) > 255:
            raise BoostregError(f"{what} {_short_path(part)} is a name too long ({len(part.encode('utf-8', 'surrogateescape'))} "
                                "bytes; a file or folder name can be at most 255 bytes); give a shorter name.")


def _short_path(part: str) -> str:
    return repr(part) if len(part) <= 40 else repr(part[:37] + "...")


def _print_plan(study, out, jobs, fmt) -> None:
    """What a run would do, without doing it: datasets, engines, fits per engine, stored ones, a rough time."""
    import json
    import os

    from .run import load_dataset
    from .plan import make_plan
    from .store import ParquetStore

    datasets = {spec.label: load_dataset(spec) for spec in study.datasets}
    groups = make_plan(study, datasets)
    stored = ParquetStore(out).fit_ids() if out.exists() else set()
    rows = []
    for (dataset, engine) in dict.fromkeys((g.dataset, g.engine) for g in groups):
        gs = [g for g in groups if g.dataset == dataset and g.engine == engine]
        fits = sum(len(g.fits) for g in gs)
        todo = sum(1 for g in gs for f in g.fits if f.fit_id not in stored)
        n = datasets[dataset].n_rows
        rounds = float(gs[0].fixed.get("n_estimators", 0) or 0)
        # a rough model of this project's 2-core measurements: ~4e-7 s per training row and round for a booster
        per_fit = 4e-7 * n * rounds + 0.02 if rounds else 0.02
        rows.append({"dataset": dataset, "engine": engine, "rows": n, "groups": len(gs), "fits": fits, "to_run": todo,
                     "estimated_cpu_s": round(per_fit * todo, 1)})
    workers = jobs or os.cpu_count() or 1
    total = {"study": study.name, "out": str(out), "fits": sum(r["fits"] for r in rows),
             "to_run": sum(r["to_run"] for r in rows),
             "estimated_wall_s": round(sum(r["estimated_cpu_s"] for r in rows) / workers, 0), "workers": workers}
    if fmt == "json":
        click.echo(json.dumps({**total, "plan": rows}, indent=1))
        return
    from rich.table import Table

    table = Table(title=f"{study.name}: the plan (nothing is written)", title_justify="left")
    for col in rows[0] if rows else []:
        table.add_column(col, justify="left" if col in ("dataset", "engine") else "right")
    for r in rows:
        table.add_row(*[str(v) for v in r.values()])
    _console().print(table)
    for split in dict.fromkeys(g.split for g in groups if g.split):
        click.echo(f"outer folds: {split}")
    click.echo(f"{total['to_run']} of {total['fits']} fits to run into {out} on {workers} workers: roughly "
               f"{total['estimated_wall_s']:.0f} s (a rough estimate from rows x rounds).")


def _run(study, out, jobs, quiet, force, scheduler, dask_local):
    from .run import run_study

    if dask_local is not None:
        from .distributed import local_cluster

        with local_cluster(dask_local) as address:
            result = run_study(study, out, jobs=jobs, progress=not quiet, force=force, scheduler=address)
    else:
        result = run_study(study, out, jobs=jobs, progress=not quiet, force=force, scheduler=scheduler)
    return result


def _num(v, fmt="{:.3g}") -> str:
    import numpy as np

    return "–" if v is None or (isinstance(v, float) and not np.isfinite(v)) else fmt.format(v)


def _interval(mean, low, high) -> str:
    return f"{_num(mean)} [{_num(low)}, {_num(high)}]"  # e.g. 0.0113 [-0.0138, 0.0364]


def _console():
    from rich.console import Console

    return Console(width=None if sys.stdout.isatty() else 150)  # a pipe or log gets a readable width


def _summary_rich_table(summary, title: str):
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for col, justify in (("dataset", "left"), ("engine", "left"), ("selected (times of folds)", "left"),
                         ("error", "left"), ("gain vs default [95% CI]", "right"), ("rel.", "right"),
                         ("AUC / R² [95% CI]", "right")):
        table.add_column(col, justify=justify, no_wrap=col in ("dataset", "engine", "rel."))
    for _, r in summary.iterrows():
        label = r.engine + (f" ({r.setting})" if r.setting else "")
        if r.fits_present == 0:  # planned, never reached (a stopped run)
            table.add_row(r.dataset, label, f"not reached (0 of {r.n_groups} fold groups)", "", "–", "–", "–")
            continue
        edge = " edge!" if r.at_grid_edge else ""
        if not r.complete:  # failed or missing fits: say so, and on how many groups the gain rests
            edge += f" incomplete: {r.fits_present}/{r.fits_planned} fits, gain over {r.n_used} of {r.n_groups}"
        table.add_row(r.dataset, label, f"{r.selected} ({r.n_selected}/{r.n_groups}){edge}", r.metric,
                      _interval(r.gain_vs_default, r.gain_ci_low, r.gain_ci_high),
                      _num(r.gain_vs_default_relative, "{:+.1%}"),
                      _interval(r.shared_selected, r.shared_ci_low, r.shared_ci_high))
    return table


def _print_answers(run) -> None:
    """The answer: per dataset and engine, the verdict and a line to paste (and the smaller model within noise)."""
    from .refit import answer_rows

    rows = answer_rows(run)
    if not rows:
        return
    click.echo("\nWhat to use (best: the lowest mean validation error over the folds; smaller: the smallest model "
               "whose validation error is within one standard error of it; raw values for your whole table):")
    for r in rows:
        setting = f" ({r['setting']})" if r["setting"] else ""
        click.echo(f"  {r['dataset']} · {r['engine']}{setting}: {r['verdict_text']}")
        if r.get("params_line"):
            click.echo(f"    {r['params_line']}")
        if r.get("params_smallest_line") and r["params_smallest"] != r["params"]:
            size = (f" ({r['smallest_leaves_per_tree']:.3g} vs {r['best_leaves_per_tree']:.3g} leaves carrying a "
                    "value per tree)" if r["kind"] == "booster" else "")
            click.echo(f"    smaller, within noise{size}: {r['params_smallest_line']}")


def _incomplete_line(fits, identity) -> str | None:
    """One line when a fold group failed, misses fits, or was never reached (a killed or failing run), else None."""
    from .inference import group_status

    st = group_status(fits, identity)
    if st.empty or st.complete.all():
        return None
    bad = st[~st.complete]
    return (f"incomplete run: {int(st.complete.sum())} of {len(st)} planned fold groups are complete "
            f"({int(st.n_fits.sum())} fits stored); {int((bad.n_failed > 0).sum())} have a failed fit, "
            f"{int((bad.present & (bad.n_fits < bad.n_expected)).sum())} miss fits and {int((~bad.present).sum())} "
            f"have none yet, over {bad[['dataset', 'engine']].drop_duplicates().shape[0]} dataset x engine pairs. "
            "Gains use complete fold groups only. Run the same command again to finish it.")


SUMMARY_NOTE = ("Gain = test error of the library default minus that of the setting selected on the validation split "
                "(positive: tuning helped), mean over folds x seeds with the corrected resampled t interval "
                "(Nadeau & Bengio 2003); 'rel.' is the mean over folds of the gain divided by that fold's default error; "
                "'edge!': selected on the grid's edge. "
                "AUC (binary) or R² (regression) of the selected setting puts every model on one scale. "
                "'boostreg summary OUT --format json' has every column.")


def _print_run_summary(result) -> None:
    """After a run: the summary table when the study has a validation split, else fit counts and a hint."""
    from rich.table import Table

    from .inference import has_validation, summary_table
    from .run import fit_counts

    fits = result.fits
    console = _console()
    if has_validation(fits):
        _print_summary(result, summary_table(fits, result.identity))
    else:
        counts = fit_counts(fits)
        table = Table(title=f"{fits.study.iloc[0] if len(fits) else ''}: fits", title_justify="left")
        for col in ("dataset", "engine", "fits", "failed", "max exact-zero share", "theory err"):
            table.add_column(col, justify="left" if col in ("dataset", "engine") else "right")
        for _, r in counts.iterrows():
            table.add_row(r.dataset, r.engine, str(r.fits), str(r.failed), _num(r.max_zero_frac),
                          _num(r.theory_max_rel_err))
        console.print(table)
        click.echo("No validation split in this study, so no setting is selected and no gain computed; add "
                   "validation_fraction = 0.2 under [params] for 'boostreg summary'.")
    click.echo(f"{result.n_run} fits run, {result.n_skipped} already stored, {result.wall_time_s:.1f} s wall time.")
    click.echo(f"results: {result.out}")


@cli.command()
@click.argument("out", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="A table for people, or JSON (a list of rows) for programs.")
def summary(out, fmt):
    """What should I use? Per dataset and engine: the validation-selected setting and what it gains.

    \b
    In each fold group (dataset x engine x fold x seed) the setting with the lowest validation error is
    selected (the test fold is never seen), and its test error is compared, on the same outer fold, with the
    library's default penalties (each engine's own, printed below the table: e.g. XGBoost reg_lambda 1,
    CatBoost l2_leaf_reg 3, MLP alpha 1e-4) and with the unpenalized fit. The mean gain over folds x seeds
    gets the corrected resampled t interval (Nadeau & Bengio 2003). Fits that did not converge (MLP's solver
    at max_iter) are counted and named below the table (JSON: n_not_converged_default / _selected).
    Computed from OUT/fits alone.
    """
    import json

    from .results import open_run

    run_ = open_run(out)
    table = run_.summary()
    if fmt == "json":
        click.echo(json.dumps(_summary_json(run_, table), indent=1, ensure_ascii=False))
        return
    _print_summary(run_, table)


def _print_summary(run_, table) -> None:
    """The summary table, its notes (defaults, convergence, an incomplete run) and the answer's lines."""
    from .report.sections import library_defaults_text, not_converged_notes  # the report's own sentences

    fits = run_.fits
    _console().print(_summary_rich_table(table, f"{fits.study.iloc[0]}: what should I use?"))
    click.echo(SUMMARY_NOTE)
    click.echo(f"Library defaults compared against: {library_defaults_text(fits.engine.unique())}.")
    for note in not_converged_notes(table):
        click.echo(note)
    line = _incomplete_line(fits, run_.identity)
    if line:
        click.echo(line)
    _print_answers(run_)


def _summary_json(run_, table) -> list[dict]:
    """The summary's rows, each with the answer: verdict, and the engine's class with ``params`` to paste."""
    from .inference import summary_records
    from .refit import answer_rows

    answers = {(a["dataset"], a["engine"], a["setting"]): a for a in answer_rows(run_)}
    out = []
    for rec in summary_records(table):
        a = answers.get((rec["dataset"], rec["engine"], rec.get("setting") or ""), {})
        rec.update({k: a.get(k) for k in ("verdict", "verdict_text", "best_point", "smallest_point", "estimator",
                                          "params", "params_smallest")})
        out.append(rec)
    return out


@cli.command()
@click.argument("out", type=click.Path(path_type=Path))
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the HTML (default: OUT/report.html).")
def report(out, output):
    """Write the self-contained HTML report of the run in OUT and print its path.

    Figures are embedded; the file makes no network request and can be mailed or printed as it is.
    """
    from .report import build_report

    if not out.is_dir():
        raise BoostregError(f"'{out}' is not a folder of results; give the --out folder of a 'boostreg run'.")
    _check_name_length(output, "--output")
    click.echo(f"report: {build_report(out, output)}")


@cli.command()
@click.argument("results", type=click.Path(path_type=Path))
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the HTML (default: guide.html in RESULTS, or beside it when it is a file); "
                   "the Markdown goes beside it (.md).")
def guide(results, output):
    """Write the tuning guide (HTML and Markdown) of a run and print both paths.

    RESULTS is a run's --out folder or a Parquet file written by 'boostreg export'. Tunability of reg_alpha
    and reg_lambda (Probst et al. 2019), recommended defaults and search ranges, when L1 helps, and
    interactions, all computed from the fit records; the same records give the same files.
    """
    from .guide import write_guide

    if not results.exists():
        raise BoostregError(f"'{results}' does not exist; give the --out folder of a 'boostreg run' or a file "
                            "written by 'boostreg export'.")
    html, md = write_guide(results, output)
    click.echo(f"guide: {html}")
    click.echo(f"guide: {md}")


@cli.command()
@click.argument("out", type=click.Path(path_type=Path))
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def export(out, file):
    """Write every fit record of the run in OUT to one Parquet FILE (zstd), e.g. to commit or share it.

    'boostreg guide FILE' builds the guide from it; pandas.read_parquet(FILE) reads it.
    """
    from .store import ParquetStore

    store = ParquetStore(out)
    store.require_records()
    if file.suffix != ".parquet":
        raise BoostregError(f"'{file}' does not end in .parquet; name the export e.g. fits.parquet.")
    _check_name_length(file, "FILE")
    n = store.export_fits(file)  # refuses a FILE in any run's data or that is not a regular file (boostreg.paths)
    click.echo(f"export: {n} fit records -> {file}")


@cli.command()
@click.option("--data", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Your CSV or Parquet file.")
@click.option("--target", required=True, help="The column to predict.")
@click.option("--task", type=click.Choice(["regression", "binary"]), help="Override the task inferred from --target.")
@click.option("--engine", type=click.Choice(["xgboost", "lightgbm"]), multiple=True,
              help="Only this engine (repeatable; default: both).")
@click.option("--check", is_flag=True,
              help="Also fit the recommended values and the library default by 5-fold cross-validation on your data "
                   "(the guide's settings) and keep the one with the lower mean validation error, as the guide "
                   "advises: ten full fits per engine.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="A table for people, or JSON (a list with one object per engine) for programs.")
def recommend(data, target, task, engine, check, fmt):
    """reg_alpha and reg_lambda for YOUR data, from the tuning guide, in raw units.

    \b
    The guide (reports/tuning_guide/) states its advice relative to the data: reg_alpha as a fraction of
    alpha_max and reg_lambda as a multiple of H-bar of one unpenalized tree. This fits that one tree per
    engine on your file (seconds), and prints the starting values, the search ranges, the rule they come
    from and its out-of-sample record, and the settings the advice assumes (learning rate, tree size, early
    stopping). The guide's advice is to fit these values beside the library default and keep whichever has
    the lower validation error; --check does that on your data.
    """
    import json

    from .data import load_file
    from .recommend import recommend_for

    ds = load_file(data, target, task=task)
    advice = recommend_for(ds, list(engine) or None, check=check)
    if fmt == "json":
        click.echo(json.dumps([a.to_dict() for a in advice], indent=1, ensure_ascii=False))
        return
    from rich.table import Table

    table = Table(title=f"reg_alpha and reg_lambda for {data.name} ({ds.task}, {len(ds.y)} rows)", title_justify="left")
    for col in ("engine", "reg_alpha", "reg_lambda", "search reg_alpha", "search reg_lambda", "α_max", "H̄"):
        table.add_column(col, justify="left" if col == "engine" else "right")
    for a in advice:
        rng = lambda r: f"[{_num(r[0])}, {_num(r[1])}]" if r else "–"
        table.add_row(a.engine, _num(a.reg_alpha), _num(a.reg_lambda), rng(a.reg_alpha_range), rng(a.reg_lambda_range),
                      _num(a.alpha_max), _num(a.h_bar))
    _console().print(table)
    for a in advice:
        settings = ", ".join(f"{k}={v}" for k, v in a.assumptions.items() if k != "note")
        click.echo(f"{a.engine}: {a.reg_alpha_relative:g} x alpha_max and {a.reg_lambda_relative:g} x H-bar. {a.rule} "
                   f"Assumes {settings}.")
        if a.check:
            c = a.check
            click.echo(f"{a.engine}, checked by {c['folds']}-fold cross-validation on your rows (mean validation "
                       f"error): recommended {c['valid_error_recommended']:.5g} vs library default "
                       f"{c['valid_error_default']:.5g} (recommended better on {c['folds_recommended_better']} of "
                       f"{c['folds']} folds) -> keep the {c['kept']} (reg_alpha {_num(c['reg_alpha'])}, "
                       f"reg_lambda {_num(c['reg_lambda'])}).")
        click.echo(f"{a.engine}, evidence for what was done here ({a.evidence['procedure']}): {a.evidence['text']}")
        from .refit import paste_line

        click.echo(f"  {paste_line({'class': a.estimator, 'params': a.params})}  # fit(X, y, eval_set=[(X_valid, "
                   "y_valid)]) with a 20% validation split of your rows: early stopping as the guide assumes")
    click.echo(advice[0].assumptions["note"] + " (the lines above use all your rows' values, as the hold-out check "
               "that --check quotes did).")
    if not check:
        click.echo("These values are not checked on your data: the guide's advice is to fit them beside the library "
                   "default and keep whichever has the lower validation error (the --check option does that).", err=True)


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="A table for people, or JSON (a list of cards) for programs.")
def datasets(fmt):
    """List the built-in datasets: name, rows, columns, task, categorical columns, source.

    Each has a card in datasets/NAME.toml with its licence, citation and the columns dropped.
    """
    from rich.console import Console
    from rich.table import Table

    from .data import dataset_summary

    frame = dataset_summary()[["name", "rows", "columns", "task", "categorical", "source"]]
    if fmt == "json":
        import json

        click.echo(json.dumps(dataset_summary().to_dict(orient="records"), indent=1, default=str))
        return
    table = Table(title="built-in datasets (cards with licence and citation: datasets/NAME.toml)")
    for col in frame.columns:
        table.add_column(col, no_wrap=col in ("name", "task"), justify="right" if col in ("rows", "columns", "categorical") else "left")
    for _, row in frame.iterrows():
        table.add_row(*[str(v) for v in row])
    Console().print(table)


def main():
    cli()


if __name__ == "__main__":
    main()
