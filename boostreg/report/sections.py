"""The report's sections, in the order they are shown: each builder takes what it needs (the records, curves,
leaves, the run's settings and log) and returns a :class:`boostreg.views.Section`.

The builders live by theme in ``sections_use`` (the answer, what to use), ``sections_study`` (the study, heatmaps,
curves) and ``sections_mechanics`` (leaves, closed-form checks, baselines, dynamics, claims); the sentences several
of them share (and ``boostreg summary`` quotes) in ``common``.
"""

from __future__ import annotations

from .common import (
    METRIC_NAMES,
    PCT,
    leaves_frame,
    library_defaults_text,
    metric_name,
    not_converged_mark,
    not_converged_notes,
)
from .sections_mechanics import baselines_section, claims_section, dynamics_section, leaves_section, theory_section
from .sections_study import SURFACES, learning_section, study_section, surfaces_section, validation_section
from .sections_use import answer_section, use_section

__all__ = [
    "METRIC_NAMES",
    "PCT",
    "SURFACES",
    "answer_section",
    "baselines_section",
    "claims_section",
    "dynamics_section",
    "learning_section",
    "leaves_frame",
    "leaves_section",
    "library_defaults_text",
    "metric_name",
    "not_converged_mark",
    "not_converged_notes",
    "study_section",
    "surfaces_section",
    "theory_section",
    "use_section",
    "validation_section",
]
