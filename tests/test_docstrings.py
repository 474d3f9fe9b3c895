"""Every public name (``boostreg.__all__``) has a numpy-style docstring that documents what it takes and gives:
the API reference page (docs/api.md, built by mkdocstrings) renders exactly these sections. The docstrings are
parsed by griffe, the parser mkdocstrings itself uses."""

from __future__ import annotations

import inspect

import pytest

import boostreg

griffe = pytest.importorskip("griffe")


def _sections(obj) -> dict[str, list]:
    parsed = griffe.Docstring(inspect.getdoc(obj) or "").parse("numpy")
    out: dict[str, list] = {}
    for section in parsed:
        out.setdefault(section.kind.value, []).extend(
            section.value if isinstance(section.value, list) else [section.value]
        )
    return out


def _parameters(obj) -> list[str]:
    target = obj.__init__ if inspect.isclass(obj) else obj
    try:
        params = inspect.signature(target).parameters.values()
    except (TypeError, ValueError):
        return []
    return [p.name for p in params if p.name not in ("self", "cls") and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]


def _problems(obj) -> list[str]:
    sections = _sections(obj)
    problems = [] if sections.get("text") else ["no summary"]
    if inspect.isclass(obj) and issubclass(obj, BaseException):
        return problems  # an exception's argument is its message
    documented = {p.name for p in sections.get("parameters", []) + sections.get("attributes", [])}
    problems += [f"parameter '{n}' not documented" for n in _parameters(obj) if n not in documented]
    if not inspect.isclass(obj) and not sections.get("returns"):
        problems.append("no Returns section")
    return problems


@pytest.mark.parametrize("name", boostreg.__all__)
def test_public_name_documents_its_parameters_and_result(name):
    assert _problems(getattr(boostreg, name)) == []


def test_the_check_fails_on_an_undocumented_parameter_and_a_missing_returns():
    def f(a, b):
        """Add.

        Parameters
        ----------
        a : int
            First.
        """

    assert _problems(f) == ["parameter 'b' not documented", "no Returns section"]
