"""The code's layout keeps its promises (docs/developing.md): one home per concept, imports pointing down the layer
order, no engine name outside engines/, no file a reader cannot take in at once, and an `import boostreg` that
loads no engine library.

The import graph is built by grimp (the library behind import-linter) from every import statement, those inside
function bodies included, so a circle cannot hide in a function.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

grimp = pytest.importorskip("grimp")

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "boostreg"
MAX_LINES = 450

#: lowest first; a module may import from its own layer and the ones below (docs/developing.md draws it)
LAYERS = [
    [
        "errors",
        "fmt",
        "paths",
        "metrics",
        "measure",
        "softmax",
        "prior",
        "_version",
        "deadline",
        "progress",
        "memo",
        "memory",
    ],
    ["engines"],
    ["data"],
    ["study"],
    ["plan", "folds", "units", "store", "dynamics", "loading"],
    ["fit", "executors", "crosscheck"],
    ["rundir"],
    ["inference", "tables", "analysis", "answer"],
    ["advice", "refit"],
    ["plots", "views"],
    ["guide", "report"],
    ["results", "displays"],
    ["run"],
    ["cli"],
]


def _graph():
    return grimp.build_graph("boostreg", include_external_packages=False, cache_dir=None)


def _top(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _cycles(graph) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), each a circle of imports."""
    modules = sorted(graph.modules)
    edges = {m: sorted(graph.find_modules_directly_imported_by(m)) for m in modules}
    index, low, on_stack, stack, out = {}, {}, set(), [], []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for m in modules:
        if m not in index:
            visit(m)
    return out


def test_no_import_circle_anywhere_in_the_package():
    graph = _graph()
    assert len(graph.modules) > 30  # the graph really holds the package
    assert _cycles(graph) == []


def test_a_circle_is_found_when_there_is_one(tmp_path, monkeypatch):
    """The check can fail: a two-module package importing each other (inside a function) is a circle."""
    pkg = tmp_path / "circlepkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("def f():\n    from . import b\n")
    (pkg / "b.py").write_text("from . import a\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    graph = grimp.build_graph("circlepkg", cache_dir=None)
    assert _cycles(graph) == [["circlepkg.a", "circlepkg.b"]]


def test_imports_point_down_the_layers():
    graph = _graph()
    rank = {name: k for k, layer in enumerate(LAYERS) for name in layer}
    top_modules = {_top(m) for m in graph.modules} - {""}
    assert top_modules <= set(rank), f"modules without a layer: {sorted(top_modules - set(rank))}"
    upward = []
    for m in graph.modules:
        src = _top(m)
        if not src:
            continue  # boostreg/__init__.py: the lazy facade over everything
        for dep in graph.find_modules_directly_imported_by(m):
            dst = _top(dep)
            if dst and rank[dst] > rank[src]:
                upward.append(f"{m} -> {dep}")
    assert upward == []


def _py_files():
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def test_no_module_is_longer_than_a_reader_takes_in():
    long = {str(p.relative_to(ROOT)): n for p in _py_files() if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert long == {}


def _engine_names() -> set[str]:
    from boostreg.engines import ENGINES

    return set(ENGINES) | {"xgboost", "lightgbm", "catboost", "sklearn.ensemble"}


def _string_literals(tree) -> list[tuple[int, str]]:
    """String constants that are not docstrings (prose about the maths may name a library)."""
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            body = getattr(node, "body", [])
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                docstrings.add(id(body[0].value))
    return [
        (n.lineno, n.value)
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docstrings
    ]


def test_no_engine_name_outside_engines():
    names = _engine_names()
    word = re.compile(r"\b(" + "|".join(sorted(map(re.escape, names), key=len, reverse=True)) + r")\b")
    found = []
    for p in _py_files():
        if "engines" in p.relative_to(PACKAGE).parts:
            continue
        tree = ast.parse(p.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found += [
                    f"{p.name}:{node.lineno} import {a.name}" for a in node.names if a.name.split(".")[0] in names
                ]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                if node.module.split(".")[0] in names:
                    found.append(f"{p.name}:{node.lineno} from {node.module}")
        for line, text in _string_literals(tree):
            if (m := word.search(text)) and text.strip() == m.group(0):
                found.append(f"{p.name}:{line} {text!r}")
    assert found == []


def test_the_engine_name_check_can_fail(tmp_path):
    tree = ast.parse('"""A docstring about XGBoost."""\nx = "xgboost"\n')
    assert [t for _, t in _string_literals(tree)] == ["xgboost"]


def test_import_boostreg_loads_no_engine_library_and_no_pandas():
    code = (
        "import sys, boostreg; print(sorted(m for m in ('xgboost', 'lightgbm', 'catboost', 'sklearn', 'pandas', "
        "'scipy', 'matplotlib', 'pyarrow') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"


def test_the_public_names_still_resolve_lazily():
    code = (
        "import boostreg, sys; names = boostreg.__all__; objs = [getattr(boostreg, n) for n in names]; "
        "print(len(names), 'lightgbm' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    n, loaded = out.stdout.split()
    assert int(n) >= 12 and loaded == "False"  # building a Study or a Run needs no engine library
