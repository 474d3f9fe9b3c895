"""The run folder (OUT): its layout, the study identity it holds, the checks before a run writes into it, the log of
runs and the update-dynamics table.

Layout (``boostreg.paths`` names the entries): ``fits/``, ``curves/``, ``leaves/`` and ``quarantine/`` (the records,
:mod:`boostreg.store`), ``study.json`` (the study's identity and fingerprint), ``study.toml`` (the study as run),
``runs.json`` (one entry per run: versions, machine, wall time), ``dynamics.parquet``, ``report.html``, and
``previous/<fingerprint>/`` (an earlier study's records kept apart by ``--force``). ``OUT/.lock`` is held while a
run writes. Readers open a folder through :class:`boostreg.results.Run`.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import platform
import time
import tomllib
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .engines import ENGINES, library_versions
from .errors import BoostregError
from .paths import (
    PREVIOUS,
    RUN_DATA,
    RUN_FILES,
    check_out_folder,
    check_unlocked,
    lock_out,
    unlock_out,
    unwritable,
    write_atomic,
)
from .store import ParquetStore
from .study import Study

if TYPE_CHECKING:  # types only: a reader of a folder (results.Run) needs neither the data nor the plan's splitters
    from .data import Dataset
    from .plan import FitGroup

# ---------------------------------------------------------------------------------------------- study identity


def study_identity(study: Study, datasets: dict[str, Dataset], groups: list[FitGroup] | None = None) -> dict:
    """What a study's records depend on, and its fingerprint: the study (datasets, engines, grid, parameters,
    folds, seeds, metrics), each dataset's content fingerprint, and the engines' versions. A splitter (``cv``) is
    the digest of the train/test rows it gives each dataset (from the plan's ``groups``), not its repr."""
    spec = study.to_toml_dict()
    if study.cv is not None:
        spec["study"]["cv"] = _cv_identity(study, datasets, groups)
    spec["study"].pop("description", None)
    spec["study"].pop("check", None)  # which fits get the theory check changes no measured number
    spec["study"].pop("curves", None)  # nor which fits keep a per-round training curve (how much is stored)
    spec["study"].pop("refit", None)  # nor does a refit after the sweep
    spec["study"].pop("fit_timeout", None)  # nor how long a fit may take (how to run, not what is measured)
    parts = {
        "study": spec,
        "data": {label: ds.fingerprint for label, ds in sorted(datasets.items())},
        "versions": library_versions(study.engines),
    }
    records = {
        n: ENGINES[n].records_version
        for n in sorted(set(study.engines))
        if n in ENGINES and getattr(ENGINES[n], "records_version", 1) > 1
    }
    if records:
        # an engine whose records changed meaning (a baseline's default fit; CatBoost's zero leaves): a folder
        # written before must not be resumed into, so it reads as changed
        parts["records"] = records
    digest = hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]
    return {"fingerprint": digest, "name": study.name, "parts": parts}


def _cv_identity(study: Study, datasets: dict[str, Dataset], groups: list[FitGroup] | None) -> dict:
    """{dataset: {seed: digest of its folds' train and test rows}} of the study's splitter."""
    from .folds import (  # scikit-learn's splitters: only a run with a ``cv`` needs them
        split_folds,
        splits_digest,
    )

    rows: dict[str, dict[str, str]] = {}
    for g in groups or []:
        if g.splits:
            rows.setdefault(g.dataset, {})[str(g.seed)] = g.splits
    for label, ds in sorted(datasets.items()):
        if label not in rows:
            rows[label] = {
                str(seed): splits_digest(split_folds(ds, study.folds, seed, study.cv)) for seed in study.seeds
            }
    return {"rows": {label: rows[label] for label in sorted(rows)}}


