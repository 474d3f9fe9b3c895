"""Processes x threads per fit: the same study under each layout, wall time and fits per minute, in one run.

    .venv/bin/python benchmarks/layout.py [--datasets diabetes breast_cancer sparse_linear credit_data]

boostreg's default is one single-threaded worker process per core (boostreg.run._choose_layout); this measures it
against one process using every core per fit.
"""

import argparse
import os
import shutil
import tempfile
import time

from boostreg import DatasetSpec, Study, run_study


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=["diabetes", "breast_cancer", "sparse_linear", "credit_data"])
    parser.add_argument("--trees", type=int, default=100)
    args = parser.parse_args(argv)
    cores = os.cpu_count() or 1
    study = Study(
        name="layout",
        datasets=[DatasetSpec(name=d) for d in args.datasets],
        grid={"reg_alpha": [0, 0.1, 1, 10], "reg_lambda": [0, 1, 10]},
        params={"n_estimators": args.trees, "learning_rate": 0.1},
        folds=3,
    )
    rows = []
    for jobs in (cores, 1):
        out = tempfile.mkdtemp(prefix="boostreg-layout-")
        t0 = time.perf_counter()
        result = run_study(study, out, jobs=jobs, progress=False)
        wall = time.perf_counter() - t0
        shutil.rmtree(out)
        rows.append((jobs, max(1, cores // jobs), result.n_run, wall))
    print(f"{cores} cores, {args.trees} trees, datasets: {', '.join(args.datasets)}")
    for jobs, threads, n, wall in rows:
        print(f"  {jobs} process(es) x {threads} thread(s): {n} fits in {wall:.1f} s = {60 * n / wall:.0f} fits/min")
    print(f"  ratio (1 x {cores} threads) / ({cores} x 1 thread): {rows[1][3] / rows[0][3]:.2f}")


if __name__ == "__main__":
    main()
