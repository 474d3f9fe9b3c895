"""A run's results as one object: ``open_run(OUT)`` reopens any output folder; ``run_study`` returns the same.

The tables are read once and kept (a study of 15,000 fits reads in well under a second from its compacted
segments); ``summary()`` is ``boostreg summary``, ``report()`` is ``boostreg report``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pandas as pd

from .store import ParquetStore


@dataclass
class Run:
    """The records of one output folder: fits, curves, leaves, the study's identity, and what to make of them."""

    out: Path

    def __post_init__(self):
        self.out = Path(self.out)

    @property
    def store(self) -> ParquetStore:
        return ParquetStore(self.out)

    @cached_property
    def fits(self) -> pd.DataFrame:
        """One row per fit (README, "The fit record")."""
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

    def refresh(self) -> "Run":
        """Forget the cached tables (after another run wrote into the folder)."""
        for name in ("fits", "curves", "leaves"):
            self.__dict__.pop(name, None)
        return self

    def summary(self) -> pd.DataFrame:
        """Per dataset and engine: the validation-selected setting and its gain over the library default."""
        from .inference import require_validation, summary_table

        require_validation(self.fits, f"the records in '{self.out}'")
        return summary_table(self.fits, self.identity)

    def report(self, path: str | Path | None = None) -> Path:
        """Write the HTML report (default OUT/report.html); return its path."""
        from .report import build_report

        return build_report(self.out, path)


def open_run(out: str | Path) -> Run:
    """Reopen the results of ``boostreg run`` / ``run_study`` in ``out`` (one-line BoostregError if none)."""
    run = Run(Path(out))
    run.store.require_records()
    return run
