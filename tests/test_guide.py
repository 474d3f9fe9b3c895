"""The tuning guide: numbers against an independent pandas computation, a rule flip, and a real tiny run."""

import itertools

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from boostreg import DatasetSpec, Study, run_study
from boostreg.cli import cli
from boostreg.guide import MATERIAL_GAIN, build_guide

GRID = [0.0, 1.0, 10.0]
DATASETS = {"b_small": ("binary", 100), "b_big": ("binary", 1000), "r_mid": ("regression", 5000)}
DEFAULTS = {"xgboost": (0.0, 1.0), "lightgbm": (0.0, 0.0)}
FOLD_OFFSET = [-0.01, 0.0, 0.01]  # averages to 0 over the 3 folds


def synthetic_records(seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for (dataset, (task, n)), engine in itertools.product(DATASETS.items(), DEFAULTS):
        base = 0.8 if task == "binary" else 0.6
        gains = {p: rng.uniform(0, 0.003) for p in itertools.product(GRID, GRID)}
        for (a, l), fold in itertools.product(itertools.product(GRID, GRID), range(3)):
            m = base + gains[(a, l)] + FOLD_OFFSET[fold]
            rows.append({
                "study": "synthetic", "dataset": dataset, "task": task, "engine": engine, "fold": fold, "seed": 0,
                "status": "ok", "in_grid": True, "reg_alpha": a, "reg_lambda": l, "learning_rate": 0.1,
                "max_depth": 6.0, "num_leaves": 31.0, "n_train": n,
                "test_auc": m if task == "binary" else np.nan, "test_r2": m if task == "regression" else np.nan,
                "n_noise_features_used": (10 - a / 2) if dataset == "b_small" else np.nan,
                "zero_leaf_frac": a / 100})
    return pd.DataFrame(rows)


def independent(fits: pd.DataFrame):
    """Tunability, optima, ranges and defaults by plain pandas."""
    f = fits.assign(metric=fits.test_auc.fillna(fits.test_r2))
    surf = f.groupby(["engine", "dataset", "reg_alpha", "reg_lambda"]).metric.mean()
    tun, optima = {}, {}
    for (engine, dataset), s in surf.groupby(level=[0, 1]):
        s = s.droplevel([0, 1])
        a0, l0 = DEFAULTS[engine]
        d = s[(a0, l0)]
        tun[(engine, dataset)] = (s.xs(l0, level="reg_lambda").max() - d, s.xs(a0, level="reg_alpha").max() - d,
                                  s.max() - d)
        optima[(engine, dataset)] = s.idxmax()
    ranges, defaults = {}, {}
    for engine in DEFAULTS:
        opts = [v for (e, _), v in optima.items() if e == engine]
        for i, pen in enumerate(("reg_alpha", "reg_lambda")):
            vals = np.array([o[i] for o in opts])
            ranges[(engine, pen)] = (np.quantile(vals, 0.05), np.quantile(vals, 0.95))
        s = surf.loc[engine]
        loss = s.groupby(level="dataset").transform("max") - s
        defaults[engine] = loss.groupby(level=["reg_alpha", "reg_lambda"]).mean().idxmin()
    return tun, optima, ranges, defaults


def test_numbers_match_independent_computation():
    fits = synthetic_records()
    g = build_guide(fits)
    tun, optima, ranges, defaults = independent(fits)
    assert len(g.tunability) == 6
    for r in g.tunability.itertuples():
        exp = tun[(r.engine, r.dataset)]
        assert (r.d_alpha, r.d_lambda, r.d_both) == pytest.approx(exp, abs=1e-12)
        assert (r.best_alpha, r.best_lambda) == optima[(r.engine, r.dataset)]
    for r in g.ranges.itertuples():
        assert (r.q05, r.q95) == pytest.approx(ranges[(r.engine, r.penalty)])
    for r in g.defaults.itertuples():
        assert (r.reg_alpha, r.reg_lambda) == defaults[r.engine]
    # mean across datasets (pooled) is the plain mean of the per-dataset gains
    s = g.summary.set_index(["engine", "task", "tuned"])
    for engine in DEFAULTS:
        assert s.loc[(engine, "all", "both"), "mean"] == pytest.approx(np.mean([v[2] for (e, _), v in tun.items()
                                                                                if e == engine]))
        lo, hi = s.loc[(engine, "all", "both"), ["ci_low", "ci_high"]]
        assert lo <= s.loc[(engine, "all", "both"), "mean"] <= hi
    # noise: b_small only; best alpha (lambda at default) vs alpha = 0
    f = fits.assign(metric=fits.test_auc.fillna(fits.test_r2))
    for r in g.noise.itertuples():
        a0, l0 = DEFAULTS[r.engine]
        sub = f[(f.engine == r.engine) & (f.dataset == r.dataset) & (f.reg_lambda == l0)].groupby("reg_alpha").mean(
            numeric_only=True)
        best = sub.metric.idxmax()
        assert r.best_alpha == best
        assert r.d_noise == pytest.approx(sub.n_noise_features_used[best] - sub.n_noise_features_used[0.0])
        assert r.d_metric == pytest.approx(sub.metric[best] - sub.metric[0.0])
    assert set(g.noise.dataset) == {"b_small"}
    for r in g.compression.itertuples():
        assert r.zero_leaf_frac == pytest.approx(0.1)  # a / 100 at a = 10
    assert g.interactions.empty  # one level of each setting


def test_record_change_flips_recipe_sentence():
    fits = synthetic_records()
    before = build_guide(fits).recipe["xgboost"][0].text
    assert before.startswith("Leave reg_lambda")
    bumped = fits.copy()
    mask = (bumped.reg_alpha == 0) & (bumped.reg_lambda == 10)
    bumped.loc[mask, "test_auc"] += 10 * MATERIAL_GAIN
    bumped.loc[mask, "test_r2"] += 10 * MATERIAL_GAIN
    after = build_guide(bumped).recipe["xgboost"][0].text
    assert after.startswith("Tune reg_lambda")


def test_interaction_levels():
    a = synthetic_records(1)
    b = synthetic_records(2).assign(learning_rate=0.3)
    b.loc[(b.reg_alpha == 0) & (b.reg_lambda == 10), ["test_auc", "test_r2"]] += 0.05
    g = build_guide(pd.concat([a, b], ignore_index=True))
    lr = g.interactions[(g.interactions.engine == "xgboost") & (g.interactions.parameter == "learning_rate")]
    assert sorted(lr.level) == [0.1, 0.3]
    assert lr.set_index("level").d_lambda[0.3] > lr.set_index("level").d_lambda[0.1] + 0.04
    assert any("learning_rate=0.3" in s.text for s in g.recipe["xgboost"])


def test_guide_cli_on_tiny_run(tmp_path):
    out = tmp_path / "run"
    study = Study(name="guide-test", datasets=[DatasetSpec(name="diabetes", alias="<script>x</script>"),
                                               DatasetSpec(name="breast_cancer")],
                  engines=["xgboost", "lightgbm"], grid={"reg_alpha": [0, 1], "reg_lambda": [0, 1]},
                  params={"n_estimators": 5}, folds=2, seeds=[0])
    run_study(study, out, jobs=1, progress=False)
    res = CliRunner().invoke(cli, ["guide", str(out)])
    assert res.exit_code == 0, res.output
    html, md = out / "guide.html", out / "guide.md"
    assert html.exists() and md.exists()
    text = html.read_text()
    assert "<script>" not in text
    assert "&lt;script&gt;x&lt;/script&gt;" in text
    assert 'href="#tunability"' in text and 'id="tunability"' in text
    assert "Probst et al. 2019, Table 3" in text
    assert "## Recipe" in md.read_text()
    # -o chooses the HTML path; the Markdown goes beside it
    res = CliRunner().invoke(cli, ["guide", str(out), "-o", str(tmp_path / "g.html")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "g.html").exists() and (tmp_path / "g.md").exists()
    # export -> one Parquet file; the guide built from it is byte-identical to the one built from the folder
    res = CliRunner().invoke(cli, ["export", str(out), str(tmp_path / "fits.parquet")])
    assert res.exit_code == 0, res.output
    assert "32 fit records" in res.output  # 2 datasets x 2 engines x 2 x 2 grid points x 2 folds
    exported = pd.read_parquet(tmp_path / "fits.parquet")
    assert list(exported.fit_id) == sorted(exported.fit_id) and exported.fit_id.is_unique
    res = CliRunner().invoke(cli, ["guide", str(tmp_path / "fits.parquet"), "-o", str(tmp_path / "from_file.html")])
    assert res.exit_code == 0, res.output
    from_folder = (tmp_path / "g.html").read_text().replace(str(out), "SRC")
    from_file = (tmp_path / "from_file.html").read_text().replace(str(tmp_path / "fits.parquet"), "SRC")
    assert from_folder == from_file
    assert (tmp_path / "g.md").read_text() == (tmp_path / "from_file.md").read_text()
    assert "32 fit records (32 ok) of study guide-test" in from_file


def test_guide_and_export_refuse_what_is_not_records(tmp_path):
    bad = tmp_path / "notes.parquet"
    pd.DataFrame({"a": [1]}).to_parquet(bad)
    res = CliRunner().invoke(cli, ["guide", str(bad)])
    assert res.exit_code == 2 and "is not a file of fit records (no column fit_id)" in res.output
    res = CliRunner().invoke(cli, ["guide", str(tmp_path / "missing")])
    assert res.exit_code == 2 and "does not exist" in res.output
    res = CliRunner().invoke(cli, ["export", str(tmp_path), str(tmp_path / "x.parquet")])
    assert res.exit_code == 2 and "holds no fit records" in res.output
    assert not (tmp_path / "x.parquet").exists()


def test_defaults_gap_sizes_and_early_stopping_match_hand_computation():
    from boostreg.guide import default_gap, early_stopping, n_effect, guide_rows, same_task_sizes

    fits = synthetic_records()
    # the same task at two sizes: b_small_x is b_small's records under 10x the rows
    twin = fits[fits.dataset == "b_small"].copy()
    twin["dataset"], twin["n_train"] = "b_small_x", 1000
    fits = pd.concat([fits, twin], ignore_index=True)
    df = guide_rows(fits)

    f = fits.assign(metric=fits.test_auc.fillna(fits.test_r2))
    surf = f.groupby(["engine", "dataset", "reg_alpha", "reg_lambda"]).metric.mean()
    for _, r in default_gap(df).iterrows():
        by_hand = [surf[(r.engine, d, 0.0, 1.0)] - surf[(r.engine, d, 0.0, 0.0)] for d in fits.dataset.unique()]
        assert r["mean"] == pytest.approx(np.mean(by_hand), abs=1e-12) and r.n_datasets == 4

    per_n, _ = n_effect(df)
    sizes = same_task_sizes(per_n)
    assert len(sizes) == 2 and set(sizes.small) == {"b_small"} and set(sizes.large) == {"b_small_x"}
    for r in sizes.itertuples():
        a0, l0 = DEFAULTS[r.engine]
        effect = surf[(r.engine, "b_small", 10.0, 10.0)] - surf[(r.engine, "b_small", a0, l0)]
        assert r.effect_small == pytest.approx(effect) and r.effect_large == pytest.approx(effect)
        assert r.n_small == 100 and r.n_large == 1000

    assert early_stopping(df).empty  # no early stopping in these records
    es = fits.assign(early_stopping_rounds=10.0, n_estimators=100.0,
                     n_trees=np.where(fits.reg_lambda == 10.0, np.where(fits.fold == 0, 95, 40), 20))
    table = early_stopping(guide_rows(es)).set_index(["engine", "reg_lambda"])
    # at reg_lambda = 10, fold 0 kept 95 trees (best round within 10 of the cap of 100): 1 fit in 3 ended by the cap
    assert table.loc[("xgboost", 10.0), "share_at_cap"] == pytest.approx(1 / 3)
    assert table.loc[("xgboost", 10.0), "median_trees"] == 40 and table.loc[("xgboost", 0.0), "median_trees"] == 20
    assert table.loc[("lightgbm", 1.0), "share_at_cap"] == 0
