"""Tests for boostreg.store.ParquetStore: round trips through the store and plain pandas, atomicity, idempotence."""

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from boostreg.store import CURVE_SCHEMA, ParquetStore, fit_schema


def _ok(fit_id="a" * 16, **kw):
    record = {
        "study": "s",
        "dataset": "diabetes",
        "task": "regression",
        "engine": "xgboost",
        "kind": "booster",
        "engine_version": "3.0.0",
        "fold": 1,
        "seed": 0,
        "n_splits": 3,
        "fold_digest": "0123456789ab",
        "fit_id": fit_id,
        "group_id": "g" * 16,
        "in_grid": True,
        "status": "ok",
        "reg_alpha": 0.1,
        "reg_lambda": 1.0,
        "n_estimators": 10.0,
        "learning_rate": 0.1,
        "max_depth": 6.0,
        "params_json": '{"reg_alpha": 0.1}',
        "n_train": 294,
        "n_test": 148,
        "n_features": 10,
        "primary_metric": "rmse",
        "train_error": 40.5,
        "test_error": 55.25,
        "generalization_gap": 14.75,
        "train_rmse": 40.5,
        "test_rmse": 55.25,
        "n_trees": 10,
        "n_leaves_mean": 12.5,
        "n_leaves_max": 20,
        "zero_leaf_frac": 0.125,
        "fit_time_s": 0.01,
    }
    return {**record, **kw}


