"""The tuning guide: the rule and its leave-one-dataset-out proof against hand computations on hand-made records, a
rule that flips when the records change, no contradictions, a real tiny run through the CLI, and recommend."""

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from scipy import stats

from boostreg.cli import cli
from boostreg.guide import Step, build_guide, contradictions, guide_rows, lodo, recommend, relative_surface

pytestmark = pytest.mark.slow  # the guide and recommend on real runs

ALPHAS = (0.0, 0.01, 0.1)
LAMBDAS = (0.0, 1.0, 10.0)
TASKS = {"r1": "regression", "r2": "regression", "b1": "binary", "b2": "binary", "syn": "regression"}


def records(measure, datasets=TASKS, folds=3, seed=0):
    """A relative 3 x 3 grid per fold group, plus XGBoost's default (0, 1 raw = 0.02 H-bar here); ``measure(row,
    rng)`` gives valid_error and test_error. 'syn' is synthetic (known noise features)."""
    rng = np.random.default_rng(seed)
    rows = []
    for dataset, task in datasets.items():
        for engine in ("xgboost", "lightgbm"):
            for fold in range(folds):
                gid = f"{dataset}-{engine}-{fold}"
                points = [(a, l, True) for a in ALPHAS for l in LAMBDAS]
                if engine == "xgboost":
                    points.append((0.0, 0.02, False))
                for a, l, in_grid in points:
                    default = (engine == "lightgbm" and a == l == 0) or not in_grid
                    row = {
                        "study": "t",
                        "dataset": dataset,
                        "task": task,
                        "engine": engine,
                        "fold": fold,
                        "seed": 0,
                        "group_id": gid,
                        "fit_id": f"{gid}-{a}-{l}-{in_grid}",
                        "status": "ok",
                        "in_grid": in_grid,
                        "is_default": default,
                        "reg_alpha": a * 7,
                        "reg_lambda": l * 50,
                        "reg_alpha_relative": a,
                        "reg_lambda_relative": l,
                        "reg_alpha_units": "relative" if a else "raw",
                        "reg_lambda_units": "relative" if l and in_grid else "raw",
                        "primary_metric": "rmse",
                        "n_train": 200,
                        "n_test": 100,
                        "n_valid": 50,
                        "fit_time_s": 0.1,
                        "params_json": json.dumps({"learning_rate": 0.1, "n_estimators": 50}),
                        "n_noise_features_used": 3.0 if dataset == "syn" else np.nan,
                        "first_tree_grad_abs_max": 7.0,
                        "first_tree_hess_mean": 50.0,
                        "n_leaves_mean": 4.0,
                        "engine_version": "x",
                        "point_label": None,
                    }
                    row.update(measure(row, rng))
                    row["test_auc" if task == "binary" else "test_r2"] = 1 - row["test_error"] / 2
                    rows.append(row)
    return pd.DataFrame(rows)


def lam_helps(row, rng):
    """reg_lambda = 1 H-bar is 5% better than anything else, on validation and on test."""
    e = 0.95 if row["reg_lambda_relative"] == 1.0 and row["reg_alpha_relative"] == 0 and row["in_grid"] else 1.0
    return {"valid_error": e + rng.normal(0, 0.002), "test_error": e + rng.normal(0, 0.01)}


def test_the_rule_is_the_smallest_mean_validation_ratio_by_hand():
    fits = records(lam_helps)
    df = guide_rows(fits)
    surface = relative_surface(df[~df.synthetic])
    rec = recommend(surface, ["r1", "r2", "b1", "b2"]).set_index("engine")
    # by hand: valid_error / the default's, per fold group, mean over folds, mean over datasets
    real = fits[(fits.dataset != "syn")]
    default = real[real.is_default].set_index("group_id").valid_error
    grid = real[real.in_grid].assign(ratio=lambda d: d.valid_error / d.group_id.map(default))
    means = grid.groupby(["engine", "dataset", "reg_alpha_relative", "reg_lambda_relative"]).ratio.mean()
    for engine in ("xgboost", "lightgbm"):
        by_point = means.loc[engine].groupby(level=[1, 2]).mean()
        a, lam = by_point.idxmin()
        assert (rec.at[engine, "alpha_rel"], rec.at[engine, "lambda_rel"]) == (a, lam) == (0.0, 1.0)
        assert rec.at[engine, "mean_valid_ratio"] == pytest.approx(by_point.min())
    assert "syn" not in set(surface.dataset)  # synthetic data never enter the rule


