"""How boostreg's sweep scales with the rows, against GridSearchCV on the same grid and folds (issue 30).

    .venv/bin/python benchmarks/scaling.py                  # 100k, 400k, 1M rows; both engines, both tasks
    .venv/bin/python benchmarks/scaling.py --rows 100000 --engines lightgbm --tasks regression     # a quick look
    .venv/bin/python benchmarks/scaling.py --rows 1000000 --modes a d       # the same sweep on a Dask LocalCluster

Every mode is a whole process, timed from its start to its exit, and its memory is sampled every 0.2 s as a tree
(the process and every process under it):

(a) ``boostreg run STUDY --jobs 2 --no-report -q`` (every measurement a default study records);
(b) a script that reads the same Parquet file and runs ``GridSearchCV(n_jobs=2, refit=False,
    return_train_score=True)`` with the library's scikit-learn class (one thread per fit) on the same folds and the
    same models: the grid, plus the library's default when the grid lacks it (XGBoost's reg_lambda = 1), as boostreg
    fits it beside the grid to compare with;
(d) the same study through ``run_study(..., scheduler=...)`` on a ``dask.distributed.LocalCluster`` with 2 worker
    processes of 1 thread each (the cluster is started inside the timed process; its scheduler runs in that process).

Data: make_friedman1 (regression) or make_classification (binary), 20 float32 features, written once per task and
size to a Parquet file; grid reg_alpha {0, 1} x reg_lambda {0, 10}, 2 folds, 100 trees, max_depth 6 / num_leaves 31,
learning rate 0.1. "data MiB" is the features (float32) and the target (float64) in memory. "parent" is the peak RSS
of the process the user started (a: the ``boostreg`` command; d: that process, which also holds Dask's scheduler);
"parent growth" is that peak less the same process's peak on a study of the file's first 1,000 rows (interpreter,
imports, pool start-up), i.e. what the data costs the parent. With ``--repeat N`` the modes of a row alternate N
times and the row shows medians (ratios: the median of each repeat's own ratio).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from common import TreeMemory, make_data

GRID = {"reg_alpha": [0.0, 1.0], "reg_lambda": [0.0, 10.0]}
FEATURES = 20


def write_data(folder: Path, task: str, rows: int) -> tuple[Path, float]:
    """The dataset as a Parquet file (float32 features, float64 target) and its in-memory size in MiB."""
    X, y = make_data(task, rows, FEATURES)
    X = X.astype(np.float32)
    path = folder / f"{task}_{rows}.parquet"
    if not path.exists():
        X.assign(y=y).to_parquet(path)
    return path, (X.memory_usage(index=False).sum() + y.nbytes) / 2**20


def study_file(folder: Path, data: Path, task: str, engine: str, trees: int, folds: int) -> Path:
    path = folder / f"{data.stem}_{engine}.toml"
    path.write_text(
        f'[study]\nname = "scaling"\nengines = ["{engine}"]\nfolds = {folds}\n\n'
        f'[[datasets]]\nfile = "{data}"\ntarget = "y"\ntask = "{task}"\n\n'
        f"[grid]\nreg_alpha = {GRID['reg_alpha']}\nreg_lambda = {GRID['reg_lambda']}\n\n"
        f"[params]\nn_estimators = {trees}\nlearning_rate = 0.1\nmax_depth = 6\nnum_leaves = 31\n"
    )
    return path


def gridsearch(data: str, task: str, engine: str, trees: int, folds: int) -> None:
    """Mode (b), in its own process: read the file, GridSearchCV on boostreg's folds."""
    from sklearn.model_selection import GridSearchCV

    from boostreg.folds import fold_indices

    frame = pd.read_parquet(data)
    y = frame.pop("y").to_numpy()
    if engine == "xgboost":
        from xgboost import XGBClassifier, XGBRegressor

        cls = XGBRegressor if task == "regression" else XGBClassifier
        est = cls(n_estimators=trees, learning_rate=0.1, max_depth=6, tree_method="hist", n_jobs=1)
    else:
        from lightgbm import LGBMClassifier, LGBMRegressor

        cls = LGBMRegressor if task == "regression" else LGBMClassifier
        est = cls(n_estimators=trees, learning_rate=0.1, num_leaves=31, n_jobs=1, verbose=-1)
    grid = [GRID]
    default = {"reg_alpha": 0.0, "reg_lambda": 1.0 if engine == "xgboost" else 0.0}
    if default["reg_lambda"] not in GRID["reg_lambda"]:  # boostreg fits the library's default beside the grid: so here
        grid.append({k: [v] for k, v in default.items()})
    GridSearchCV(
        est,
        grid,
        cv=fold_indices(y, task, folds, 0),
        n_jobs=2,
        refit=False,
        return_train_score=True,
        scoring="neg_root_mean_squared_error" if task == "regression" else "neg_log_loss",
    ).fit(frame, y)