def test_records_written_before_the_kind_column_read_with_their_engines_kind(tmp_path):
    """A folder (or an export) from before records had ``kind``: the store fills it from the registry, so every
    reader sees one; an engine this process does not know counts as a booster (boostreg.engines.engine_kind)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from boostreg.engines import engine_names
    from boostreg.store import read_fits_file

    baseline = engine_names("baseline")[0]
    old = [
        {k: v for k, v in _ok(f"{i:016x}", engine=e).items() if k != "kind"}
        for i, e in enumerate(["xgboost", baseline, "not_registered_here"])
    ]
    (tmp_path / "fits").mkdir()
    old_table = pa.Table.from_pylist(old)
    assert "kind" not in old_table.column_names
    pq.write_table(old_table, tmp_path / "fits" / "segment-20200101T000000-000000000.parquet")
    store = ParquetStore(tmp_path)
    kinds = store.fits().set_index("engine").kind.to_dict()
    assert kinds == {"xgboost": "booster", baseline: "baseline", "not_registered_here": "booster"}
    store.write(_ok("f" * 16, engine=baseline, kind="baseline"), None)  # a new record beside the old ones
    fits = store.fits()
    assert len(fits) == 4 and fits.kind.notna().all()
    store.export_fits(tmp_path / "export.parquet")
    pq.write_table(old_table, tmp_path / "old_export.parquet")
    assert read_fits_file(tmp_path / "old_export.parquet").set_index("engine").kind.to_dict() == kinds


def _failed(fit_id="b" * 16):
    record = _ok(fit_id, status="failed", error="XGBoostError: bad parameter")
    for key in (
        "train_error",
        "test_error",
        "generalization_gap",
        "train_rmse",
        "test_rmse",
        "n_trees",
        "n_leaves_mean",
        "n_leaves_max",
        "zero_leaf_frac",
        "fit_time_s",
    ):
        del record[key]
    return record


def _curves(n, scale=1.0):
    return pd.DataFrame(
        {
            "round": np.arange(1, n + 1),
            "train_error": scale / np.arange(1, n + 1),
            "test_error": scale * (1 + 1 / np.arange(1, n + 1)),
        }
    )


def _all_files(root):
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_empty_store(tmp_path):
    store = ParquetStore(tmp_path / "out")
    assert store.fit_ids() == set()
    fits, curves = store.fits(), store.curves()
    assert len(fits) == 0 and list(fits.columns) == fit_schema().names
    assert len(curves) == 0 and list(curves.columns) == CURVE_SCHEMA.names
    store.create()
    assert (tmp_path / "out" / "fits").is_dir() and (tmp_path / "out" / "curves").is_dir()
    assert len(store.fits()) == 0 and len(store.curves()) == 0


def test_write_and_read_back_with_the_store_and_with_pandas(tmp_path):
    store = ParquetStore(tmp_path)
    store.create()
    ids = [f"{i:016x}" for i in range(3)]
    for i, fit_id in enumerate(ids):
        store.write(_ok(fit_id, fold=i, test_error=50.0 + i), _curves(4 + i, scale=float(i + 1)))
    assert store.fit_ids() == set(ids)
    assert sorted(os.listdir(tmp_path / "fits")) == [f"{i}.parquet" for i in ids]
    assert sorted(os.listdir(tmp_path / "curves")) == [f"{i}.parquet" for i in ids]

    fits = store.fits().sort_values("fit_id").reset_index(drop=True)
    plain = pd.read_parquet(tmp_path / "fits").sort_values("fit_id").reset_index(drop=True)
    assert list(fits.columns) == fit_schema().names
    pd.testing.assert_frame_equal(fits, plain)
    assert fits.fit_id.tolist() == ids
    assert fits.fold.tolist() == [0, 1, 2]
    assert fits.test_error.tolist() == [50.0, 51.0, 52.0]
    assert fits.n_train.tolist() == [294] * 3 and fits.n_trees.tolist() == [10] * 3
    assert fits.in_grid.tolist() == [True] * 3
    assert fits.fold.dtype == np.int64 and fits.test_error.dtype == np.float64 and fits.in_grid.dtype == bool
    # columns the record did not give are missing values, not absent
    assert fits.test_auc.isna().all() and fits.error.isna().all() and fits.num_leaves.isna().all()

    curves = store.curves().sort_values(["fit_id", "round"]).reset_index(drop=True)
    assert list(curves.columns) == CURVE_SCHEMA.names
    assert len(curves) == 4 + 5 + 6
    assert curves.groupby("fit_id").size().to_dict() == {ids[0]: 4, ids[1]: 5, ids[2]: 6}
    third = curves[curves.fit_id == ids[2]]
    np.testing.assert_allclose(third.train_error, 3.0 / np.arange(1, 7))
    np.testing.assert_allclose(third.test_error, 3.0 * (1 + 1 / np.arange(1, 7)))
    assert third["round"].tolist() == [1, 2, 3, 4, 5, 6]
    plain_curves = pd.read_parquet(tmp_path / "curves").sort_values(["fit_id", "round"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(curves, plain_curves)


def test_failed_and_ok_records_read_back_together(tmp_path):
    store = ParquetStore(tmp_path)
    store.create()
    store.write(_failed("f" * 16), None)
    store.write(_ok("0" * 16), _curves(3))
    for frame in (store.fits(), pd.read_parquet(tmp_path / "fits")):
        frame = frame.set_index("fit_id").sort_index()
        assert len(frame) == 2
        ok, failed = frame.loc["0" * 16], frame.loc["f" * 16]
        assert ok.status == "ok" and failed.status == "failed"
        assert failed.error == "XGBoostError: bad parameter" and pd.isna(ok.error)
        assert ok.test_error == 55.25 and np.isnan(failed.test_error)
        assert ok.n_trees == 10 and pd.isna(failed.n_trees)
        assert failed.reg_alpha == 0.1 and failed.fold == 1 and failed.n_test == 148
        assert frame.test_error.dtype == np.float64 and frame.fold.dtype == np.int64
    # the same dtypes whichever way the table is read, and whichever record's file comes first
    dtypes = store.fits().dtypes
    pd.testing.assert_series_equal(dtypes, pd.read_parquet(tmp_path / "fits").dtypes)
    assert dtypes["status"] == dtypes["error"] == dtypes["study"]
    assert (dtypes[["test_error", "train_rmse", "reg_alpha", "zero_leaf_frac"]] == np.float64).all()
    assert (dtypes[["fold", "seed", "n_splits", "n_train", "n_test", "n_features"]] == np.int64).all()
    assert (dtypes[["n_trees", "n_leaves_max", "n_leaves_total", "depth_max", "n_features_used"]] == np.float64).all()
    # a failed fit stores no curves
    assert set(store.curves().fit_id) == {"0" * 16}


def test_dtypes_do_not_depend_on_failures(tmp_path):
    all_ok, mixed = ParquetStore(tmp_path / "ok"), ParquetStore(tmp_path / "mixed")
    for store in (all_ok, mixed):
        store.create()
        store.write(_ok("0" * 16), None)
    all_ok.write(_ok("1" * 16), None)
    mixed.write(_failed("1" * 16), None)
    for read in (lambda s: s.fits(), lambda s: pd.read_parquet(s.fits_dir)):
        ok_types, mixed_types = read(all_ok).dtypes, read(mixed).dtypes
        differing = sorted(ok_types.index[ok_types != mixed_types])
        assert differing == [], (
            f"dtypes differ in {differing}: {ok_types[differing].tolist()} vs {mixed_types[differing].tolist()}"
        )


def test_a_store_of_failed_records_only_reads_back(tmp_path):
    store = ParquetStore(tmp_path)
    store.create()
    store.write(_failed("c" * 16), pd.DataFrame(columns=["round", "train_error", "test_error"]))  # empty curves
    fits = pd.read_parquet(tmp_path / "fits")
    assert fits.status.tolist() == ["failed"] and np.isnan(fits.test_error.iloc[0])
    assert os.listdir(tmp_path / "curves") == []
    assert len(store.curves()) == 0


def test_curves_without_their_fit_file_are_left_out(tmp_path):
    store = ParquetStore(tmp_path)
    store.create()
    store.write(_ok("1" * 16), _curves(5))
    store.write(_ok("2" * 16), _curves(7))
    # a crash between the curves write and the fit write leaves only the curves file
    os.remove(tmp_path / "fits" / f"{'2' * 16}.parquet")
    assert (tmp_path / "curves" / f"{'2' * 16}.parquet").exists()
    assert store.fit_ids() == {"1" * 16}
    assert store.fits().fit_id.tolist() == ["1" * 16]
    curves = store.curves()
    assert set(curves.fit_id) == {"1" * 16} and len(curves) == 5
    assert curves.index.tolist() == list(range(5))
    # the rerun of that fit overwrites the orphan and makes it count
    store.write(_ok("2" * 16), _curves(2))
    assert store.curves().groupby("fit_id").size().to_dict() == {"1" * 16: 5, "2" * 16: 2}


def test_only_orphan_curves(tmp_path):
    store = ParquetStore(tmp_path)
    store.create()
    store.write(_ok("3" * 16), _curves(4))
    os.remove(tmp_path / "fits" / f"{'3' * 16}.parquet")
    assert store.fit_ids() == set() and len(store.fits()) == 0
    curves = store.curves()
    assert len(curves) == 0 and list(curves.columns) == CURVE_SCHEMA.names


def test_no_temporary_files_remain(tmp_path):
    store = ParquetStore(tmp_path)
    store.create()
    for i in range(5):
        store.write(_ok(f"{i:016d}"), _curves(3) if i % 2 else None)
    store.write(_failed("9" * 16), None)
    files = _all_files(tmp_path)
    assert not any(os.path.basename(f).startswith(".") or f.endswith(".tmp") for f in files), files
    assert len(files) == 6 + 2
    assert all(f.endswith(".parquet") for f in files)


def test_hidden_temporary_files_are_ignored_by_readers(tmp_path):
    store = ParquetStore(tmp_path)
    store.create()
    store.write(_ok("4" * 16), _curves(2))
    # what a killed writer leaves: a hidden temporary file (here a torn one)
    (tmp_path / "fits" / f".{'5' * 16}.parquet.123.tmp").write_bytes(b"PAR1 torn")
    assert store.fit_ids() == {"4" * 16}
    assert store.fits().fit_id.tolist() == ["4" * 16]
    assert pd.read_parquet(tmp_path / "fits").fit_id.tolist() == ["4" * 16]


def test_writing_the_same_fit_twice_leaves_one_row(tmp_path):
    store = ParquetStore(tmp_path)
    store.create()
    store.write(_ok("6" * 16, test_error=10.0), _curves(4))
    store.write(_ok("6" * 16, test_error=20.0), _curves(3))
    fits = pd.read_parquet(tmp_path / "fits")
    assert len(fits) == 1 and fits.test_error.iloc[0] == 20.0
    assert len(store.fits()) == 1
    assert len(store.curves()) == 3
    assert len(_all_files(tmp_path)) == 2


def test_an_unknown_column_raises_and_stores_nothing(tmp_path):
    store = ParquetStore(tmp_path)
    store.create()
    with pytest.raises(KeyError, match="colour"):
        store.write(_ok("7" * 16, colour="red"), None)
    with pytest.raises(KeyError, match="lr"):
        store.write(_ok("8" * 16), _curves(2).assign(lr=0.1))
    assert store.fit_ids() == set()
    assert _all_files(tmp_path) == []


def test_integer_columns_reject_fractions(tmp_path):
    store = ParquetStore(tmp_path)
    store.create()
    with pytest.raises((TypeError, ValueError)):
        store.write(_ok("9" * 16, fold=1.5), None)
    store.write(_ok("9" * 16, fold=2.0, n_train=np.int32(7)), None)
    fits = store.fits()
    assert fits.fold.tolist() == [2] and fits.n_train.tolist() == [7]


def test_compaction_streams_row_groups_and_keeps_every_row(tmp_path, monkeypatch):
    """Compaction merges one-fit files a row group at a time (memory holds one row group, not the table): with
    MERGE_ROWS = 25, 6 fits of 10 curve rows make 2 row groups (30 and 30 rows), every row read back as written;
    float columns are stored without dictionaries (they hold distinct values), the fit_id text column with one."""
    import pyarrow.parquet as pq

    monkeypatch.setattr(ParquetStore, "MERGE_ROWS", 25)
    store = ParquetStore(tmp_path)
    store.create()
    written = []
    for i in range(6):
        fit_id = f"{i:016x}"
        curves = _curves(10, scale=i + 1.0)
        store.write(_ok(fit_id), curves)
        written.append(curves.assign(fit_id=fit_id))
    assert store.compact() == 6
    (segment,) = [p for p in (tmp_path / "curves").iterdir()]
    meta = pq.ParquetFile(segment).metadata
    assert meta.num_row_groups == 2 and [meta.row_group(i).num_rows for i in range(2)] == [30, 30]
    columns = {meta.row_group(0).column(j).path_in_schema: meta.row_group(0).column(j) for j in range(meta.num_columns)}
    assert columns["fit_id"].has_dictionary_page and not columns["train_error"].has_dictionary_page
    back = store.curves().sort_values(["fit_id", "round"]).reset_index(drop=True)
    expected = pd.concat(written).sort_values(["fit_id", "round"]).reset_index(drop=True)
    assert len(back) == 60
    np.testing.assert_array_equal(back.train_error.to_numpy(), expected.train_error.to_numpy())
    np.testing.assert_array_equal(back["round"].to_numpy(), expected["round"].to_numpy())


def test_compaction_streams_what_the_store_wrote_and_reads_only_other_files(tmp_path, monkeypatch):
    """The rows a store writes go into the next segment as they are written, so its compaction reads no file it
    wrote; a one-fit file a killed run left is read and joins the same segment. The folder reads back the same,
    row for row, as when every file is read (a fresh store's compaction)."""
    import pyarrow.parquet as pq

    killed = ParquetStore(tmp_path / "out")  # a run killed before its compaction left these one-fit files
    killed.create()
    killed.write(_ok("0" * 16, test_error=1.0), _curves(3))
    store = ParquetStore(tmp_path / "out")
    store.create()
    ids = [f"{i:016x}" for i in range(1, 6)]
    for i, fit_id in enumerate(ids):
        store.write(_ok(fit_id, test_error=10.0 + i, fold=i), _curves(4 + i, scale=i + 1.0))
    read = []
    real_read = pq.read_table
    monkeypatch.setattr(
        pq, "read_table", lambda path, *a, **kw: read.append(Path(path).name) or real_read(path, *a, **kw)
    )
    assert store.compact() == 6
    assert sorted(read) == ["0" * 16 + ".parquet"] * 2  # the killed run's fit and curves, nothing else
    monkeypatch.undo()
    for table in ("fits", "curves"):
        assert [p.name.startswith("segment-") for p in (tmp_path / "out" / table).iterdir()] == [True]
    fits = pd.read_parquet(tmp_path / "out" / "fits")
    assert (
        sorted(fits.fit_id) == ["0" * 16] + ids
        and len(pd.read_parquet(tmp_path / "out" / "curves")) == 3 + 4 + 5 + 6 + 7 + 8
    )
    # the same folder compacted by reading every file: the same rows, in the same (key) order
    other = tmp_path / "read"
    reader = ParquetStore(other)
    reader.create()
    for fit_id, test_error, fold, n, scale in [("0" * 16, 1.0, 1, 3, 1.0)] + [
        (f, 10.0 + i, i, 4 + i, i + 1.0) for i, f in enumerate(ids)
    ]:
        ParquetStore(other).write(_ok(fit_id, test_error=test_error, fold=fold), _curves(n, scale=scale))
    reader.compact()
    pd.testing.assert_frame_equal(store.fits(), reader.fits())
    pd.testing.assert_frame_equal(store.curves(), reader.curves())
    assert store.fits().fit_id.tolist() == sorted(["0" * 16] + ids)


def test_compaction_never_brings_back_a_removed_file_or_a_fit_written_twice(tmp_path):
    """If a file the store wrote is gone before compaction (removed, or a crash between its curves and its record)
    or a fit was written twice, the streamed segment is dropped and the files are read: one row per fit, none for
    a removed one."""
    store = ParquetStore(tmp_path)
    store.create()
    store.write(_ok("1" * 16, test_error=10.0), _curves(4))
    store.write(_ok("1" * 16, test_error=20.0), _curves(3))  # written twice
    store.write(_ok("2" * 16), _curves(2))
    os.remove(tmp_path / "fits" / f"{'2' * 16}.parquet")  # its record gone
    assert store.compact() == 1
    fits, curves = pd.read_parquet(tmp_path / "fits"), pd.read_parquet(tmp_path / "curves")
    assert fits.fit_id.tolist() == ["1" * 16] and fits.test_error.tolist() == [20.0]
    assert len(curves[curves.fit_id == "1" * 16]) == 3 and store.fit_ids() == {"1" * 16}
    assert len(store.curves()) == 3  # the orphan curves of the removed fit are left out


def test_a_killed_run_leaves_its_streamed_segment_hidden_and_the_next_run_removes_it(tmp_path):
    """Killed before compaction: the streamed segment is a hidden temporary file that readers skip; the next run's
    create() removes it and its compaction reads the one-fit files, which stay the records until then."""
    store = ParquetStore(tmp_path)
    store.create()
    for i in range(3):
        store.write(_ok(f"{i:016x}"), _curves(40))
    store._live["fits"][0]._flush()  # rows on disk in the hidden file, as a long run would have
    hidden = [p for p in (tmp_path / "fits").iterdir() if p.name.startswith(".segment-")]
    assert len(hidden) == 1 and hidden[0].name.endswith(".tmp")
    assert len(pd.read_parquet(tmp_path / "fits")) == 3 and len(store.fits()) == 3  # the one-fit files, once each
    del store  # the process dies here: no compaction
    rerun = ParquetStore(tmp_path)
    rerun.create()
    assert not hidden[0].exists()
    assert rerun.compact() == 3 and len(pd.read_parquet(tmp_path / "fits")) == 3


def test_the_streamed_segment_copies_small_tables_together_and_keeps_every_row(tmp_path, monkeypatch):
    """With tables copied together every 3 adds and row groups of 25 rows, 9 fits of 4 curve rows stream into the
    same rows as written: copying and flushing at their own boundaries loses and repeats nothing."""
    from boostreg.store import SegmentWriter

    monkeypatch.setattr(ParquetStore, "MERGE_ROWS", 25)
    monkeypatch.setattr(SegmentWriter, "CONSOLIDATE", 3)
    store = ParquetStore(tmp_path)
    store.create()
    written = []
    for i in range(9):
        fit_id = f"{8 - i:016x}"  # written in reverse key order
        store.write(_ok(fit_id, test_error=float(i)), _curves(4, scale=i + 1.0))
        written.append(_curves(4, scale=i + 1.0).assign(fit_id=fit_id))
    writer = store._live["curves"][0]
    assert writer.rows == 28 and len(writer._batch) == 2  # 28 rows (two copied tables and one) flushed; 8 left in 2
    assert store.compact() == 9
    back = pd.read_parquet(tmp_path / "curves")
    expected = pd.concat(written)
    assert len(back) == 36 and back[["fit_id", "round", "train_error"]].equals(
        expected[["fit_id", "round", "train_error"]].reset_index(drop=True)
    )  # the segment keeps the order written
    assert store.fits().fit_id.tolist() == [f"{i:016x}" for i in range(9)]  # readers: key order


def test_a_users_file_in_the_table_folders_is_never_read_moved_or_deleted(tmp_path):
    """An unrelated Parquet file (and a text file, and a non-Parquet .parquet) in fits/ or curves/ is not a record:
    readers, healing, compaction and removal leave it byte-identical; the run's warning names it."""
    store = ParquetStore(tmp_path)
    store.create()
    mine = tmp_path / "fits" / "mine.parquet"
    pd.DataFrame({"a": [1, 2], "b": ["x", "y"]}).to_parquet(mine)
    notes = tmp_path / "curves" / "notes.parquet"
    notes.write_bytes(b"my notes, not Parquet")
    before = {p: p.read_bytes() for p in (mine, notes)}
    store.write(_ok("1" * 16), _curves(3))
    store.write(_failed("2" * 16), None)
    assert store.fit_ids() == {"1" * 16, "2" * 16} and len(store.fits()) == 2 and len(store.curves()) == 3
    assert store.foreign_files() == [mine, notes]
    notes_out = store.heal()
    assert len(notes_out) == 1 and "2 file(s)" in notes_out[0] and "fits/mine.parquet" in notes_out[0]
    assert store.compact() == 2 and store.drop_failed() == 1
    store.remove({"1" * 16})
    assert store.fit_ids() == set() and store.unreadable() == []
    assert {p: p.read_bytes() for p in (mine, notes)} == before
    assert not (tmp_path / "quarantine" / "fits" / "mine.parquet").exists()


def test_a_users_file_in_fits_survives_two_runs_byte_identical(tmp_path):
    """Once deleted by the next run (its rows read as null records), then every run crashed (ArrowTypeError)."""
    import warnings

    from boostreg import DatasetSpec, Study, run_study

    study = Study(
        name="mine",
        datasets=[DatasetSpec(name="diabetes")],
        engines=["lightgbm"],
        grid={"reg_alpha": [0, 1], "reg_lambda": [0]},
        params={"n_estimators": 3},
        folds=2,
    )
    out = tmp_path / "out"
    run_study(study, out, jobs=1, progress=False)
    mine = out / "fits" / "mine.parquet"
    pd.DataFrame({"a": [1, 2], "b": ["x", "y"]}).to_parquet(mine)
    data = mine.read_bytes()
    for _ in range(2):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = run_study(study, out, jobs=1, progress=False)
        assert result.n_skipped == 4 and result.n_run == 0 and len(result.fits) == 4
        assert (result.fits.status == "ok").all()
        said = [str(w.message) for w in caught if "did not write" in str(w.message)]
        assert len(said) == 1 and "fits/mine.parquet" in said[0]
    assert mine.read_bytes() == data and not (out / "quarantine").exists()


def test_writers_refuse_a_run_folders_data_and_anything_but_a_regular_file(tmp_path, monkeypatch):
    """boostreg.paths.check_target, the rule of report, guide and export: never in fits/, curves/, leaves/,
    quarantine/ or study.json of a run folder, never over a folder, device or fifo; a failed write is one line
    and leaves no temporary file."""
    from boostreg.errors import BoostregError
    from boostreg.paths import check_out_folder, check_target, write_atomic

    run = tmp_path / "run"
    (run / "fits").mkdir(parents=True)
    (run / "study.json").write_text("{}")
    for bad in (
        "fits/segment-x.parquet",
        "fits/extra.parquet",
        "study.json",
        "curves/r.html",
        "leaves/r.html",
        "quarantine/r.html",
        "fits/sub/deeper.html",
    ):
        with pytest.raises(BoostregError, match="which only 'boostreg run' writes"):
            check_target(run / bad)
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "folder").mkdir()
    for bad, kind in (
        (tmp_path / "fifo", "a fifo"),
        (tmp_path / "folder", "a folder"),
        (Path("/dev/null"), "a device"),
    ):
        with pytest.raises(BoostregError, match=f"exists and is {kind}"):
            check_target(bad)
    with pytest.raises(BoostregError, match="does not exist"):
        check_target(tmp_path / "nope" / "r.html")
    assert check_target(run / "report.html") == run / "report.html"  # beside the data is fine
    (tmp_path / "old.html").write_text("old")
    assert check_target(tmp_path / "old.html") == tmp_path / "old.html"  # a regular file is replaced
    # run --out: a run folder resumes; inside its data or nested in it is refused
    check_out_folder(run)
    for bad, words in ((run / "fits" / "sub", "in the fits/ folder"), (run / "sub", "inside the run folder")):
        with pytest.raises(BoostregError, match=words):
            check_out_folder(bad)

    def full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(BoostregError, match=r"writing the report '.*old.html' failed \(No space left on device\)"):
        write_atomic(tmp_path / "old.html", "new", "the report")
    assert (tmp_path / "old.html").read_text() == "old" and not list(tmp_path.glob(".old.html*"))


def test_one_run_per_folder_lock_is_reentrant_and_released(tmp_path):
    """lock_out holds OUT/.lock with this pid; held again here it is a no-op; another holder is refused in one line;
    unlock_out releases it (the file stays)."""
    import fcntl

    from boostreg.errors import BoostregError
    from boostreg.paths import check_unlocked, lock_out, unlock_out

    out = tmp_path / "out"
    lock_out(out)
    lock_out(out)
    check_unlocked(out)
    assert (out / ".lock").read_text().strip() == str(os.getpid())
    unlock_out(out)
    fd = os.open(out / ".lock", os.O_RDWR)  # another holder (flock locks belong to the open file)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(BoostregError, match=rf"another boostreg process \(pid {os.getpid()}\) is writing into"):
            check_unlocked(out)
        with pytest.raises(BoostregError, match="another boostreg process"):
            lock_out(out)
    finally:
        os.close(fd)
    lock_out(out)
    unlock_out(out)
    assert (out / ".lock").exists()
