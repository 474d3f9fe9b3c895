"""``boostreg run --dry-run``: what a run would do, without doing it."""

from __future__ import annotations

import json
import os

import click

from ..executors.cost import estimate_seconds, group_rounds
from ..loading import load_dataset
from ..plan import make_plan
from ..results import Run
from .console import console, rich_table


def print_plan(study, out, jobs, fmt) -> None:
    """Datasets, engines, fits per engine, the ones already stored in ``out``, and a rough time from the runner's
    cost model (:func:`boostreg.executors.cost.estimate_seconds`)."""
    datasets = {spec.label: load_dataset(spec) for spec in study.datasets}
    groups = make_plan(study, datasets)
    stored = Run(out).fit_ids() if out.exists() else set()
    rows = []
    for dataset, engine in dict.fromkeys((g.dataset, g.engine) for g in groups):
        gs = [g for g in groups if g.dataset == dataset and g.engine == engine]
        fits = sum(len(g.fits) for g in gs)
        todo = sum(1 for g in gs for f in g.fits if f.fit_id not in stored)
        n = datasets[dataset].n_rows
        rows.append(
            {
                "dataset": dataset,
                "engine": engine,
                "rows": n,
                "groups": len(gs),
                "fits": fits,
                "to_run": todo,
                "estimated_cpu_s": round(estimate_seconds(n, group_rounds(gs[0]), todo), 1),
            }
        )
    workers = jobs or os.cpu_count() or 1
    total = {
        "study": study.name,
        "out": str(out),
        "fits": sum(r["fits"] for r in rows),
        "to_run": sum(r["to_run"] for r in rows),
        "estimated_wall_s": round(sum(r["estimated_cpu_s"] for r in rows) / workers, 0),
        "workers": workers,
    }
    if fmt == "json":
        click.echo(json.dumps({**total, "plan": rows}, indent=1))
        return
    console().print(
        rich_table(
            f"{study.name}: the plan (nothing is written)", list(rows[0]) if rows else [], [r.values() for r in rows]
        )
    )
    for split in dict.fromkeys(g.split for g in groups if g.split):
        click.echo(f"outer folds: {split}")
    click.echo(
        f"{total['to_run']} of {total['fits']} fits to run into {out} on {workers} workers: roughly "
        f"{total['estimated_wall_s']:.0f} s (a rough estimate from rows x rounds)."
    )