def on_dask(study_path: str, out: str) -> None:
    """Mode (d), in its own process: a LocalCluster of 2 single-threaded worker processes, the study run on it."""
    from dask.distributed import LocalCluster

    from boostreg import load_study, run_study

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        run_study(load_study(study_path), out, progress=False, scheduler=cluster.scheduler_address)


def timed(cmd: list[str]) -> dict:
    """Run ``cmd``; its wall time and memory (MiB)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    with TreeMemory(proc.pid) as mem:
        _, err = proc.communicate()
    wall = time.perf_counter() - t0
    if proc.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{err}")
    mib = 2**20
    workers = sorted(mem.workers.values(), reverse=True)
    return {
        "wall_s": wall,
        "parent_mib": mem.parent / mib,
        "single_mib": mem.single / mib,
        "total_mib": mem.total / mib,
        "worker_mib": (workers[0] if workers else 0) / mib,
    }


def mode_cmd(mode: str, study: Path, data: Path, task: str, engine: str, args, out: Path) -> list[str]:
    if mode == "a":
        return [
            sys.executable,
            "-m",
            "boostreg.cli",
            "run",
            str(study),
            "--out",
            str(out),
            "--jobs",
            "2",
            "--no-report",
            "-q",
        ]
    if mode == "b":
        return [sys.executable, __file__, "--child", "b", str(data), task, engine, str(args.trees), str(args.folds)]
    return [sys.executable, __file__, "--child", "d", str(study), str(out)]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 400_000, 1_000_000])
    parser.add_argument("--tasks", nargs="+", default=["regression", "binary"], choices=["regression", "binary"])
    parser.add_argument("--engines", nargs="+", default=["lightgbm", "xgboost"], choices=["xgboost", "lightgbm"])
    parser.add_argument("--modes", nargs="+", default=["a", "b"], choices=["a", "b", "d"])
    parser.add_argument("--trees", type=int, default=100)
    parser.add_argument("--folds", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=1, help="alternate the modes of a row this many times")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        kind, *rest = args.child
        if kind == "b":
            data, task, engine, trees, folds = rest
            return gridsearch(data, task, engine, int(trees), int(folds))
        return on_dask(*rest)
    rows_out = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for task in args.tasks:
            for rows in args.rows:
                data, data_mib = write_data(tmp, task, rows)
                for engine in args.engines:
                    base = None
                    if "a" in args.modes or "d" in args.modes:  # the parent's start-up, on 1,000 rows of the same file
                        small_data = tmp / f"{task}_small.parquet"
                        pd.read_parquet(data).iloc[:1000].to_parquet(small_data)
                        small = study_file(tmp, small_data, task, engine, args.trees, args.folds)
                        base = timed(
                            mode_cmd("a", small, data, task, engine, args, tmp / f"base_{task}_{rows}_{engine}")
                        )["parent_mib"]
                    study = study_file(tmp, data, task, engine, args.trees, args.folds)
                    runs = []
                    for r in range(max(1, args.repeat)):
                        res = {}
                        for mode in args.modes:
                            out = tmp / f"out_{mode}_{r}_{data.stem}_{engine}"
                            res[mode] = timed(mode_cmd(mode, study, data, task, engine, args, out))
                        runs.append(res)
                    row = {"task": task, "engine": engine, "rows": rows, "data_mib": round(data_mib)}

                    def med(mode, key, runs=runs):
                        return float(np.median([r[mode][key] for r in runs]))

                    for mode in args.modes:
                        row[f"{mode}_s"] = round(med(mode, "wall_s"), 1)
                        row[f"{mode}_total_mib"] = round(med(mode, "total_mib"))
                        if mode in "ad":
                            row[f"{mode}_parent_mib"] = round(med(mode, "parent_mib"))
                            row[f"{mode}_parent_growth_mib"] = round(med(mode, "parent_mib") - base)
                            row[f"{mode}_worker_mib"] = round(med(mode, "worker_mib"))
                    for other in "bd":
                        if "a" in args.modes and other in args.modes:
                            ratios = [r["a"]["wall_s"] / r[other]["wall_s"] for r in runs]
                            mem = [r["a"]["total_mib"] / r[other]["total_mib"] for r in runs]
                            row[f"a/{other}"] = round(float(np.median(ratios)), 2)
                            if len(ratios) > 1:
                                row[f"a/{other} range"] = f"{min(ratios):.2f}-{max(ratios):.2f}"
                            row[f"mem a/{other}"] = round(float(np.median(mem)), 2)
                    if base is not None:
                        row["parent_base_mib"] = round(base)
                    rows_out.append(row)
                    print(json.dumps(row), flush=True)
    print(
        f"\n{FEATURES} float32 features, grid {GRID}, {args.folds} folds, {args.trees} trees, --jobs 2, "
        f"{os.cpu_count()} cores, {time.strftime('%Y-%m-%d %H:%M')}"
    )
    print(pd.DataFrame(rows_out).to_string(index=False))


if __name__ == "__main__":
    main()