def test_leave_one_dataset_out_matches_a_hand_computation():
    fits = records(lam_helps)
    proof = lodo(guide_rows(fits)).set_index(["engine", "dataset"])
    assert "syn" not in set(proof.index.get_level_values(1))
    for engine in ("xgboost", "lightgbm"):
        g = fits[(fits.engine == engine) & (fits.dataset == "b1")]
        default = g[g.is_default].set_index("group_id").test_error
        chosen = g[g.in_grid & (g.reg_alpha_relative == 0) & (g.reg_lambda_relative == 1.0)].set_index("group_id")
        d = default.reindex(chosen.index) - chosen.test_error
        half = stats.t.ppf(0.975, len(d) - 1) * np.sqrt((1 / len(d) + 100 / 200) * d.var(ddof=1))
        row = proof.loc[(engine, "b1")]
        assert (row.alpha_rel, row.lambda_rel) == (0.0, 1.0)
        assert row.rec_gain == pytest.approx(d.mean())
        assert (row.rec_gain_low, row.rec_gain_high) == pytest.approx((d.mean() - half, d.mean() + half))
        # relative gain as everywhere: the mean of per-group ratios (not mean(d) / mean(default)), same interval
        r = d / default.reindex(chosen.index)
        r_half = stats.t.ppf(0.975, len(r) - 1) * np.sqrt((1 / len(r) + 100 / 200) * r.var(ddof=1))
        assert row.rec_rel_gain == pytest.approx(r.mean())
        assert (row.rec_rel_low, row.rec_rel_high) == pytest.approx((r.mean() - r_half, r.mean() + r_half))


def test_the_guide_says_where_its_advice_does_not_help_and_the_sentence_flips():
    good = build_guide(records(lam_helps))
    xgb = [s.text for s in good.recipe["xgboost"]]
    assert "no worse than the default on any dataset" in xgb[1]

    def hurts_b2(row, rng):  # the same, except that on b2's test folds lambda = 1 H-bar is 30% worse
        out = lam_helps(row, rng)
        if row["dataset"] == "b2" and row["reg_lambda_relative"] == 1.0 and row["in_grid"]:
            out["test_error"] = 1.3 + rng.normal(0, 0.01)
        return out

    bad = build_guide(records(hurts_b2))
    text = [s.text for s in bad.recipe["xgboost"]][1]
    assert "did not help on 1 of 4 datasets: b2" in text and "clearly worse (interval below 0) on b2" in text


