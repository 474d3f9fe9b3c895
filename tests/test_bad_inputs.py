"""Replays every row of docs/bad-inputs.md: same exit code, same one-line message, no traceback, nothing written."""

from pathlib import Path

import pytest
from bad_inputs import CASES, parse_markdown, run_all

pytestmark = pytest.mark.slow  # replays every bad input as a user types it, one process each

DOC = Path(__file__).resolve().parents[1] / "docs" / "bad-inputs.md"


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    return run_all(tmp_path_factory.mktemp("bad"))


def test_the_table_lists_every_case():
    assert set(parse_markdown(DOC.read_text(encoding="utf-8"))) == {c.name for c in CASES}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_bad_input_gets_the_documented_answer(case, results):
    code, message = parse_markdown(DOC.read_text(encoding="utf-8"))[case.name]
    got = results[case.name]
    assert not got["traceback"], got["message"]
    assert (got["code"], got["message"]) == (code, message), (
        "the answer changed: regenerate with '.venv/bin/python tests/bad_inputs.py docs/bad-inputs.md' if intended"
    )
    if code == 2:
        assert message.startswith("boostreg: error: ") and "\n" not in message
        assert got["written"] == [], f"a refused input wrote {got['written']}"
    else:
        assert message.startswith("boostreg: warning: ") and "\n" not in message
