"""The code passes the project's linter and formatter (ruff, configured in pyproject.toml), as CI checks it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RUFF = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
pytestmark = pytest.mark.skipif(
    RUFF is None, reason="ruff is installed by the test extra (bash scripts/setup.sh --test)"
)


def _ruff(*args) -> subprocess.CompletedProcess:
    return subprocess.run([RUFF, *args], cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_ruff_finds_nothing_to_fix():
    out = _ruff("check", "--no-cache", ".")
    assert out.returncode == 0, out.stdout[-3000:]


def test_ruff_format_leaves_every_file_as_it_is():
    out = _ruff("format", "--no-cache", "--check", ".")
    assert out.returncode == 0, out.stdout[-3000:]


def test_the_linter_catches_a_real_mistake(tmp_path):
    (tmp_path / "pyproject.toml").write_text((ROOT / "pyproject.toml").read_text())
    (tmp_path / "bad.py").write_text("import os\n\n\ndef f(x):\n    return undefined_name + x\n")
    out = subprocess.run([RUFF, "check", "--no-cache", "bad.py"], cwd=tmp_path, capture_output=True, text=True)
    assert out.returncode == 1 and "F401" in out.stdout and "F821" in out.stdout
