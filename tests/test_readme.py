"""README's Python snippets run as written, in the order written, as a plain script would run them (a fresh
interpreter, no `if __name__ == "__main__"` guard, workers in a process pool). README is the front door: it opens
with the two commands CI and users run, stays short, and leaves the rest to docs/ (tests/test_docs.py checks its
links)."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def _snippets() -> list[str]:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)
    return [b for b in blocks if "run_study(" in b]


def test_readme_has_the_snippets():
    assert len(_snippets()) >= 2


def test_readme_opens_with_the_two_commands():
    # .ci/run and scripts/setup.sh quote these lines; they stay first and byte for byte the same
    assert README.read_text(encoding="utf-8").startswith(
        "# boostreg\n\n```bash\n"
        "bash scripts/setup.sh && .venv/bin/boostreg run\n"
        "bash scripts/setup.sh --test && .venv/bin/python -m pytest\n"
        "```\n"
    )


def test_readme_is_a_front_door():
    assert len(README.read_bytes()) < 12 * 1024, "README.md is over 12 KB: move the detail into a docs/ page"


@pytest.mark.slow
def test_readme_snippets_run_as_written_in_order(tmp_path):
    for i, code in enumerate(_snippets()):
        script = tmp_path / f"snippet_{i}.py"
        script.write_text(code, encoding="utf-8")
        proc = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, f"snippet {i} failed:\n{code}\n{proc.stderr[-3000:]}"
        assert "Traceback" not in proc.stderr
    assert (tmp_path / "runs" / "mine" / "fits").is_dir() and (tmp_path / "runs" / "shops" / "report.html").is_file()
