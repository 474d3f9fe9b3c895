"""One function per figure: a tidy frame (from ``boostreg.analysis`` / ``boostreg.inference``) in, a Figure out.

No computation of results happens here beyond arranging the frame for drawing; tests compare the frames that
feed these functions with the records, never pixels. Figures are built with matplotlib's object API
(``matplotlib.figure.Figure``, no pyplot) and styled inside ``matplotlib.rc_context``: importing or calling
this package never changes the user's matplotlib backend or global style. Sizes are in inches at which the
report shows them (96 CSS px per inch), so a 9 pt label reads as 9 pt at 100% zoom.

``style`` holds the shared style, palette (from the engine registry) and layout helpers; ``surfaces`` the
heatmaps; ``curves`` the curves and distributions; ``gains`` the gain plots of the report and the guide.
"""

from __future__ import annotations

from .curves import (
    leaf_distributions,
    learning_curves,
    penalty_paths,
    theory_scatter,
    update_dynamics,
    validation_curves,
)
from .gains import (
    CLIP_FACTOR,
    GAIN_PANELS,
    GAIN_XLABEL,
    TASK_COLORS,
    draw_gains,
    gain_range,
    gains,
    guide_gain_vs_n,
    guide_gains,
    guide_optima,
)
from .style import PAGE_WIDTH_IN, STYLE, axis_label, engine_colors, styled, symlog
from .surfaces import CELL_DIGITS, HEATMAP_SCALES, heatmaps

__all__ = [
    "CELL_DIGITS",
    "CLIP_FACTOR",
    "GAIN_PANELS",
    "GAIN_XLABEL",
    "HEATMAP_SCALES",
    "PAGE_WIDTH_IN",
    "STYLE",
    "TASK_COLORS",
    "axis_label",
    "draw_gains",
    "engine_colors",
    "gain_range",
    "gains",
    "guide_gain_vs_n",
    "guide_gains",
    "guide_optima",
    "heatmaps",
    "leaf_distributions",
    "learning_curves",
    "penalty_paths",
    "styled",
    "symlog",
    "theory_scatter",
    "update_dynamics",
    "validation_curves",
]