def test_the_advice_keeps_the_default_where_the_validation_split_prefers_it():
    """The advice is the recommended point checked against the default on each fold's validation split: where the
    validation split sees the point lose, the default is kept (a tie), where it does not, the point is kept and
    its test loss counts. By hand, per fold group."""

    def hurts_b2_visibly(row, rng):  # on b2 lambda = 1 H-bar is 6% worse on validation and on test (elsewhere
        out = lam_helps(row, rng)  # 5% better, so it stays the rule)
        if row["dataset"] == "b2" and row["reg_lambda_relative"] == 1.0 and row["in_grid"]:
            out = {"valid_error": 1.06 + rng.normal(0, 0.002), "test_error": 1.06 + rng.normal(0, 0.002)}
        if row["dataset"] == "r1" and row["fold"] == 0 and row["reg_lambda_relative"] == 1.0 and row["in_grid"]:
            out = {"valid_error": 1.2, "test_error": 0.9}  # validation prefers the default in one fold only
        return out

    fits = records(hurts_b2_visibly)
    proof = lodo(guide_rows(fits)).set_index(["engine", "dataset"])
    for engine in ("xgboost", "lightgbm"):
        b2 = proof.loc[(engine, "b2")]
        assert (b2.alpha_rel, b2.lambda_rel) == (0.0, 1.0)
        assert b2.rec_clearly_worse and b2.rec_rel_gain < -0.04  # the point alone loses clearly
        assert b2.chk_gain == 0 and not b2.chk_clearly_worse  # the advice kept the default in every fold
        # r1: fold 0 keeps the default (gain 0), folds 1 and 2 keep the point
        g = fits[(fits.engine == engine) & (fits.dataset == "r1")]
        default = g[g.is_default].set_index("fold").test_error
        point = g[g.in_grid & (g.reg_alpha_relative == 0) & (g.reg_lambda_relative == 1.0)].set_index("fold").test_error
        by_hand = np.mean([0.0, default[1] - point[1], default[2] - point[2]])
        assert proof.loc[(engine, "r1")].chk_gain == pytest.approx(by_hand)
        assert proof.loc[(engine, "r1")].rec_gain == pytest.approx((default - point).mean())
    guide = build_guide(fits)
    xgb = [s.text for s in guide.recipe["xgboost"]]
    assert "kept the default in every fold of b2" in xgb[1] and "clearly worse" not in xgb[1].split(";")[-1][:30]
    assert "clearly worse on b2" in xgb[2] and "that is why the recipe checks it" in xgb[2]


def test_no_two_rules_contradict():
    guide = build_guide(records(lam_helps))
    assert contradictions(guide.recipe) == []
    clash = {
        "x": [Step("a", "p", {("xgboost", "reg_alpha"): 0.1})],
        "y": [Step("b", "p", {("xgboost", "reg_alpha"): 0.0})],
    }
    assert contradictions(clash) == ["('xgboost', 'reg_alpha'): 0.1 vs 0.0"]


def test_records_without_defaults_or_validation_are_refused():
    from boostreg.errors import BoostregError

    with pytest.raises(BoostregError, match="validation"):
        build_guide(records(lam_helps).assign(valid_error=np.nan))
    with pytest.raises(BoostregError, match="library-default"):
        build_guide(records(lam_helps).assign(is_default=False))


