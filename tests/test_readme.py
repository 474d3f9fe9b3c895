"""README's Python snippets run as written, in the order written, as a plain script would run them (a fresh
interpreter, no `if __name__ == "__main__"` guard, workers in a process pool)."""

import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def _snippets() -> list[str]:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)
    return [b for b in blocks if "run_study(" in b]


def test_readme_has_the_snippets():
    assert len(_snippets()) >= 2


def test_readme_snippets_run_as_written_in_order(tmp_path):
    for i, code in enumerate(_snippets()):
        script = tmp_path / f"snippet_{i}.py"
        script.write_text(code, encoding="utf-8")
        proc = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, f"snippet {i} failed:\n{code}\n{proc.stderr[-3000:]}"
        assert "Traceback" not in proc.stderr
    assert (tmp_path / "runs" / "mine" / "fits").is_dir() and (tmp_path / "runs" / "shops" / "report.html").is_file()
