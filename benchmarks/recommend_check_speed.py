"""How long ``boostreg recommend --check`` takes against its floor: a plain script that fits the same models.

    .venv/bin/python benchmarks/recommend_check_speed.py                      # diabetes and breast_cancer, 5 pairs
    .venv/bin/python benchmarks/recommend_check_speed.py --pairs 3 --engine lightgbm

Each side runs as a whole process (interpreter start, imports, reading the CSV), alternating a b a b ...: (a)
``boostreg recommend --data F --target y --check --engine E``; (b) a script that reads the same CSV and, on the same
5 stratified (binary) or plain (regression) shuffled folds, fits the guide's assumed settings twice per fold with
the library's own scikit-learn class and early stopping on the held-out fold (the recommended values and the
library default, both raw: the floor does not compute alpha_max or H-bar, which --check needs one tree per fold
for). The table gives the medians and the median of each pair's ratio a/b (issue 31 item 2: <= 1.5).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

FLOOR = r"""
import sys
import numpy as np, pandas as pd
from sklearn.model_selection import KFold, StratifiedKFold
path, engine, task = sys.argv[1:4]
df = pd.read_csv(path)
X, y = df.drop(columns="y"), df["y"].to_numpy()
split = (StratifiedKFold if task == "binary" else KFold)(n_splits=5, shuffle=True, random_state=0)
if engine == "xgboost":
    import xgboost as xgb
    cls = xgb.XGBClassifier if task == "binary" else xgb.XGBRegressor
    base = dict(learning_rate=0.1, max_depth=6, n_estimators=500, early_stopping_rounds=30, n_jobs=2)
    points = [dict(reg_alpha=0.0, reg_lambda=1.0), dict(reg_alpha=0.5, reg_lambda=5.0)]
else:
    import lightgbm as lgb
    cls = lgb.LGBMClassifier if task == "binary" else lgb.LGBMRegressor
    base = dict(learning_rate=0.1, num_leaves=31, n_estimators=500, n_jobs=2, verbose=-1)
    points = [dict(reg_alpha=0.0, reg_lambda=0.0), dict(reg_alpha=0.5, reg_lambda=5.0)]
for train, valid in split.split(X, y):
    for p in points:
        m = cls(**base, **p)
        kw = {"callbacks": [lgb.early_stopping(30, verbose=False)]} if engine == "lightgbm" else {"verbose": False}
        m.fit(X.iloc[train], y[train], eval_set=[(X.iloc[valid], y[valid])], **kw)
"""


def _data(name: str, folder: Path) -> tuple[Path, str]:
    from boostreg.data.cards import load_builtin

    ds = load_builtin(name)
    path = folder / f"{name}.csv"
    ds.X.assign(y=ds.y).to_csv(path, index=False)
    return path, ds.task


def _time(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", nargs="+", default=["diabetes", "breast_cancer"])
    ap.add_argument("--engine", nargs="+", default=["lightgbm", "xgboost"])
    ap.add_argument("--pairs", type=int, default=5)
    args = ap.parse_args()
    boostreg = str(Path(sys.executable).with_name("boostreg"))
    print("| dataset | rows | engine | recommend --check (a) | plain script (b) | a/b median [range] |")
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        floor = Path(tmp) / "floor.py"
        floor.write_text(FLOOR)
        for name in args.datasets:
            path, task = _data(name, Path(tmp))
            rows = sum(1 for _ in path.open()) - 1
            for engine in args.engine:
                a_cmd = [boostreg, "recommend", "--data", str(path), "--target", "y", "--check", "--engine", engine]
                b_cmd = [sys.executable, str(floor), str(path), engine, task]
                pairs = [(_time(a_cmd), _time(b_cmd)) for _ in range(args.pairs)]
                a, b = np.array(pairs).T
                r = a / b
                print(
                    f"| {name} | {rows} | {engine} | {np.median(a):.2f} s | {np.median(b):.2f} s | "
                    f"{np.median(r):.2f} [{r.min():.2f}, {r.max():.2f}] |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