def test_guide_and_recommend_on_a_tiny_real_run(tmp_path, monkeypatch):
    from boostreg import DatasetSpec, Study, relative, run_study
    from boostreg.advice import data_units, recommend_for
    from boostreg.data import load_builtin

    study = Study(
        name="tiny-guide",
        engines=["xgboost", "lightgbm"],
        datasets=[
            DatasetSpec(name="diabetes"),
            DatasetSpec(name="breast_cancer"),
            DatasetSpec(name="credit_data", max_rows=800),
        ],
        grid={"reg_alpha": relative([0, 0.1]), "reg_lambda": relative([0, 1])},
        params={"n_estimators": 20, "learning_rate": 0.3, "validation_fraction": 0.2},
        folds=2,
    )
    run_study(study, tmp_path / "out", jobs=1, progress=False)
    res = CliRunner().invoke(cli, ["guide", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    html, md = tmp_path / "out" / "guide.html", tmp_path / "out" / "guide.md"
    first = (html.read_bytes(), md.read_bytes(), (tmp_path / "out" / "recommendation.json").read_bytes())
    assert (tmp_path / "out" / "guide_files" / "lodo_gain.png").stat().st_size > 1000
    assert "Proof out of sample" in md.read_text() and "data:image/png;base64," in html.read_text()
    CliRunner().invoke(cli, ["guide", str(tmp_path / "out")])  # the same records give the same files
    assert first == (html.read_bytes(), md.read_bytes(), (tmp_path / "out" / "recommendation.json").read_bytes())
    rec = json.loads(first[2])
    # recommend applies it: raw = relative x (alpha_max, H-bar) of one unpenalized tree on the rows given
    ds = load_builtin("diabetes")
    advice = {a.engine: a for a in recommend_for(ds, recommendation=rec)}
    for engine, a in advice.items():
        alpha_max, h_bar = data_units(ds, engine, rec["assumptions"][engine])
        assert a.reg_alpha == pytest.approx(rec["engines"][engine]["reg_alpha_relative"] * alpha_max)
        assert a.reg_lambda == pytest.approx(rec["engines"][engine]["reg_lambda_relative"] * h_bar)
        assert a.rows == len(ds.y) and a.h_bar == pytest.approx(len(ds.y) / a.assumptions.get("leaves", 1), rel=10)


def test_data_units_by_hand_from_the_first_trees_leaves():
    """alpha_max = max |G| and H-bar = mean H over the unpenalized first tree's leaves, G and H summed by hand from
    the rows' leaf ids at the base margin (squared error: g = margin - y, h = 1, so H-bar is rows per leaf)."""
    from boostreg.advice import data_units
    from boostreg.data import load_builtin
    from boostreg.engines import ENGINES, Fold

    ds = load_builtin("diabetes")
    settings = {"learning_rate": 0.1, "max_depth": 6, "num_leaves": 31}
    for engine in ("xgboost", "lightgbm"):
        alpha_max, h_bar = data_units(ds, engine, settings)
        e = ENGINES[engine]
        fold = Fold(ds.X, ds.y, ds.X.iloc[:1], ds.y[:1], ds.task)
        params = {**settings, "n_estimators": 1, "reg_alpha": 0.0, "reg_lambda": 0.0}
        prepared = e.prepare(fold, params, threads=1)
        ens = e.ensemble(e.fit(prepared, params, seed=0, threads=1), prepared, fold, params, test_leaf=False)
        leaf = ens.train_leaf[:, 0]
        g = ens.base_margin - ds.y.astype(np.float32)
        G = pd.Series(g).groupby(leaf).sum()
        rows = pd.Series(1, index=leaf).groupby(level=0).sum()
        assert alpha_max == pytest.approx(G.abs().max(), rel=1e-5)
        assert h_bar == pytest.approx(rows.mean())  # rows per leaf
        # the unit's meaning: at alpha_max every leaf of this tree thresholds to 0, just below it one does not
        assert (np.maximum(G.abs() - alpha_max, 0) == 0).all() and (G.abs() > alpha_max * 0.99).any()


def test_recommend_cli_json_on_a_csv(tmp_path):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=400), "b": rng.normal(size=400)})
    frame["y"] = 3 * frame.a + rng.normal(size=400)
    frame.to_csv(tmp_path / "my.csv", index=False)
    res = CliRunner().invoke(
        cli, ["recommend", "--data", str(tmp_path / "my.csv"), "--target", "y", "--format", "json"]
    )
    assert res.exit_code == 0, res.output
    rows = json.loads(res.output)
    assert [r["engine"] for r in rows] == ["lightgbm", "xgboost"]
    for r in rows:
        for key in ("reg_alpha", "reg_lambda", "reg_alpha_range", "reg_lambda_range", "assumptions", "rule"):
            assert key in r
        assert r["reg_lambda"] == pytest.approx(r["reg_lambda_relative"] * r["h_bar"])
        assert "learning_rate" in r["assumptions"] and r["assumptions"]["rows"] == 400
    bad = CliRunner().invoke(cli, ["recommend", "--data", str(tmp_path / "nope.csv"), "--target", "y"])
    assert bad.exit_code == 2 and "not found" in bad.output


