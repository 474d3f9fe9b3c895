"""Measurement time as a share of bare training time, per engine and task, on 50k x 20 data with 200 trees.

    .venv/bin/python benchmarks/measure_overhead.py [--rows 50000] [--trees 200] [--threads 1]

Each grid point is trained twice on the same binned fold: bare (no per-round evaluation, as a plain library
user would) and as boostreg's runner does (the engine evaluating the test fold after every round for the
test curve), then measured once, in each of the two ways a study measures a fit:

* ``checked`` -- the fits the theory check covers (by default fold 0 of the first seed and a deterministic sample
  of the rest; every fit with ``check = "all"``): leaves via ``pred_leaf`` on every training row, the theory check
  of every leaf, whose pass over the training margins also gives the training curve;
* ``sampled out`` -- the other fits: no ``pred_leaf`` on the training rows; the engine evaluates the training rows
  each round for the training curve and the training metrics come from its prediction.

The measurement share is ``(fit with curves - bare fit + measure) / bare fit``; all ratios come from one run on
one machine.
"""

import argparse
import platform
import time

import pandas as pd
from common import bare_train, make_data

from boostreg.engines import ENGINES, Fold

GRID = [(0.0, 0.0), (0.0, 1.0), (1.0, 0.0), (10.0, 10.0)]


def make_fold(task: str, rows: int) -> Fold:
    X, y = make_data(task, rows)
    cut = int(rows * 0.8)
    return Fold(X.iloc[:cut], y[:cut], X.iloc[cut:], y[cut:], task)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--trees", type=int, default=200)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    rows = []
    for task in ("regression", "binary"):
        fold = make_fold(task, args.rows)
        for name in ("xgboost", "lightgbm"):
            engine = ENGINES[name]
            base = {"n_estimators": args.trees, "learning_rate": 0.1, "max_depth": 6, "num_leaves": 31}
            prepared = engine.prepare(fold, base, threads=args.threads)
            for mode, check in (("checked", True), ("sampled out", False)):
                bare_s = fit_s = measure_s = 0.0
                worst = 0.0
                for alpha, lam in GRID:
                    params = {**base, "reg_alpha": alpha, "reg_lambda": lam, "_check": check}
                    t0 = time.perf_counter()
                    bare_train(engine, prepared, params, task, args.threads)
                    t1 = time.perf_counter()
                    model = engine.fit(prepared, params, seed=0, threads=args.threads)
                    t2 = time.perf_counter()
                    record, _ = engine.measure(model, prepared, params, fold)
                    t3 = time.perf_counter()
                    bare_s += t1 - t0
                    fit_s += t2 - t1
                    measure_s += t3 - t2
                    err = record.get("theory_max_rel_err")
                    worst = max(worst, err) if err is not None and err == err else worst
                rows.append(
                    {
                        "task": task,
                        "engine": name,
                        "mode": mode,
                        "fits": len(GRID),
                        "bare_fit_s": round(bare_s, 2),
                        "fit_with_curves_s": round(fit_s, 2),
                        "measure_s": round(measure_s, 2),
                        "curves_share": round((fit_s - bare_s) / bare_s, 3),
                        "measure_share": round((fit_s - bare_s + measure_s) / bare_s, 3),
                        "theory_max_rel_err": f"{worst:.1e}" if check else "not checked",
                    }
                )
    print(
        f"{args.rows} rows x 20 features, {args.trees} trees, {args.threads} thread(s); "
        f"{platform.processor() or platform.machine()}, {time.strftime('%Y-%m-%d')}"
    )
    print(pd.DataFrame(rows).to_string(index=False))


if __name__ == "__main__":
    main()
