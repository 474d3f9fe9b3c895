"""Figures drawn by worker processes (views.drawing_in_parallel) are the figures drawn in process, byte for byte."""

import gc
import multiprocessing
import os
import sys
from functools import partial

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from boostreg import plots, views

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="figures are drawn in forked workers")


def _dynamics(n_weights: int) -> pd.DataFrame:
    steps = np.arange(6)
    return pd.DataFrame(
        [
            {"rule": rule, "step": s, "weight": w, "value": max(0.0, 1 - (w + 1) * s / 8) if rule == "L1" else 0.7**s}
            for rule in ("L1", "L2")
            for w in range(n_weights)
            for s in steps
        ]
    )


def _line(slope: float) -> Figure:
    fig = Figure(figsize=(3, 2))
    fig.subplots().plot([0, 1, 2], [0, slope, 2 * slope])
    return fig


def _fails():
    raise ValueError("a plot that cannot be drawn")


def _dies_in_a_worker(parent: int) -> Figure:
    if os.getpid() != parent:
        os._exit(3)  # a worker killed mid-figure (out of memory, a signal)
    return _line(2.0)


def _figures():
    return [
        views.figure("dynamics", partial(plots.update_dynamics, _dynamics(3)), "alt"),
        views.figure("line", partial(_line, 0.5), "alt", "caption"),
        views.figure("more dynamics", partial(plots.update_dynamics, _dynamics(5))),
    ]


def test_workers_draw_the_same_bytes_as_this_process():
    before = set(multiprocessing.active_children())  # e.g. a worker pool an earlier test's run left warm
    serial = _figures()  # outside the block: made and drawn here
    assert all(f.png_b64 and f.width > 0 for f in serial)
    with views.drawing_in_parallel(2):
        parallel = _figures()
        assert all(f.png_b64 == "" for f in parallel)  # handed to the workers, filled in when the block ends
        assert gc.get_freeze_count() > 0  # the objects the workers share with this process: left to no collector
    assert gc.get_freeze_count() == 0  # and collected again after the block
    assert [(f.title, f.png_b64, f.width, f.alt, f.caption) for f in parallel] == [
        (f.title, f.png_b64, f.width, f.alt, f.caption) for f in serial
    ]
    assert serial[1].width == 3 * views.PNG_DPI // 2  # 3 inches shown at 96 px per inch, drawn at twice that
    assert set(multiprocessing.active_children()) <= before  # the workers ended with the block


def test_a_plot_that_fails_in_a_worker_fails_the_block_and_ends_the_workers():
    before = set(multiprocessing.active_children())
    with pytest.raises(ValueError, match="cannot be drawn"), views.drawing_in_parallel(2):
        views.figure("ok", partial(_line, 1.0))
        views.figure("broken", _fails)
    assert set(multiprocessing.active_children()) <= before
    assert gc.get_freeze_count() == 0


def test_a_worker_that_dies_leaves_its_figures_to_this_process():
    with views.drawing_in_parallel(2):
        fig = views.figure("survives", partial(_dies_in_a_worker, os.getpid()))
    assert fig.png_b64 == views.figure("same", partial(_line, 2.0)).png_b64


def test_one_job_draws_where_the_figure_is_made():
    with views.drawing_in_parallel(1):
        fig = views.figure("here", partial(_line, 1.0))
        assert fig.png_b64 and views.drawing_workers(1) == 1