def _what_changed(old: dict, new: dict) -> str:
    """A short list of what differs between two study identities, for the refusal's message."""
    a, b = old.get("parts", {}), new["parts"]
    changed = []
    for label in sorted(set(a.get("data", {})) | set(b["data"])):
        if a.get("data", {}).get(label) != b["data"].get(label):
            changed.append(
                f"dataset '{label}' "
                + ("content" if label in a.get("data", {}) and label in b["data"] else "added or removed")
            )
    for key in ("grid", "params", "datasets", "baseline_grid"):
        if a.get("study", {}).get(key) != b["study"].get(key):
            changed.append(key)
    head_a, head_b = a.get("study", {}).get("study", {}), b["study"].get("study", {})
    changed += [k for k in sorted(set(head_a) | set(head_b)) if head_a.get(k) != head_b.get(k)]
    for engine in sorted(set(a.get("records", {})) | set(b.get("records", {}))):
        if a.get("records", {}).get(engine, 1) != b.get("records", {}).get(engine, 1):
            changed.append(
                f"{engine}'s records (version {a.get('records', {}).get(engine, 1)} -> "
                f"{b.get('records', {}).get(engine, 1)})"
            )
    for lib in sorted(b["versions"]):
        if a.get("versions", {}).get(lib) != b["versions"][lib]:
            changed.append(f"{lib} {a.get('versions', {}).get(lib, '?')} -> {b['versions'][lib]}")
    return ", ".join(dict.fromkeys(changed)) or "the study"


# ---------------------------------------------------------------------------------------------- claiming a folder


def claim_folder(out: Path, identity: dict, force: bool) -> str | None:
    """Take OUT for a run of the study with this ``identity``: refuse a folder that is not writable, is not
    boostreg's, or holds another study's records; then hold its lock (:func:`boostreg.paths.lock_out`) until the
    run ends (:func:`releases_lock`).

    With ``force`` the earlier study's records are moved apart (OUT/previous/<fingerprint>/) and this study starts
    in OUT; returns where they went (None when nothing moved).
    """
    check_out_folder(out)  # a folder, not in a run's data nor nested in another run (boostreg.paths)
    probe = out if out.exists() else next((p for p in out.parents if p.exists()), Path("."))
    why = unwritable(probe)  # really tried: as root, os.access says yes even where the file system says no
    if why:
        raise BoostregError(f"output folder '{out}' cannot be written ({why}); choose another --out.")
    if not out.exists():
        lock_out(out)  # one run per folder, held until run_study ends (or the process does)
        return None
    check_unlocked(out)  # another run writing here: refuse before reading what it writes
    store = ParquetStore(out)
    known = store.identity()
    has_records = bool(store.record_files("fits"))  # a user's own file in fits/ is not a record
    ours = {*RUN_DATA, *RUN_FILES, PREVIOUS}
    foreign = [p.name for p in out.iterdir() if p.name not in ours and not p.name.startswith(".")]
    if known is None and foreign and not has_records:
        raise BoostregError(
            f"output folder '{out}' is not empty and holds no boostreg run ({foreign[0]!r}, ...); "
            "choose a new or empty --out."
        )
    if known is None and (out / "study.toml").exists() and not has_records:
        raise BoostregError(
            f"output folder '{out}' holds a study.toml that boostreg did not write with records; "
            "choose a new or empty --out."
        )
    if (known is not None and known["fingerprint"] == identity["fingerprint"]) or (known is None and not has_records):
        lock_out(out)
        return None
    what = _what_changed(known or {}, identity) if known else "records written before study fingerprints"
    if not force:
        raise BoostregError(
            f"output folder '{out}' holds records of another study (changed: {what}); choose another "
            "--out, or pass --force to keep the earlier records apart under OUT/previous/ and start here."
        )
    lock_out(out)
    return str(store.archive(known["fingerprint"] if known else "earlier"))


def releases_lock(func):
    """Release OUT/.lock (taken by :func:`claim_folder`) when the run returns or fails; the kernel releases it
    when the process ends (Ctrl-C, ``kill -9``)."""

    @functools.wraps(func)
    def wrapper(study, out, *args, **kwargs):
        try:
            return func(study, out, *args, **kwargs)
        finally:
            unlock_out(out)

    return wrapper


# ---------------------------------------------------------------------------------------------- the folder's files


def write_study_files(out: Path, study: Study, identity: dict) -> None:
    """OUT/study.toml (the study as run) and OUT/study.json (its identity), and OUT/dynamics.parquet once."""
    import tomli_w

    write_atomic(out / "study.toml", tomli_w.dumps(study.to_toml_dict()), one_line=False)
    write_atomic(out / "study.json", json.dumps(identity, indent=1, sort_keys=True, default=str), one_line=False)
    _write_dynamics(out)


