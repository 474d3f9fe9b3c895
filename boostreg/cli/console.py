"""What the commands print: the summary table and its notes, the answer's lines to paste, fit counts.

Numbers go through :mod:`boostreg.fmt`, sentences shared with the report come from it, and every table is built
from ``Run.summary()`` / ``Run.answers()``, so the console says what the report says.
"""

from __future__ import annotations

import sys

import click

from ..engines import defaults_sentence
from ..fmt import DASH, interval, num, pct


def format_option(help_text: str):
    """The ``--format table|json`` option every printing command shares (``fmt`` in the command)."""
    return click.option(
        "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True, help=help_text
    )


def _split_columns(ctx, param, text: str | None) -> list[str] | None:
    """``--features a,b,c`` as a list of column names (None when not given)."""
    if text is None:
        return None
    return [c.strip() for c in text.split(",") if c.strip()] or [""]


#: ``--task`` and ``--features`` of the commands that read a user's file (``run --data``, ``recommend``)
task_option = click.option(
    "--task",
    type=click.Choice(["regression", "binary", "multiclass"]),
    help="Override the task inferred from --target (say it for whole-number targets with few values).",
)
features_option = click.option(
    "--features",
    metavar="COL,COL,...",
    callback=_split_columns,
    help="The columns to learn from, comma-separated (default: every other column, row numbers dropped); a listed "
    "column is kept even where it looks like row numbers.",
)


SUMMARY_NOTE = (
    "Gain = test error of the library default minus that of the setting selected on the validation split "
    "(positive: tuning helped), mean over folds x seeds with the corrected resampled t interval "
    "(Nadeau & Bengio 2003); 'rel.' is the mean over folds of the gain divided by that fold's default "
    "error; 'edge!': selected on the grid's edge. "
    "AUC (binary) or R² (regression) of the selected setting puts every model on one scale. "
    "'boostreg summary OUT --format json' has every column."
)


def console(pipe_width: int | None = 150):
    """A rich console: the terminal's width, or ``pipe_width`` when the output is a pipe or a log."""
    from rich.console import Console

    return Console(width=None if sys.stdout.isatty() else pipe_width)


def rich_table(title: str, columns, rows, *, left=("dataset", "engine"), no_wrap=()):
    """A rich table: ``columns`` (text columns in ``left`` are left-aligned, the rest right), ``rows`` of strings."""
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for col in columns:
        table.add_column(col, justify="left" if col in left else "right", no_wrap=col in no_wrap)
    for row in rows:
        table.add_row(*[str(v) for v in row])
    return table


def _summary_rows(summary):
    for _, r in summary.iterrows():
        label = r.engine + (f" ({r.setting})" if r.setting else "")
        if r.fits_present == 0:  # planned, never reached (a stopped run)
            yield r.dataset, label, f"not reached (0 of {r.n_groups} fold groups)", "", DASH, DASH, DASH
            continue
        edge = " edge!" if r.at_grid_edge else ""
        if not r.complete:  # failed or missing fits: say so, and on how many groups the gain rests
            edge += f" incomplete: {r.fits_present}/{r.fits_planned} fits, gain over {r.n_used} of {r.n_groups}"
        yield (
            r.dataset,
            label,
            f"{r.selected} ({r.n_selected}/{r.n_groups}){edge}",
            r.metric,
            interval(r.gain_vs_default, r.gain_ci_low, r.gain_ci_high),
            pct(r.gain_vs_default_relative),
            interval(r.shared_selected, r.shared_ci_low, r.shared_ci_high),
        )


def summary_rich_table(summary, title: str):
    """The summary as a rich table: per dataset and engine the selected setting and its gain over the default."""
    columns = (
        "dataset",
        "engine",
        "selected (times of folds)",
        "error",
        "gain vs default [95% CI]",
        "rel.",
        "AUC / R² [95% CI]",
    )
    return rich_table(
        title,
        columns,
        _summary_rows(summary),
        left=("dataset", "engine", "selected (times of folds)", "error"),
        no_wrap=("dataset", "engine", "rel."),
    )


def print_answers(run) -> None:
    """The answer: per dataset and engine, the verdict and a line to paste (and the smaller model within noise)."""
    from ..refit import answer_rows

    rows = answer_rows(run)
    if not rows:
        return
    click.echo(
        "\nWhat to use (best: the lowest mean validation error over the folds; smaller: the smallest model "
        "whose validation error is within one standard error of it; raw values for your whole table):"
    )
    for r in rows:
        setting = f" ({r['setting']})" if r["setting"] else ""
        click.echo(f"  {r['dataset']} · {r['engine']}{setting}: {r['verdict_text']}")
        if r.get("params_line"):
            click.echo(f"    {r['params_line']}")
        if r.get("params_smallest_line") and r["params_smallest"] != r["params"]:
            size = (
                f" ({num(r['smallest_leaves_per_tree'])} vs {num(r['best_leaves_per_tree'])} leaves carrying a "
                "value per tree)"
                if r["kind"] == "booster"
                else ""
            )
            click.echo(f"    smaller, within noise{size}: {r['params_smallest_line']}")


def incomplete_line(fits, identity) -> str | None:
    """One line when a fold group failed, misses fits, or was never reached (a killed or failing run), else None."""
    from ..inference import group_status

    st = group_status(fits, identity)
    if st.empty or st.complete.all():
        return None
    bad = st[~st.complete]
    return (
        f"incomplete run: {int(st.complete.sum())} of {len(st)} planned fold groups are complete "
        f"({int(st.n_fits.sum())} fits stored); {int((bad.n_failed > 0).sum())} have a failed fit, "
        f"{int((bad.present & (bad.n_fits < bad.n_expected)).sum())} miss fits and {int((~bad.present).sum())} "
        f"have none yet, over {bad[['dataset', 'engine']].drop_duplicates().shape[0]} dataset x engine pairs. "
        "Gains use complete fold groups only. Run the same command again to finish it."
    )


def print_summary(run, table) -> None:
    """The summary table, its notes (defaults, convergence, an incomplete run) and the answer's lines."""
    from ..report.common import not_converged_notes  # the report's own sentence

    fits = run.fits
    console().print(summary_rich_table(table, f"{fits.study.iloc[0]}: what should I use?"))
    click.echo(SUMMARY_NOTE)
    click.echo(f"Library defaults compared against: {defaults_sentence(fits.engine.unique())}.")
    for note in not_converged_notes(table):
        click.echo(note)
    line = incomplete_line(fits, run.identity)
    if line:
        click.echo(line)
    print_answers(run)


def summary_json(run, table) -> list[dict]:
    """The summary's rows, each with the answer: verdict, and the engine's class with ``params`` to paste."""
    from ..refit import answer_rows
    from ..tables import summary_records

    answers = {(a["dataset"], a["engine"], a["setting"]): a for a in answer_rows(run)}
    out = []
    for rec in summary_records(table):
        a = answers.get((rec["dataset"], rec["engine"], rec.get("setting") or ""), {})
        rec.update(
            {
                k: a.get(k)
                for k in (
                    "verdict",
                    "verdict_text",
                    "best_point",
                    "smallest_point",
                    "estimator",
                    "params",
                    "params_smallest",
                )
            }
        )
        out.append(rec)
    return out
