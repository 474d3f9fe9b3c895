"""A run's results as one object: ``open_run(OUT)`` reopens any output folder; ``run_study`` returns the same.

:class:`Run` is the one way every reader (the CLI, the report, the guide, a notebook) opens a run folder: its
records (:mod:`boostreg.store`) and its other files (:mod:`boostreg.rundir`). The tables are read once and kept;
``summary()`` is ``boostreg summary``, ``report()`` is ``boostreg report``.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pandas as pd

from .engines import ENGINES
from .errors import BoostregError
from .rundir import dynamics_problem, read_dynamics, read_runs, read_study_toml
from .store import ParquetStore

# the statistics (answer, inference, tables: scipy), refits and the report are imported by the methods that use
# them, so that opening a folder stays quick


@dataclass
class Run:
    """The records of one output folder: fits, curves, leaves, the study's identity and files, and what to make
    of them.

    Parameters
    ----------
    out : str or Path
        The run's output folder (``boostreg run --out``). :func:`open_run` checks that it holds records; a
        ``Run`` built directly reads whatever is there (empty tables when nothing is).

    Returns
    -------
    Run
        The folder's records, read on first use and kept (:meth:`refresh` forgets them).
    """

    out: Path

    def __post_init__(self):
        self.out = Path(self.out)
        self._cache = {}

    @property
    def store(self) -> ParquetStore:
        return ParquetStore(self.out)

    @cached_property
    def fits(self) -> pd.DataFrame:
        """One row per fit (docs/records.md, "The fit record")."""
        return self.store.fits()

    @cached_property
    def curves(self) -> pd.DataFrame:
        """Train, test and validation error after every boosting round (fit_id, round)."""
        return self.store.curves()

    @cached_property
    def leaves(self) -> pd.DataFrame:
        """Every leaf of the stored fits (fold 0 of the first seed): value, closed form, G, H."""
        return self.store.leaves()

    @property
    def identity(self) -> dict | None:
        """OUT/study.json: the fingerprint of what the records depend on."""
        return self.store.identity()

    def fit_ids(self) -> set[str]:
        """The fit_ids stored in the folder."""
        return self.store.fit_ids()

    def study_toml(self) -> dict:
        """OUT/study.toml, the study as run ({} when it is missing or unreadable)."""
        return read_study_toml(self.out)

    def runs(self) -> list[dict]:
        """OUT/runs.json: one entry per run into the folder (versions, machine, wall time); an unreadable log is
        ignored with a warning, never moved."""
        return read_runs(self.out, heal=False)

    def dynamics(self) -> pd.DataFrame | None:
        """OUT/dynamics.parquet, the update-dynamics experiment (None when the folder has none, or, with a warning,
        when it cannot be read: :meth:`dynamics_problem` says why)."""
        return read_dynamics(self.out)

    def dynamics_problem(self) -> str | None:
        """Why OUT/dynamics.parquet cannot be read (truncated, not Parquet); None when it can or is absent."""
        return dynamics_problem(self.out)

    def refresh(self) -> Run:
        """Forget the cached tables (after another run wrote into the folder)."""
        for name in ("fits", "curves", "leaves"):
            self.__dict__.pop(name, None)
        self._cache.clear()
        return self

    def summary(self) -> pd.DataFrame:
        """Per dataset and engine: the validation-selected setting and its gain over the library default."""
        from .inference import require_validation
        from .tables import summary_table

        require_validation(self.fits, f"the records in '{self.out}'")
        return summary_table(self.fits, self.identity)

    def answers(self, band: float | None = None) -> pd.DataFrame:
        """Per dataset and engine: the verdict (tune / keep the default / not enough evidence) and the ``best`` and
        ``smallest`` settings (:func:`boostreg.answer.answer_table`)."""
        from .answer import BAND, answer_table
        from .inference import require_validation

        key = ("answers", band)
        if key not in self._cache:
            require_validation(self.fits, f"the records in '{self.out}'")
            self._cache[key] = answer_table(self.fits, self.identity, band=BAND if band is None else band)
        return self._cache[key]

    def best_params(self, dataset: str, engine: str, rule: str = "best", *, data=None) -> dict:
        """Keyword arguments for the engine's own scikit-learn class (e.g. ``xgboost.XGBRegressor(**params)``) that
        fit the chosen setting on the whole dataset: rule "best" (lowest mean validation error) or "smallest" (the
        smallest model within one standard error of it). See :mod:`boostreg.refit`."""
        from .refit import paste

        return paste(self, dataset, engine, rule, data=data)["params"]

    def refit(self, dataset: str, engine: str, rule: str = "best", *, data=None) -> Path:
        """Fit the chosen setting on every row and save it under OUT/models/ (the library's own format) with a JSON
        card beside it; returns the model's path."""
        from .refit import refit

        return refit(self, dataset, engine, rule, data=data)

    def refit_all(self, rule: str = "best", data: dict | None = None) -> list[Path]:
        """:meth:`refit` for every engine of the run that has a complete fold group and a scikit-learn class; the saved
        models' paths."""
        out = []
        for r in self.answers().itertuples():
            if isinstance(getattr(r, "best_point", None), str) and _refittable(ENGINES[r.engine]):
                out.append(self.refit(r.dataset, r.engine, rule, data=(data or {}).get(r.dataset)))
        return out

    def report(self, path: str | Path | None = None) -> Path:
        """Write the HTML report (default OUT/report.html); return its path."""
        from .report import build_report

        return build_report(self, path)

    def _repr_html_(self) -> str:
        """A notebook's view of the run: the folder, fit counts, and per dataset x engine the verdict and the best
        setting (counts only when no answer can be computed, e.g. without a validation split)."""
        esc = html.escape
        try:
            fits = self.fits
        except Exception as err:  # noqa: BLE001 - a display never raises: it says what it could not read
            return f"<p>boostreg run <code>{esc(str(self.out))}</code>: records unreadable ({esc(str(err))})</p>"
        ok = int((fits["status"] == "ok").sum()) if "status" in fits else 0
        counts = {
            "fits ok": ok,
            "fits failed": len(fits) - ok,
            "datasets": fits["dataset"].nunique() if "dataset" in fits else 0,
            "engines": fits["engine"].nunique() if "engine" in fits else 0,
        }
        out = [
            f"<p><b>boostreg run</b> <code>{esc(str(self.out))}</code>: "
            + ", ".join(f"{n} {esc(k)}" for k, n in counts.items())
            + "</p>"
        ]
        try:
            answers = self.answers() if ok else None
        except Exception:  # noqa: BLE001 - no validation split, or records an answer cannot be made of: counts only
            answers = None
        if answers is not None and len(answers):
            cols = ("dataset", "engine", "verdict_text", "best_point")
            out.append(
                "<table><thead><tr><th>dataset</th><th>engine</th><th>verdict</th><th>best setting</th></tr></thead>"
                "<tbody>"
            )
            for r in answers.to_dict(orient="records"):
                cells = ("" if not isinstance(r.get(c), str) else r[c] for c in cols)
                out.append("<tr>" + "".join(f"<td>{esc(v)}</td>" for v in cells) + "</tr>")
            out.append("</tbody></table>")
        return "".join(out)


def _refittable(engine) -> bool:
    """Whether an engine names a scikit-learn class (plugins may not)."""
    if engine.kind == "baseline":  # a scikit-learn estimator inside boostreg's preprocessing
        return True
    try:
        engine.sklearn_estimator({}, "regression" if "regression" in engine.tasks else engine.tasks[0])
    except BoostregError:
        return False
    except Exception:  # noqa: BLE001 - a class whose arguments need more than nothing still names one
        return True
    return True


def open_run(out: str | Path) -> Run:
    """Reopen the results of ``boostreg run`` / ``run_study``.

    Parameters
    ----------
    out : str or Path
        The run's output folder.

    Returns
    -------
    Run
        The folder's records.

    Raises
    ------
    BoostregError
        One line, when ``out`` holds no readable fit records.
    """
    run = Run(Path(out))
    run.store.require_records()
    return run
