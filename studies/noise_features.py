"""Does L1 act as feature selection for boosted trees? A study script on boostreg's Python API.

Sweeps reg_alpha (at reg_lambda = 0 and 1) on friedman1_noise with more and more pure-noise columns and
prints how many noise features the trees still split on, beside test error and the zero-leaf fraction.

    python studies/noise_features.py --out runs/noise_features
"""

import argparse

from boostreg import DatasetSpec, Study, log_grid, run_study


def build_study(n_estimators: int = 100, folds: int = 3, n_samples: int = 2000) -> Study:
    datasets = [
        DatasetSpec(name="friedman1_noise", alias=f"friedman1_p{p}", params={"n_features": p, "n_samples": n_samples})
        for p in (10, 50)
    ]
    return Study(
        name="noise_features",
        description="reg_alpha sweep on Friedman #1 with 5 vs 45 pure-noise features",
        datasets=datasets,
        grid={"reg_alpha": log_grid(0.01, 100, 5), "reg_lambda": [0.0, 1.0]},
        params={"n_estimators": n_estimators, "learning_rate": 0.1},
        engine_params={"xgboost": {"max_depth": 4}, "lightgbm": {"num_leaves": 15}},
        folds=folds,
        seeds=[0],
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="runs/noise_features")
    parser.add_argument("--n-estimators", type=int, default=100)
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--n-samples", type=int, default=2000)
    parser.add_argument("--jobs", type=int, default=None)
    args = parser.parse_args(argv)
    study = build_study(args.n_estimators, args.folds, args.n_samples)
    result = run_study(study, args.out, jobs=args.jobs)
    fits = result.fits
    table = (
        fits.groupby(["dataset", "engine", "reg_lambda", "reg_alpha"])[
            ["n_noise_features_used", "n_features_used", "zero_leaf_frac", "test_error"]
        ]
        .mean()
        .round(3)
    )
    print(table.to_string())
    print(f"results: {result.out}")
    return table


if __name__ == "__main__":
    main()
