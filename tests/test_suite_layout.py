"""The suite runs as one pytest session over every distribution's tests (noxfile's ``tests``).

Test folders are not packages, so pytest imports each test module and helper
by its file name: two with one name, or a ``from conftest import``, would pick
up another folder's module in that session while passing alone.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FOLDERS = sorted([REPO / "tests", *REPO.glob("rtoc-*/tests")])


def test_every_test_module_and_helper_has_a_name_of_its_own():
    where = defaultdict(list)
    for folder in FOLDERS:
        for module in folder.glob("*.py"):
            if module.name != "conftest.py":
                where[module.name].append(str(module.relative_to(REPO)))
    assert {name: paths for name, paths in where.items() if len(paths) > 1} == {}


def test_no_test_imports_from_a_conftest():
    importing = [
        str(module.relative_to(REPO))
        for folder in FOLDERS
        for module in folder.glob("*.py")
        if re.search(r"^\s*(from conftest import|import conftest)", module.read_text(), re.M)
    ]
    assert importing == []
