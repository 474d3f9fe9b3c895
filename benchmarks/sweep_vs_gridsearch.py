"""boostreg's sweep (a) against GridSearchCV (b) and a bare train-and-predict loop (c), on the same folds.

    .venv/bin/python benchmarks/sweep_vs_gridsearch.py                 # 50k x 20, 5 x 5 grid, 5 folds, 200 trees
    .venv/bin/python benchmarks/sweep_vs_gridsearch.py --rows 10000 --trees 50 --folds 3   # a quick look

Per task (regression, binary) and engine (xgboost, lightgbm), each mode runs in its own process so that its
wall time and peak RSS (the process and its workers) are its own; the ratios a/b and a/c come from one run.
(a) records every measurement a default study records (records, curves, stored leaves, the theory check on its
default sample); (b) GridSearchCV(n_jobs=-1,
refit=False) with the scikit-learn wrappers, one thread per fit, scoring only; (c) only training and
predicting, each (fold, reg_alpha row) task binning its fold once, under two layouts -- one single-threaded
process per core, and one process using every core per fit -- of which the faster is the lower bound.
Memory: the largest single process and the largest sum over the process and its workers (sampled).
With ``--repeat N`` the modes of a row alternate N times; a row then shows the median wall times and ratios (the
ratio of each repeat's own pair) and the range of a/b, and the largest memory seen.
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
from common import TreeMemory, bare_predict, bare_train, make_data

GRID = [0.0, 0.01, 0.1, 1.0, 10.0]


def _folds(y, task, k):
    from boostreg.folds import fold_indices

    return fold_indices(y, task, k, 0)


def mode_a(task, engine, rows, trees, k):
    from boostreg import DatasetSpec, Study, run_study

    X, y = make_data(task, rows)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "data.parquet"
        X.assign(target=y).to_parquet(path)
        study = Study(
            name="bench",
            datasets=[DatasetSpec(file=str(path), target="target", task=task)],
            engines=[engine],
            grid={"reg_alpha": GRID, "reg_lambda": GRID},
            params={"n_estimators": trees, "learning_rate": 0.1, "max_depth": 6, "num_leaves": 31},
            folds=k,
        )
        t0 = time.perf_counter()
        result = run_study(study, Path(tmp) / "out", progress=False)
        return time.perf_counter() - t0, result.n_run


def _estimator(task, engine, trees):
    if engine == "xgboost":
        from xgboost import XGBClassifier, XGBRegressor

        cls = XGBRegressor if task == "regression" else XGBClassifier
        return cls(n_estimators=trees, learning_rate=0.1, max_depth=6, tree_method="hist", n_jobs=1)
    from lightgbm import LGBMClassifier, LGBMRegressor

    cls = LGBMRegressor if task == "regression" else LGBMClassifier
    return cls(n_estimators=trees, learning_rate=0.1, num_leaves=31, n_jobs=1, verbose=-1)


def mode_b(task, engine, rows, trees, k):
    from sklearn.model_selection import GridSearchCV

    X, y = make_data(task, rows)
    scoring = "neg_root_mean_squared_error" if task == "regression" else "neg_log_loss"
    search = GridSearchCV(
        _estimator(task, engine, trees),
        {"reg_alpha": GRID, "reg_lambda": GRID},
        cv=_folds(y, task, k),
        n_jobs=-1,
        refit=False,
        scoring=scoring,
    )
    t0 = time.perf_counter()
    search.fit(X, y)
    return time.perf_counter() - t0, len(search.cv_results_["params"]) * k


def _bare_task(task, engine, rows, trees, k, fold, alpha, threads):
    from boostreg.engines import ENGINES, Fold

    X, y = make_data(task, rows)
    train, test = _folds(y, task, k)[fold]
    f = Fold(X.iloc[train], y[train], X.iloc[test], y[test], task)
    e = ENGINES[engine]
    base = {"n_estimators": trees, "learning_rate": 0.1, "max_depth": 6, "num_leaves": 31}
    prepared = e.prepare(f, base, threads=threads)
    for lam in GRID:
        params = {**base, "reg_alpha": alpha, "reg_lambda": lam}
        bare_predict(e, bare_train(e, prepared, params, task, threads), prepared, f)
    return len(GRID)


def mode_c(task, engine, rows, trees, k, processes=None, threads=1):
    from concurrent.futures import ProcessPoolExecutor

    processes = processes or os.cpu_count()
    tasks = [(task, engine, rows, trees, k, fold, alpha, threads) for fold in range(k) for alpha in GRID]
    t0 = time.perf_counter()
    with ProcessPoolExecutor(max_workers=processes) as pool:
        n = sum(pool.map(_bare_task, *zip(*tasks)))
    return time.perf_counter() - t0, n


def mode_c1(task, engine, rows, trees, k):
    """(c) with one process using every core per fit."""
    return mode_c(task, engine, rows, trees, k, processes=1, threads=os.cpu_count())


def child(args):
    with TreeMemory(os.getpid(), every=0.05) as mem:  # this process and its workers
        wall, fits = {"a": mode_a, "b": mode_b, "c": mode_c, "c1": mode_c1}[args.mode](
            args.task, args.engine, args.rows, args.trees, args.folds
        )
    peak_kib = max(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    )
    print(
        json.dumps(
            {
                "wall_s": wall,
                "fits": fits,
                "peak_rss_mib": max(peak_kib * 1024, mem.single) / 2**20,
                "peak_total_mib": mem.total / 2**20,
            }
        )
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--trees", type=int, default=200)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--tasks", nargs="+", default=["regression", "binary"], choices=["regression", "binary"])
    parser.add_argument("--engines", nargs="+", default=["xgboost", "lightgbm"], choices=["xgboost", "lightgbm"])
    parser.add_argument(
        "--modes",
        nargs="+",
        default=["a", "b", "c"],
        choices=["a", "b", "c"],
        help="which to run: (c), the bare loop, is run in two layouts and is the slowest to measure",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="run the modes of a row this many times, alternating (a b a b ...), and report the median "
        "of each repeat's ratios with their range: a shared machine's speed drifts by 10-20%% over "
        "minutes, which moves one pair's ratio by 0.1",
    )
    parser.add_argument("--mode", choices=["a", "b", "c", "c1"], help=argparse.SUPPRESS)
    parser.add_argument("--task", help=argparse.SUPPRESS)
    parser.add_argument("--engine", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.mode:
        return child(args)
    rows = []
    modes = [m for m in ("a", "b", "c", "c1") if m[0] in args.modes]
    for task in args.tasks:
        for engine in args.engines:
            repeats = []
            for _ in range(max(1, args.repeat)):
                res = {}
                for mode in modes:
                    out = subprocess.run(
                        [
                            sys.executable,
                            __file__,
                            "--mode",
                            mode,
                            "--task",
                            task,
                            "--engine",
                            engine,
                            "--rows",
                            str(args.rows),
                            "--trees",
                            str(args.trees),
                            "--folds",
                            str(args.folds),
                        ],
                        capture_output=True,
                        text=True,
                        check=True,
                    )
                    res[mode] = json.loads(out.stdout.strip().splitlines()[-1])
                repeats.append(res)
            row = {"task": task, "engine": engine, "fits": next(iter(repeats[0].values()))["fits"]}
            if "c" in repeats[0]:
                cores = os.cpu_count()
                faster = [r["c"]["wall_s"] <= r["c1"]["wall_s"] for r in repeats]
                row["c_layout"] = f"{cores}x1" if sum(faster) * 2 >= len(faster) else f"1x{cores}"
                for r in repeats:
                    r["c"] = min(r["c"], r["c1"], key=lambda x: x["wall_s"])
            shown = [m for m in "abc" if m in repeats[0]]
            row.update({f"{m}_wall_s": round(float(np.median([r[m]["wall_s"] for r in repeats])), 1) for m in shown})
            row.update({f"{m}_peak_mib": round(max(r[m]["peak_rss_mib"] for r in repeats)) for m in shown})
            row.update({f"{m}_total_mib": round(max(r[m]["peak_total_mib"] for r in repeats)) for m in shown})
            for m in "bc":
                if "a" in shown and m in shown:
                    ratios = [r["a"]["wall_s"] / r[m]["wall_s"] for r in repeats]
                    row[f"a/{m}"] = round(float(np.median(ratios)), 2)
                    if len(ratios) > 1:
                        row[f"a/{m} range"] = f"{min(ratios):.2f}-{max(ratios):.2f}"
                    row[f"mem a/{m}"] = round(
                        float(np.median([r["a"]["peak_total_mib"] / r[m]["peak_total_mib"] for r in repeats])), 2
                    )
            rows.append(row)
            print(pd.DataFrame(rows[-1:]).to_string(index=False), flush=True)
    print(
        f"\n{args.rows} rows x 20 features, 5 x 5 grid, {args.folds} folds, {args.trees} trees, "
        f"{os.cpu_count()} cores, "
        f"{time.strftime('%Y-%m-%d')}"
    )
    print(pd.DataFrame(rows).to_string(index=False))


if __name__ == "__main__":
    main()
