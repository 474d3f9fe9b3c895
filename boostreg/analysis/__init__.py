"""From fit records to what the report shows: tidy frames (:mod:`.frames`: surfaces, validation paths, learning
curves, penalty paths, the prior comparison) and the ledger of mechanism checks and empirical claims
(:mod:`.claims`), each a pure function of the records.

Selection, gains, intervals and verdict rules come from :mod:`boostreg.inference` and :mod:`boostreg.tables`,
so the report, ``boostreg summary`` and the claims cannot disagree.
"""

from .claims import BANDS, THEORY_TOLERANCE, VERDICT_RULE, Check, Claim, claims_ledger, mechanism_checks
from .frames import (
    BIN_DECADES,
    PATH_MEASURES,
    PRIOR_NOTE,
    axis_label,
    booster_fits,
    default_points,
    learning_curves,
    main_setting,
    penalty_paths,
    penalty_paths_commentary,
    prior_ratio,
    surface,
    surface_marks,
    validation_path,
)

__all__ = [
    "BANDS",
    "BIN_DECADES",
    "Check",
    "Claim",
    "PATH_MEASURES",
    "PRIOR_NOTE",
    "THEORY_TOLERANCE",
    "VERDICT_RULE",
    "axis_label",
    "booster_fits",
    "claims_ledger",
    "default_points",
    "learning_curves",
    "main_setting",
    "mechanism_checks",
    "penalty_paths",
    "penalty_paths_commentary",
    "prior_ratio",
    "surface",
    "surface_marks",
    "validation_path",
]
