"""Where a sweep's time and memory go as the rows grow (issue 30, item 1): each part timed alone, in one process.

    .venv/bin/python benchmarks/scaling_parts.py                      # 100k, 400k, 1M rows; LightGBM and XGBoost
    .venv/bin/python benchmarks/scaling_parts.py --rows 100000 --engines lightgbm   # a quick look

The data and settings of benchmarks/scaling.py (make_friedman1, 20 float32 features in a Parquet file, 2 folds, 100
trees, max_depth 6 / num_leaves 31). Per run: the parent's load and clean (``load_dataset``), the plan, the copy it
saves for the workers and a worker's read of it, and a group's preparation (the fold cut and binned). Per fit, on
fold 0 at reg_alpha = reg_lambda = 0: the engine's training with its per-round test evaluation, the training rows'
leaf ids of every tree (what a whole theory check reads) and of the trees the check's budget keeps, the check's pass
over them, the engine's final test margins and training margins, and the metrics. "MiB" is the process's RSS growth
over the part (peak, sampled every 10 ms), after the parts before it.
"""

import argparse
import os
import tempfile
import threading
import time
from pathlib import Path

import pandas as pd
import psutil
from scaling import FEATURES, GRID, study_file, write_data


class Part:
    """Times a block and its peak RSS growth."""

    def __init__(self, out: list, name: str, scale: str, **extra):
        self.out, self.name, self.scale, self.extra = out, name, scale, extra
        self.proc = psutil.Process()

    def _watch(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, self.proc.memory_info().rss)
            self._stop.wait(0.01)

    def __enter__(self):
        self.start_rss = self.peak = self.proc.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc):
        wall = time.perf_counter() - self.t0
        self._stop.set()
        self._thread.join()
        self.out.append(
            {
                "part": self.name,
                **self.extra,
                "s": round(wall, 3),
                "MiB": round((self.peak - self.start_rss) / 2**20),
                "grows with": self.scale,
            }
        )


def measure(engine_name: str, task: str, rows: int, trees: int, tmp: Path) -> list[dict]:
    from boostreg import load_study, measure
    from boostreg.engines import ENGINES
    from boostreg.engines.base import primary_metric_name
    from boostreg.fit import prepare_group, release_memory
    from boostreg.loading import _DATASETS, cached_dataset, load_dataset, save_for_workers
    from boostreg.plan import CHECK_ROW_TREES, make_plan

    data, _ = write_data(tmp, task, rows)
    study = load_study(study_file(tmp, data, task, engine_name, trees, 2))
    out: list[dict] = []
    tag = {"engine": engine_name, "rows": rows}
    with Part(out, "parent: load and clean the file", "rows x columns", **tag):
        ds = load_dataset(study.datasets[0])
    with Part(out, "parent: plan (folds, fit ids)", "rows", **tag):
        groups = make_plan(study, {study.datasets[0].label: ds})
    with Part(out, "parent: save the workers' copy", "rows x columns", **tag):
        path = save_for_workers(ds, tmp)
    del ds
    release_memory()
    _DATASETS.clear()
    with Part(out, "worker: read the copy", "rows x columns", **tag):
        cached_dataset(study.datasets[0], path)
    engine = ENGINES[engine_name]
    group = groups[0]
    with Part(out, "worker: prepare a group (cut the fold, bin it)", "rows x columns", **tag):
        ready = prepare_group(group, engine, 1, path)
    fold = ready.fold
    params = {**group.fits[0].params, "_check": False}  # the engine's own training-row margins are kept
    with Part(out, "fit: training + per-round test evaluation", "rows x trees", **tag):
        model = engine.fit(ready.prepared, params, seed=0, threads=1)
    n_train = len(fold.y_train)
    with Part(out, "fit: leaf ids of the training rows, every tree", "rows x trees", **tag):
        ens = engine.ensemble(model, ready.prepared, fold, params, test_leaf=False)
    budget_rounds = max(1, CHECK_ROW_TREES // n_train)
    with Part(out, f"fit: leaf ids, the budget's {min(budget_rounds, trees)} trees", "constant (budget)", **tag):
        engine.ensemble(model, ready.prepared, fold, params, test_leaf=False, train_trees=budget_rounds)
    kw = {"reg_alpha": 0.0, "reg_lambda": params.get("reg_lambda", 0.0), "learning_rate": 0.1}
    metric = primary_metric_name(fold)
    with Part(out, "fit: theory check + training curve, every tree", "rows x trees", **tag):
        check = measure.theory_check(ens, fold.y_train, fold.task, curve_metric=metric, **kw)
    with Part(out, f"fit: theory check, the budget's {min(budget_rounds, trees)} trees", "constant (budget)", **tag):
        measure.theory_check(measure.first_trees(ens, min(budget_rounds, trees)), fold.y_train, fold.task, **kw)
    with Part(out, "fit: final test margins (engine)", "rows x trees (LightGBM); rows (XGBoost cache)", **tag):
        test_margin = engine.predict_margin(model, ready.prepared, fold)
    with Part(out, "fit: final training margins (engine's cached scores)", "rows", **tag):
        engine.predict_train_margin(model, ready.prepared, fold)
    with Part(out, "fit: metrics", "rows", **tag):
        measure.metrics(fold.y_train, check.final_margin, fold.task, "train", fold.primary_metric)
        measure.metrics(fold.y_test, test_margin, fold.task, "test", fold.primary_metric)
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 400_000, 1_000_000])
    parser.add_argument("--engines", nargs="+", default=["lightgbm", "xgboost"], choices=["xgboost", "lightgbm"])
    parser.add_argument("--task", default="regression", choices=["regression", "binary"])
    parser.add_argument("--trees", type=int, default=100)
    args = parser.parse_args(argv)
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        for engine in args.engines:
            for rows in args.rows:
                out += measure(engine, args.task, rows, args.trees, Path(tmp))
    table = pd.DataFrame(out)
    wide = table.pivot_table(index=["engine", "part", "grows with"], columns="rows", values=["s", "MiB"], sort=False)
    print(
        f"{args.task}, {FEATURES} float32 features, grid {GRID}, 2 folds, {args.trees} trees, one thread, "
        f"{os.cpu_count()} cores, {time.strftime('%Y-%m-%d %H:%M')}"
    )
    with pd.option_context("display.width", 250, "display.max_colwidth", 60):
        print(wide.round(3).to_string())


if __name__ == "__main__":
    main()
