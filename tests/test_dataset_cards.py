"""Every built-in dataset card loads as it says, with no warning, and the real ones cover the tuning guide's mix.

Loads each card as users get it (the card's own max_rows), so this stays fast; tests/test_data.py checks the
full tables against the cards' row counts.
"""

import warnings

import numpy as np
import pytest

from boostreg.data import builtin_cards, load_builtin

CARDS = builtin_cards()
REAL = [c for c in CARDS if c.loader != "synthetic"]
MIN_CLASS_ROWS = 30


@pytest.mark.parametrize("card", CARDS, ids=[c.name for c in CARDS])
def test_card_loads_as_described(card):
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # a card must drop its junk columns explicitly
        ds = load_builtin(card.name)
    expected_rows = card.rows if card.max_rows is None else min(card.rows, card.max_rows)
    assert ds.n_rows == expected_rows
    assert card.max_rows is None or ds.n_rows <= card.max_rows
    assert ds.X.shape[1] == card.columns
    assert len(ds.categorical) == card.categorical
    assert ds.task == card.task and ds.source == card.source
    assert card.target not in ds.X.columns and not set(card.drop) & set(ds.X.columns)
    if card.task == "binary":
        positives = int(ds.y.sum())
        assert set(np.unique(ds.y)) == {0.0, 1.0}
        assert min(positives, ds.n_rows - positives) >= MIN_CLASS_ROWS, (positives, ds.n_rows)
        assert ds.classes is not None and ds.classes[1] == card.positive_class
    else:
        assert np.isfinite(ds.y).all() and np.unique(ds.y).size > 2


def test_real_cards_cover_the_guide_mix():
    tasks = [c.task for c in REAL]
    assert len(REAL) >= 20
    assert tasks.count("binary") >= 8 and tasks.count("regression") >= 8
    # each real card is its own task: no table is used twice for the same target
    tasks_by_source = [(c.source, c.target) for c in REAL]
    assert len(set(tasks_by_source)) == len(tasks_by_source)
    assert sum(c.categorical > 0 for c in REAL) >= 8
    assert min(c.rows for c in REAL) <= 600 and max(min(c.rows, c.max_rows or c.rows) for c in REAL) >= 40_000
    assert min(c.columns for c in REAL) <= 5 and max(c.columns for c in REAL) >= 80
    for c in REAL:
        assert c.licence and c.citation and c.description and c.title