def _write_dynamics(out: Path) -> None:
    """OUT/dynamics.parquet: the L2 / L1-subgradient / L1-proximal update experiment, once per output folder; one
    that cannot be read (truncated, not Parquet) is moved to OUT/quarantine/ with a warning and written anew."""
    path = out / "dynamics.parquet"
    if path.exists():
        frame, why = _load_dynamics(out)
        if frame is not None:
            return
        target = ParquetStore(out)._quarantine(path, "unreadable")
        warnings.warn(
            f"'{path}' could not be read ({why}); moved to '{target}' and written anew", UserWarning, stacklevel=2
        )
    from .dynamics import update_dynamics

    frame = update_dynamics()
    write_atomic(path, lambda tmp: frame.to_parquet(tmp, index=False), one_line=False)


def read_study_toml(out: Path) -> dict:
    """OUT/study.toml as a dict ({} when it is missing or unreadable)."""
    path = Path(out) / "study.toml"
    try:
        return tomllib.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    except (OSError, ValueError):
        return {}


def _load_dynamics(out: Path) -> tuple[pd.DataFrame | None, str | None]:
    """OUT/dynamics.parquet and, when it cannot be read, why (both None when the run wrote none)."""
    path = Path(out) / "dynamics.parquet"
    if not path.exists():
        return None, None
    try:
        return pd.read_parquet(path), None
    except (OSError, ValueError) as err:  # pyarrow's ArrowInvalid is a ValueError
        return None, f"truncated or not Parquet: {type(err).__name__}"


def dynamics_problem(out: Path) -> str | None:
    """Why OUT/dynamics.parquet cannot be read (None when it can, or when the run wrote none)."""
    return _load_dynamics(out)[1]


def read_dynamics(out: Path) -> pd.DataFrame | None:
    """OUT/dynamics.parquet (None when the run wrote none, or, with a warning, when it cannot be read: the next run
    into the folder moves it to quarantine and writes it again)."""
    frame, why = _load_dynamics(out)
    if why:
        warnings.warn(
            f"'{Path(out) / 'dynamics.parquet'}' cannot be read ({why}); it is left out, and the next 'boostreg "
            "run' into this folder moves it to quarantine and writes it again",
            UserWarning,
            stacklevel=2,
        )
    return frame


def read_runs(out: Path, *, heal: bool = True) -> list[dict]:
    """OUT/runs.json (the log of runs); one that is not a list of runs is moved to quarantine (``heal``) or
    ignored, with a warning."""
    path = Path(out) / "runs.json"
    if not path.exists():
        return []
    try:
        runs = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(runs, list) and all(isinstance(r, dict) for r in runs):
            return runs
    except (OSError, ValueError):
        pass
    if not heal:
        warnings.warn(f"'{path}' is not a log of runs; it is ignored", UserWarning, stacklevel=2)
        return []
    try:
        target = ParquetStore(out)._quarantine(path, "unreadable")
        warnings.warn(
            f"'{path}' was not a log of runs; moved to '{target}' and started anew", UserWarning, stacklevel=2
        )
    except OSError:
        warnings.warn(f"'{path}' is not a log of runs; it is ignored", UserWarning, stacklevel=2)
    return []


def append_run(out: Path, study: Study, n_planned: int, n_run: int, wall: float, jobs: int, threads: int) -> None:
    """Add this run to OUT/runs.json (versions, machine, wall time) for the report."""
    runs = read_runs(out)
    runs.append(
        {
            "study": study.name,
            "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "wall_time_s": round(wall, 3),
            "fits_planned": n_planned,
            "fits_run": n_run,
            "jobs": jobs,
            "threads_per_fit": threads,
            "versions": {
                **library_versions(study.engines),
                "pandas": pd.__version__,
                "numpy": np.__version__,
                "python": platform.python_version(),
            },
            "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "processor": platform.machine()},
        }
    )
    write_atomic(out / "runs.json", json.dumps(runs, indent=1), one_line=False)
