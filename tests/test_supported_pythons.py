"""What the project claims about Python versions is what CI tests.

noxfile.py's ``PYTHONS`` are the versions nox sessions run on. README.md names
them, every distribution's ``requires-python`` starts at the oldest, and
rtoc-core's classifiers list exactly them.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def nox_pythons() -> list[str]:
    tree = ast.parse((REPO / "noxfile.py").read_text(encoding="utf-8"))
    for node in tree.body:
        target = getattr(node, "target", None) or (getattr(node, "targets", None) or [None])[0]
        if isinstance(target, ast.Name) and target.id == "PYTHONS":
            return ast.literal_eval(node.value)
    raise AssertionError("noxfile.py has no PYTHONS")


def test_every_requires_python_starts_at_the_oldest_tested_python():
    oldest = nox_pythons()[0]
    pyprojects = sorted(REPO.glob("rtoc-*/pyproject.toml"))
    assert len(pyprojects) >= 6
    for pyproject in pyprojects:
        text = pyproject.read_text(encoding="utf-8")
        assert f'requires-python = ">={oldest}"' in text, pyproject


def test_rtoc_core_classifiers_list_the_nox_pythons():
    text = (REPO / "rtoc-core" / "pyproject.toml").read_text(encoding="utf-8")
    listed = re.findall(r'"Programming Language :: Python :: (3\.\d+)"', text)
    assert listed == nox_pythons()


def test_readme_names_the_nox_pythons():
    *first, last = nox_pythons()
    claim = f"CPython {', '.join(first)} or {last}"
    readme = " ".join((REPO / "README.md").read_text(encoding="utf-8").split())
    assert claim in readme
    assert "3.10+" not in readme
