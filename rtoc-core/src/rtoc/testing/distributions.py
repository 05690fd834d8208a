"""Distributions and environments for tests of installing plugins, made without a download.

:func:`isolated_venv` makes a virtual environment that sees rtoc-core, its
dependencies and pip of the running one and nothing else, in well under a
second; :func:`write_distribution` writes a small project (an rtoc plugin or
a plain library) and :func:`build_wheels` turns projects into wheels for
``pip install --find-links DIR --no-index``.
"""

from __future__ import annotations

import importlib.metadata
import os
import re
import subprocess
import sys
import sysconfig
import tempfile
import textwrap
import venv
from collections.abc import Iterable
from pathlib import Path

#: What an environment needs to run rtoc and pip.
ROOTS = ("rtoc-core", "pip")


def _requirements(dist: importlib.metadata.Distribution) -> list[str]:
    """Names ``dist`` requires without an extra (those behind other markers count if installed)."""
    names = []
    for requirement in dist.requires or ():
        if re.search(r"\bextra\s*==", requirement):
            continue
        names.append(re.match(r"[A-Za-z0-9._-]+", requirement)[0])
    return names


def _closure(roots: Iterable[str]) -> list[importlib.metadata.Distribution]:
    """The installed distributions ``roots`` need, themselves included."""
    found: dict[str, importlib.metadata.Distribution] = {}
    todo = list(roots)
    while todo:
        name = re.sub(r"[-_.]+", "-", todo.pop()).lower()
        if name in found:
            continue
        try:
            dist = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            continue  # behind a marker that is false here
        found[name] = dist
        todo += _requirements(dist)
    return list(found.values())


def isolated_venv(folder: Path) -> str:
    """A new virtual environment at ``folder`` with rtoc-core and pip; its Python.

    Nothing is installed into it: a ``.pth`` file adds the folder
    ``<folder>-linked`` beside it, which holds symbolic links to the files of
    rtoc-core, its dependencies and pip as installed for this Python. No other
    distribution of this environment is visible there (no other rtoc plugin).
    pip installs into the new environment's own site-packages, ahead of the
    links on ``sys.path``, and never removes a linked distribution: it lies
    outside the environment.
    """
    folder = folder.absolute()
    venv.create(folder, symlinks=True, with_pip=False)
    linked = folder.parent / f"{folder.name}-linked"
    linked.mkdir()
    for dist in _closure(ROOTS):
        root = Path(dist.locate_file(""))
        tops = {
            file.parts[0] for file in dist.files or () if file.parts[0] not in ("..", "__pycache__")
        }
        for top in sorted(tops):
            if (root / top).exists() and not (linked / top).exists():
                (linked / top).symlink_to(root / top)
    paths = sysconfig.get_paths(vars={"base": str(folder), "platbase": str(folder)})
    site_packages = Path(paths["purelib"])
    (site_packages / "rtoc-linked.pth").write_text(
        f"import site; site.addsitedir({str(linked)!r})\n", encoding="utf-8"
    )
    return str(folder / "bin" / "python")


def write_distribution(folder: Path, name: str, version: str, *, device: str | None = None) -> Path:
    """A hatchling project ``name`` at ``folder``; with ``device`` an rtoc plugin (entry point
    in the group ``rtoc``) providing a device class of that name, else a plain library."""
    package = re.sub(r"[-.]+", "_", name).lower()
    (folder / "src" / package).mkdir(parents=True)
    entry_point = f'\n[project.entry-points.rtoc]\n{name} = "{package}"\n' if device else ""
    (folder / "pyproject.toml").write_text(
        textwrap.dedent(f"""\
            [build-system]
            requires = ["hatchling>=1.21"]
            build-backend = "hatchling.build"

            [project]
            name = "{name}"
            version = "{version}"
            requires-python = ">=3.10"
            dependencies = [{'"rtoc-core"' if device else ""}]
            """)
        + entry_point
        + f'\n[tool.hatch.build.targets.wheel]\npackages = ["src/{package}"]\n',
        encoding="utf-8",
    )
    code = f'"""{name} {version}."""\n'
    if device:
        code += textwrap.dedent(f"""
            import rtoc


            class {device}(rtoc.Device):
                \"\"\"A device of {name}.\"\"\"


            @rtoc.hookimpl
            def rtoc_devices():
                return [{device}]
            """)
    (folder / "src" / package / "__init__.py").write_text(code, encoding="utf-8")
    return folder


def build_wheels(projects: Iterable[Path], wheels: Path, timeout: float = 300) -> None:
    """Build a wheel of each hatchling project into ``wheels`` (as plugin-template/ writes them).

    hatchling is installed once by pip (from its index) into a temporary
    folder, then each project is built by ``python -m hatchling build``:
    seconds, where ``pip wheel`` would make an isolated build environment
    for each project.
    """
    with tempfile.TemporaryDirectory(prefix="rtoc-hatchling-") as tools:
        pip = [sys.executable, "-m", "pip", "install", "--quiet", "--target", tools]
        _checked([*pip, "hatchling>=1.21"], None, None, timeout)
        environment = {**os.environ, "PYTHONPATH": tools}
        for project in projects:
            build = ["-m", "hatchling", "build", "--target", "wheel", "--directory"]
            _checked(
                [sys.executable, *build, str(wheels.absolute())], project, environment, timeout
            )


def _checked(
    command: list[str], cwd: Path | None, env: dict[str, str] | None, timeout: float
) -> None:
    result = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{result.stdout}{result.stderr}")