def test_recommend_from_python_returns_what_the_cli_prints_as_json(tmp_path):
    """boostreg.recommend(frame, target, ...) is the public API of `boostreg recommend`: the same Advice objects whose
    to_dict() the CLI's --format json prints; groups= keeps each group whole in --check's splits."""
    import json

    import boostreg
    import boostreg.guide  # noqa: F401 - imports boostreg.advice, the module behind the function
    from boostreg.advice import Advice

    assert callable(boostreg.recommend) and boostreg.recommend.__name__ == "recommend"
    rng = np.random.default_rng(3)
    n = 200
    frame = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n), "store": np.repeat(np.arange(10), 20)})
    frame["y"] = 2 * frame.a + rng.normal(size=n)
    advice = boostreg.recommend(frame, "y", engines=["lightgbm"])
    assert [type(a) for a in advice] == [Advice] and advice[0].engine == "lightgbm"
    frame.to_csv(tmp_path / "my.csv", index=False)
    res = CliRunner().invoke(
        cli,
        ["recommend", "--data", str(tmp_path / "my.csv"), "--target", "y", "--engine", "lightgbm", "--format", "json"],
    )
    assert res.exit_code == 0, res.output
    printed = json.loads(res.output[res.output.index("[") :])
    assert printed[0]["reg_alpha"] == pytest.approx(advice[0].to_dict()["reg_alpha"])
    assert printed[0]["reg_lambda"] == pytest.approx(advice[0].to_dict()["reg_lambda"])
    assert printed[0]["alpha_max"] == pytest.approx(advice[0].alpha_max)
    grouped = boostreg.recommend(frame, "y", engines=["lightgbm"], groups="store", check=True)[0]
    assert grouped.check["n_valid"] == 40 and grouped.rows == n  # 5 folds of 2 whole stores; 'store' left the features
    with pytest.raises(boostreg.BoostregError, match="groups column 'shop' not found"):
        boostreg.recommend(frame, "y", groups="shop")
    with pytest.raises(boostreg.BoostregError, match="3 whole-number values"):
        boostreg.recommend(frame.assign(y=np.arange(n) % 3), "y")
    res = CliRunner().invoke(
        cli, ["recommend", "--data", str(tmp_path / "my.csv"), "--target", "y", "--groups", "shop"]
    )
    assert res.exit_code == 2 and "groups column 'shop' not found" in res.output


def test_recommend_check_keeps_what_the_validation_split_prefers_and_the_verdict_flips():
    """--check fits the recommended values beside the library default on 5 cross-validation splits of the user's rows
    and keeps the one with the lower mean validation error. A penalty that zeroes every leaf (reg_alpha = alpha_max)
    loses to the default where the target has signal, and wins where it is pure noise (the default overfits it)."""
    from boostreg.advice import recommend_for
    from boostreg.data import load_frame

    rng = np.random.default_rng(1)
    x = rng.normal(size=(600, 4))
    frames = {"signal": 3 * x[:, 0] + rng.normal(size=600), "noise": rng.normal(size=600)}
    # 200 rounds without early stopping: the default overfits pure noise for sure (with early stopping on the
    # split it is scored on, the default's selected round can match the constant prediction by chance)
    zero_all = {
        "assumptions": {e: {"learning_rate": 0.1, "n_estimators": 200} for e in ("xgboost", "lightgbm")},
        "engines": {e: {"reg_alpha_relative": 1.0, "reg_lambda_relative": 0.0} for e in ("xgboost", "lightgbm")},
    }
    kept = {}
    for name, y in frames.items():
        ds = load_frame(pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "c": x[:, 2], "d": x[:, 3], "y": y}), "y", name=name)
        for advice in recommend_for(ds, recommendation=zero_all, check=True):
            c = advice.check
            assert c["folds"] == 5 and c["n_valid"] == 120 and c["n_train"] == 480
            assert len(c["fold_errors_recommended"]) == len(c["fold_errors_default"]) == 5
            assert c["valid_error_recommended"] == pytest.approx(np.mean(c["fold_errors_recommended"]))
            winner = "recommended" if c["valid_error_recommended"] < c["valid_error_default"] else "default"
            assert c["kept"] == winner
            assert (advice.reg_alpha, advice.reg_lambda) == ((c["reg_alpha"], c["reg_lambda"]))
            if winner == "default":
                assert (advice.reg_alpha, advice.reg_lambda) == (c["default_reg_alpha"], c["default_reg_lambda"])
            kept[name, advice.engine] = c["kept"]
    assert kept == {
        ("signal", "lightgbm"): "default",
        ("signal", "xgboost"): "default",
        ("noise", "lightgbm"): "recommended",
        ("noise", "xgboost"): "recommended",
    }


