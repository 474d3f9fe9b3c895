"""``boostreg run --dry-run``: what a run would do, without doing it."""

from __future__ import annotations

import json
import os

import click

from ..engines import engine_kind
from ..executors.cost import data_shape, fit_seconds, report_seconds, run_seconds
from ..loading import load_dataset
from ..plan import make_plan
from ..results import Run
from .console import console, rich_table


def print_plan(study, out, jobs, fmt, report: bool = True) -> None:
    """Datasets, engines, fits per engine, the ones already stored in ``out``, and the time the run would take by
    the runner's cost model (:mod:`boostreg.executors.cost`: the fits, starting the workers and preparing each
    group, and the report unless ``report`` is False)."""
    datasets = {spec.label: load_dataset(spec) for spec in study.datasets}
    shapes = {
        label: data_shape(ds.X, len(ds.classes) if ds.task == "multiclass" else None) for label, ds in datasets.items()
    }
    groups = make_plan(study, datasets)
    stored = Run(out).fit_ids() if out.exists() else set()
    rows = []
    for dataset, engine in dict.fromkeys((g.dataset, g.engine) for g in groups):
        gs = [g for g in groups if g.dataset == dataset and g.engine == engine]
        fits = sum(len(g.fits) for g in gs)
        todo = [sum(1 for f in g.fits if f.fit_id not in stored) for g in gs]
        rows.append(
            {
                "dataset": dataset,
                "engine": engine,
                "rows": datasets[dataset].n_rows,
                "groups": len(gs),
                "fits": fits,
                "to_run": sum(todo),
                "estimated_cpu_s": round(sum(fit_seconds(g, shapes[dataset]) * n for g, n in zip(gs, todo)), 1),
            }
        )
    workers = max(jobs or os.cpu_count() or 1, 1)
    to_run = sum(r["to_run"] for r in rows)
    busy = sum(1 for g in groups if any(f.fit_id not in stored for f in g.fits))
    sweep = run_seconds(sum(r["estimated_cpu_s"] for r in rows), busy, workers) if to_run else 0.0
    boosters = {(g.dataset, g.engine) for g in groups if engine_kind(g.engine) == "booster"}
    report_s = report_seconds(len(datasets), len(boosters), workers) if report else 0.0
    total = {
        "study": study.name,
        "out": str(out),
        "fits": sum(r["fits"] for r in rows),
        "to_run": to_run,
        "estimated_sweep_s": round(sweep, 1),
        "estimated_report_s": round(report_s, 1),
        "estimated_wall_s": round(sweep + report_s, 1),
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
    parts = f"{total['estimated_sweep_s']:.0f} s of fits" + (
        f" and {total['estimated_report_s']:.0f} s of report" if report else ""
    )
    click.echo(
        f"{total['to_run']} of {total['fits']} fits to run into {out} on {workers} workers: roughly "
        f"{total['estimated_wall_s']:.0f} s ({parts}; estimated from each dataset's rows, features and the fits' "
        "rounds, within about 30% on a quiet machine)."
    )
