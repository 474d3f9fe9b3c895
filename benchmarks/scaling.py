"""How a boostreg sweep's wall time and peak memory grow with rows and with the number of fits, in one run.

    .venv/bin/python benchmarks/scaling.py                      # rows 10k, 100k, 1M; grids 2x2, 4x4, 8x8
    .venv/bin/python benchmarks/scaling.py --rows 10000 100000 --grids 2 4 --engines lightgbm   # a quick look

Each point is a full ``run_study`` (every measurement on) in its own process, so its peak RSS (the process
and its worker processes) is its own. Rows: a 2 x 2 reg_alpha x reg_lambda grid, 2 folds, 50 trees. Grid size:
10k rows, n x n grids. Linear cost means a constant time per (fit x row) across rows and a constant time per
fit across grid sizes; memory that does not grow with the grid means no model or matrix outlives its fit.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from common import make_data


def child(task: str, engine: str, rows: int, grid: int, trees: int, folds: int) -> dict:
    from boostreg import DatasetSpec, Study, run_study

    X, y = make_data(task, rows)
    values = [0.0] + list(np.geomspace(0.01, 10, grid - 1)) if grid > 1 else [0.0]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "data.parquet"
        X.assign(target=y).to_parquet(path)
        del X, y
        study = Study(
            name="scaling",
            datasets=[DatasetSpec(file=str(path), target="target", task=task)],
            engines=[engine],
            grid={"reg_alpha": values, "reg_lambda": values},
            params={"n_estimators": trees, "learning_rate": 0.1, "max_depth": 6, "num_leaves": 31},
            folds=folds,
        )
        t0 = time.perf_counter()
        result = run_study(study, Path(tmp) / "out", progress=False)
        wall = time.perf_counter() - t0
    peak = max(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    )
    return {"wall_s": wall, "fits": result.n_run, "peak_rss_mib": peak / 1024}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--grids", type=int, nargs="+", default=[2, 4, 8], help="n for n x n grids (at 10k rows)")
    parser.add_argument("--engines", nargs="+", default=["xgboost", "lightgbm"])
    parser.add_argument("--task", default="regression", choices=["regression", "binary"])
    parser.add_argument("--trees", type=int, default=50)
    parser.add_argument("--folds", type=int, default=2)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        spec = json.loads(args.child)
        print(json.dumps(child(**spec)))
        return
    points = [("rows", r, 2) for r in args.rows] + [("grid", 10_000, g) for g in args.grids]
    out = []
    for engine in args.engines:
        for axis, rows, grid in points:
            spec = {
                "task": args.task,
                "engine": engine,
                "rows": rows,
                "grid": grid,
                "trees": args.trees,
                "folds": args.folds,
            }
            proc = subprocess.run(
                [sys.executable, __file__, "--child", json.dumps(spec)], capture_output=True, text=True, check=True
            )
            res = json.loads(proc.stdout.strip().splitlines()[-1])
            row = {
                "engine": engine,
                "axis": axis,
                "rows": rows,
                "grid": f"{grid}x{grid}",
                "fits": res["fits"],
                "wall_s": round(res["wall_s"], 1),
                "peak_rss_mib": round(res["peak_rss_mib"]),
                "ms_per_fit": round(1000 * res["wall_s"] / res["fits"], 1),
                "us_per_fit_row": round(1e6 * res["wall_s"] / res["fits"] / rows, 3),
            }
            out.append(row)
            print(pd.DataFrame([row]).to_string(index=False, header=len(out) == 1), flush=True)
    print(
        f"\n{args.task}, 20 features, {args.trees} trees, {args.folds} folds, {os.cpu_count()} cores, "
        f"{time.strftime('%Y-%m-%d')}"
    )
    print(pd.DataFrame(out).to_string(index=False))


if __name__ == "__main__":
    main()