def test_recommend_check_shows_progress_over_its_fits(capsys):
    """--check's 2 x 5 fits per engine report progress on stderr (plain lines when stderr is not a terminal), so a
    user can tell a slow machine from a hang; without progress nothing is printed."""
    from boostreg.advice import recommend_for
    from boostreg.data import load_frame

    rng = np.random.default_rng(2)
    frame = pd.DataFrame(rng.normal(size=(120, 3)), columns=["a", "b", "c"]).assign(y=rng.normal(size=120))
    ds = load_frame(frame, "y", name="small")
    rec = {
        "assumptions": {"lightgbm": {"learning_rate": 0.1, "n_estimators": 5}},
        "engines": {"lightgbm": {"reg_alpha_relative": 0.0, "reg_lambda_relative": 1.0}},
    }
    recommend_for(ds, recommendation=rec, check=True)
    assert capsys.readouterr().err == ""
    recommend_for(ds, recommendation=rec, check=True, progress=True)
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines[-1].startswith("boostreg: 10/10 fits (100%)") and "done in" in lines[-1]
    assert len(lines) >= 2  # lines on the way (every 10% of the fits), not only the final one


def test_recommend_quotes_the_record_of_the_procedure_it_ran(tmp_path):
    """check=True quotes the fresh hold-out's record of the 5-fold check (and only for the values it tested);
    check=False quotes the guide's record of the values alone, never the fresh check's, and names the one-split
    procedure where only that record exists. The shipped recommendation carries the fresh record; the CLI prints it."""
    from boostreg.advice import PROCEDURE_ALONE, PROCEDURE_CHECKED, PROCEDURE_ONE_SPLIT, recommend_for
    from boostreg.data import load_frame
    from boostreg.guide import recommendation_for

    rng = np.random.default_rng(2)
    x = rng.normal(size=(300, 3))
    ds = load_frame(
        pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "c": x[:, 2], "y": 2 * x[:, 0] + rng.normal(size=300)}), "y", name="t"
    )

    def row(wins):
        return {
            "n_datasets": 23,
            "wins": wins,
            "ties": 1,
            "clearly_worse": 0,
            "mean_rel_gain": 0.01,
            "rel_low": 0.0,
            "rel_high": 0.02,
            "worst_dataset": "w",
            "worst_rel_gain": -0.01,
        }

    fresh = {
        "n": 14,
        "wins": 9,
        "ties": 2,
        "clearly_worse": 0,
        "clearly_better": 1,
        "mean_rel_gain": 0.004,
        "rel_low": -0.001,
        "rel_high": 0.009,
        "worst_dataset": "fresh_worst",
        "worst_rel_gain": -0.02,
        "reg_alpha_relative": 0.0,
        "reg_lambda_relative": 1.0,
    }
    rec = {
        "assumptions": {"lightgbm": {"learning_rate": 0.3, "n_estimators": 20}},
        "engines": {
            "lightgbm": {
                "reg_alpha_relative": 0.0,
                "reg_lambda_relative": 1.0,
                "lodo": row(17),
                "lodo_point_alone": row(15),
            }
        },
        "fresh_check": {
            "datasets": 14,
            "date": "2026-12-07",
            "list_sha256": "ab" * 32,
            "outer_cv": "5-fold x 2",
            "pooled_interval": "t",
            "engines": {"lightgbm": fresh},
        },
    }
    checked = recommend_for(ds, recommendation=rec, check=True)[0].evidence
    assert checked["procedure"] == PROCEDURE_CHECKED and "fresh hold-out" in checked["record"]
    assert (checked["wins"], checked["n_datasets"], checked["worst_dataset"]) == (9, 14, "fresh_worst")
    assert "9 of 14" in checked["text"] and "17 of 23" not in checked["text"]
    alone = recommend_for(ds, recommendation=rec)[0].evidence
    assert alone["procedure"] == PROCEDURE_ALONE and (alone["wins"], alone["n_datasets"]) == (15, 23)
    assert "fresh" not in alone["record"] and "9 of 14" not in alone["text"] and "15 of 23" in alone["text"]
    # only the one-split checked record: quoted as exactly that, not as the unchecked values' record
    one_split = {
        **rec,
        "engines": {"lightgbm": {k: v for k, v in rec["engines"]["lightgbm"].items() if k != "lodo_point_alone"}},
    }
    ev = recommend_for(ds, recommendation=one_split)[0].evidence
    assert ev["procedure"] == PROCEDURE_ONE_SPLIT and ev["wins"] == 17 and "one validation split" in ev["text"]
    # a fresh record of other values is not quoted for these
    other = {"lightgbm": {**fresh, "reg_lambda_relative": 3.0}}
    stale = {**rec, "fresh_check": {**rec["fresh_check"], "engines": other}}
    ev = recommend_for(ds, recommendation=stale, check=True)[0].evidence
    assert ev["record"] is None and "wins" not in ev and "9 of 14" not in ev["text"]

    shipped = recommendation_for()
    for engine, r in shipped["engines"].items():
        f = shipped["fresh_check"]["engines"][engine]
        assert (f["reg_alpha_relative"], f["reg_lambda_relative"]) == (
            r["reg_alpha_relative"],
            r["reg_lambda_relative"],
        )
    frame = pd.DataFrame({"a": x[:, 0], "y": 2 * x[:, 0] + rng.normal(size=300)})
    path = tmp_path / "my.csv"
    frame.to_csv(path, index=False)
    for flag, quoted in (
        (["--check"], shipped["fresh_check"]["engines"]["lightgbm"]),
        ([], shipped["engines"]["lightgbm"]["lodo_point_alone"]),
    ):
        res = CliRunner().invoke(
            cli, ["recommend", "--data", str(path), "--target", "y", "--engine", "lightgbm", *flag]
        )
        assert res.exit_code == 0, res.output
        line = next(s for s in res.output.splitlines() if s.startswith("lightgbm, evidence"))
        assert f"{quoted['wins']} of {quoted.get('n_datasets', quoted.get('n'))} datasets" in line
        assert ("never used to design it" in line) == bool(flag)
        assert "boostreg recommend" not in res.output


def test_tree_cap_share_by_hand():
    """The share of in-grid fits that reached n_estimators, per engine and reg_lambda, on real datasets only."""
    from boostreg.guide import tree_cap

    fits = records(lam_helps)
    fits["n_trees"] = np.where(fits.reg_lambda_relative >= 10.0, 50, 20)  # the cap (params_json) is 50
    fits.loc[(fits.reg_lambda_relative == 10.0) & (fits.reg_alpha_relative == 0.1), "n_trees"] = 49
    caps = tree_cap(guide_rows(fits)).set_index(["engine", "lambda_grid"])
    assert caps.at[("xgboost", 10.0), "at_cap_share"] == pytest.approx(2 / 3)  # 3 alphas, one stopped at 49
    assert caps.at[("lightgbm", 1.0), "at_cap_share"] == 0.0
    assert caps.at[("lightgbm", 10.0), "fits"] == 4 * 3 * 3  # 4 real datasets x 3 folds x 3 alphas
