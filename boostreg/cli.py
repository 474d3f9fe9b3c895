"""Command line: parse, call the API, print; a user mistake (BoostregError) is one line and exit code 2."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import click

from .errors import BoostregError

EXIT_USER_ERROR = 2


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
    boostreg report runs/x                    the HTML report of a run (run writes it too)
    boostreg guide runs/x                     the reg_alpha / reg_lambda tuning guide of a run
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
@click.option("--force", is_flag=True, help="Add to an output folder that holds another study's results.")
@click.option("--scheduler", metavar="tcp://HOST:PORT", help="Send fits to an existing Dask cluster.")
@click.option("--dask-local", type=int, metavar="N", help="Start a local Dask cluster with N workers and use it.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@click.option("--no-report", is_flag=True, help="Do not write OUT/report.html at the end.")
def run(study_file, out, data, target, task, jobs, force, scheduler, dask_local, quiet, no_report):
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
    if scheduler and dask_local:
        raise BoostregError("give either --scheduler or --dask-local, not both.")
    out = out or Path("runs") / study.name
    try:
        result = _run(study, out, jobs, quiet, force, scheduler, dask_local)
    except KeyboardInterrupt:
        from .store import ParquetStore

        stored = len(ParquetStore(out).fit_ids()) if out.exists() else 0
        click.echo(f"boostreg: stopped: {stored} fits are stored in {out}; run the same command again to resume.",
                   err=True)
        sys.exit(130)
    _print_summary(result)
    if not no_report:
        from .report import build_report

        click.echo(f"report: {build_report(result.out)}")


def _run(study, out, jobs, quiet, force, scheduler, dask_local):
    from .run import run_study

    if dask_local:
        from .distributed import local_cluster

        with local_cluster(dask_local) as address:
            result = run_study(study, out, jobs=jobs, progress=not quiet, force=force, scheduler=address)
    else:
        result = run_study(study, out, jobs=jobs, progress=not quiet, force=force, scheduler=scheduler)
    return result


def _print_summary(result) -> None:
    """A compact table from run.summarize: best penalty per dataset and engine, sparsity, theory check."""
    import numpy as np
    from rich.console import Console
    from rich.table import Table

    from .run import summarize

    def num(v):
        return "–" if v is None or (isinstance(v, float) and not np.isfinite(v)) else f"{v:.3g}"

    fits = result.fits
    summary = summarize(fits)
    table = Table(title=f"{fits.study.iloc[0] if len(fits) else ''}: best penalty by mean test error",
                  title_justify="left")
    for col, justify in (("dataset", "left"), ("engine", "left"), ("fits", "right"), ("best penalty", "left"),
                         ("test error", "right"), ("unpenalized", "right"), ("max zeros", "right"),
                         ("theory err", "right")):
        table.add_column(col, justify=justify, no_wrap=col in ("dataset", "engine"))
    for _, r in summary.iterrows():
        if np.isfinite(r.get("best_reg_alpha", np.nan)):
            best = f"α={r.best_reg_alpha:g} λ={r.best_reg_lambda:g}"
        else:
            best = f"{r.get('best_penalty', np.nan):g}" if np.isfinite(r.get("best_penalty", np.nan)) else "–"
        zeros = r.get("max_zero_leaf_frac", np.nan)
        zeros = zeros if np.isfinite(zeros) else r.get("max_zero_coef_frac", np.nan)
        fits_cell = f"{r.fits}" + (f" ({r.failed} failed)" if r.failed else "")
        table.add_row(r.dataset, r.engine, fits_cell, best, num(r.get("best_test_error")),
                      num(r.get("unpenalized_test_error")), num(zeros), num(r.get("theory_max_rel_err")))
    console = Console(width=None if sys.stdout.isatty() else 130)  # a pipe or log gets a readable width
    console.print(table)
    console.print(f"{result.n_run} fits run, {result.n_skipped} already stored, "
                  f"{result.wall_time_s:.1f} s wall time. Errors: {', '.join(sorted(set(fits.primary_metric.dropna())))}"
                  " (lower is better); 'unpenalized' is reg_alpha = reg_lambda = 0 or a baseline's least penalty.")
    click.echo(f"results: {result.out}")


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
    if not out.is_dir() or not store.fit_ids():
        raise BoostregError(f"'{out}' holds no fit records (no {out}/fits); give the --out folder of a 'boostreg run'.")
    if file.suffix != ".parquet":
        raise BoostregError(f"'{file}' does not end in .parquet; name the export e.g. fits.parquet.")
    if not file.parent.exists():
        raise BoostregError(f"folder '{file.parent}' does not exist; create it or choose another FILE.")
    n = store.export_fits(file)
    click.echo(f"export: {n} fit records -> {file}")


@cli.command()
def datasets():
    """List the built-in datasets: name, rows, columns, task, categorical columns, source.

    Each has a card in datasets/NAME.toml with its licence, citation and the columns dropped.
    """
    from rich.console import Console
    from rich.table import Table

    from .data import dataset_summary

    frame = dataset_summary()[["name", "rows", "columns", "task", "categorical", "source"]]
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
