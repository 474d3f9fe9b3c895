"""The commands that read a run folder (through :func:`boostreg.results.open_run`, the one reader of a folder):
``summary``, ``report``, ``guide`` and ``export``."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..errors import BoostregError
from .console import format_option, print_summary, summary_json
from .run_cmd import check_name_length


@click.command()
@click.argument("out", type=click.Path(path_type=Path))
@format_option("A table for people, or JSON (a list of rows) for programs.")
def summary(out, fmt):
    """What should I use? Per dataset and engine: the validation-selected setting and what it gains.

    \b
    In each fold group (dataset x engine x fold x seed) the setting with the lowest validation error is
    selected (the test fold is never seen), and its test error is compared, on the same outer fold, with the
    library's default penalties (each engine's own, printed below the table) and with the unpenalized fit.
    The mean gain over folds x seeds gets the corrected resampled t interval (Nadeau & Bengio 2003). Fits
    that did not converge (a solver stopped at its iteration limit) are counted and named below the table
    (JSON: n_not_converged_default / _selected). Computed from OUT/fits alone.
    """
    from ..results import open_run

    run = open_run(out)
    table = run.summary()
    if fmt == "json":
        click.echo(json.dumps(summary_json(run, table), indent=1, ensure_ascii=False))
        return
    print_summary(run, table)


@click.command()
@click.argument("out", type=click.Path(path_type=Path))
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the HTML (default: OUT/report.html).",
)
def report(out, output):
    """Write the self-contained HTML report of the run in OUT and print its path.

    Figures are embedded; the file makes no network request and can be mailed or printed as it is.
    """
    from ..results import open_run

    if not out.is_dir():
        raise BoostregError(f"'{out}' is not a folder of results; give the --out folder of a 'boostreg run'.")
    check_name_length(output, "--output")
    click.echo(f"report: {open_run(out).report(output)}")


@click.command()
@click.argument("results", type=click.Path(path_type=Path))
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the HTML (default: guide.html in RESULTS, or beside it when it is a file); "
    "the Markdown goes beside it (.md).",
)
def guide(results, output):
    """Write the tuning guide (HTML and Markdown) of a run and print both paths.

    RESULTS is a run's --out folder or a Parquet file written by 'boostreg export'. Tunability of reg_alpha
    and reg_lambda (Probst et al. 2019), recommended defaults and search ranges, when L1 helps, and
    interactions, all computed from the fit records; the same records give the same files.
    """
    from ..guide import write_guide
    from ..results import open_run
    from ..store import read_fits_file

    if not results.exists():
        raise BoostregError(
            f"'{results}' does not exist; give the --out folder of a 'boostreg run' or a file "
            "written by 'boostreg export'."
        )
    if results.is_file():
        fits, folder = read_fits_file(results), results.parent
    else:
        fits, folder = open_run(results).fits, results
    html, md = write_guide(fits, output or folder / "guide.html", source=str(results))
    click.echo(f"guide: {html}")
    click.echo(f"guide: {md}")


@click.command()
@click.argument("out", type=click.Path(path_type=Path))
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def export(out, file):
    """Write every fit record of the run in OUT to one Parquet FILE (zstd), e.g. to commit or share it.

    'boostreg guide FILE' builds the guide from it; pandas.read_parquet(FILE) reads it.
    """
    from ..results import open_run

    run = open_run(out)
    if file.suffix != ".parquet":
        raise BoostregError(f"'{file}' does not end in .parquet; name the export e.g. fits.parquet.")
    check_name_length(file, "FILE")
    n = run.store.export_fits(file)  # refuses a FILE in any run's data or that is not a regular file (boostreg.paths)
    click.echo(f"export: {n} fit records -> {file}")
