"""``boostreg recommend`` (the guide's advice in your data's units) and ``boostreg datasets`` (the built-in ones)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..engines import engine_names
from ..fmt import DASH, num
from .console import console, features_option, format_option, rich_table, task_option


def _range(pair) -> str:
    return f"[{num(pair[0])}, {num(pair[1])}]" if pair else DASH


@click.command()
@click.option(
    "--data", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Your CSV or Parquet file."
)
@click.option("--target", required=True, help="The column to predict.")
@task_option
@click.option(
    "--groups",
    metavar="COLUMN",
    help="A column of group labels (a patient, a store): it leaves the features, and --check keeps each group "
    "whole on one side of its splits.",
)
@click.option(
    "--weight",
    metavar="COLUMN",
    help="A column of sample weights (numbers >= 0): it leaves the features; the fits use it.",
)
@features_option
@click.option(
    "--engine",
    metavar="NAME",
    multiple=True,
    help=f"Only this engine (repeatable; default: every engine the guide covers; boosters: "
    f"{', '.join(engine_names('booster'))}).",
)
@click.option(
    "--check",
    is_flag=True,
    help="Also fit the recommended values and the library default by 5-fold cross-validation on your data "
    "(the guide's settings) and keep the one with the lower mean validation error, as the guide "
    "advises: ten full fits per engine.",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress over --check's fits.")
@format_option("A table for people, or JSON (a list with one object per engine) for programs.")
def recommend(data, target, task, groups, weight, features, engine, check, quiet, fmt):
    """reg_alpha and reg_lambda for YOUR data, from the tuning guide, in raw units.

    \b
    The guide (reports/tuning_guide/) states its advice relative to the data: reg_alpha as a fraction of
    alpha_max and reg_lambda as a multiple of H-bar of one unpenalized tree. This fits that one tree per
    engine on your file (seconds), and prints the starting values, the search ranges, the rule they come
    from and its out-of-sample record, and the settings the advice assumes (learning rate, tree size, early
    stopping). The guide's advice is to fit these values beside the library default and keep whichever has
    the lower validation error; --check does that on your data.
    """
    from ..advice import recommend_for
    from ..data import load_file
    from ..engines import get_engine
    from ..refit import paste_line

    for name in engine:  # an unknown name, or an optional engine not installed (with its pip install): one line
        get_engine(name, where="--engine")
    ds = load_file(data, target, task=task, groups=groups, weight=weight, features=features)
    advice = recommend_for(ds, list(engine) or None, check=check, progress=check and not quiet)
    if fmt == "json":
        click.echo(json.dumps([a.to_dict() for a in advice], indent=1, ensure_ascii=False))
        return
    rows = [
        (
            a.engine,
            num(a.reg_alpha),
            num(a.reg_lambda),
            _range(a.reg_alpha_range),
            _range(a.reg_lambda_range),
            num(a.alpha_max),
            num(a.h_bar),
        )
        for a in advice
    ]
    console().print(
        rich_table(
            f"reg_alpha and reg_lambda for {data.name} ({ds.task}, {len(ds.y)} rows"
            + (f", weighted by {weight!r})" if weight else ")"),
            ("engine", "reg_alpha", "reg_lambda", "search reg_alpha", "search reg_lambda", "α_max", "H̄"),
            rows,
            left=("engine",),
        )
    )
    for a in advice:
        settings = ", ".join(f"{k}={v}" for k, v in a.assumptions.items() if k != "note")
        click.echo(
            f"{a.engine}: {a.reg_alpha_relative:g} x alpha_max and {a.reg_lambda_relative:g} x H-bar. {a.rule} "
            f"Assumes {settings}."
        )
        if a.check:
            c = a.check
            click.echo(
                f"{a.engine}, checked by {c['folds']}-fold cross-validation on your rows (mean validation "
                f"error): recommended {c['valid_error_recommended']:.5g} vs library default "
                f"{c['valid_error_default']:.5g} (recommended better on {c['folds_recommended_better']} of "
                f"{c['folds']} folds) -> keep the {c['kept']} (reg_alpha {num(c['reg_alpha'])}, "
                f"reg_lambda {num(c['reg_lambda'])})."
            )
        click.echo(f"{a.engine}, evidence for what was done here ({a.evidence['procedure']}): {a.evidence['text']}")
        click.echo(
            f"  {paste_line({'class': a.estimator, 'params': a.params})}  # fit(X, y, eval_set=[(X_valid, "
            "y_valid)]) with a 20% validation split of your rows: early stopping as the guide assumes"
        )
    click.echo(
        advice[0].assumptions["note"] + " (the lines above use all your rows' values, as the hold-out check "
        "that --check quotes did)."
    )
    if not check:
        click.echo(
            "These values are not checked on your data: the guide's advice is to fit them beside the library "
            "default and keep whichever has the lower validation error (the --check option does that).",
            err=True,
        )


@click.command()
@format_option("A table for people, or JSON (a list of cards) for programs.")
def datasets(fmt):
    """List the built-in datasets: name, rows, columns, task, categorical columns, source.

    Each has a card in datasets/NAME.toml with its licence, citation and the columns dropped.
    """
    from rich.table import Table

    from ..data import dataset_summary

    cards = dataset_summary()
    if fmt == "json":
        click.echo(json.dumps(cards.to_dict(orient="records"), indent=1, default=str))
        return
    frame = cards[["name", "rows", "columns", "task", "categorical", "source"]]
    table = Table(title="built-in datasets (cards with licence and citation: datasets/NAME.toml)")
    for col in frame.columns:
        table.add_column(
            col,
            no_wrap=col in ("name", "task"),
            justify="right" if col in ("rows", "columns", "categorical") else "left",
        )
    for _, row in frame.iterrows():
        table.add_row(*[str(v) for v in row])
    console(pipe_width=None).print(table)
