"""Sessions: ``nox -s tests`` (the whole suite), ``lint``, ``bench``, ``demo``.

Each session installs the distributions it needs into its own virtual
environment, the way users install them.
"""

from __future__ import annotations

import os
import tempfile

import nox

nox.options.sessions = ["lint", "tests"]
nox.options.reuse_existing_virtualenvs = False

DEVICES = [
    "rtoc-device-dps5020",
    "rtoc-device-vc820",
    "rtoc-device-ina219",
    "rtoc-device-heliotherm",
]
DISTRIBUTIONS = [
    "./rtoc-core[test]",
    "./rtoc-postgres[test]",
    *(f"./{device}[test]" for device in DEVICES),
]
TEST_FOLDERS = [
    "rtoc-core/tests",
    "rtoc-postgres/tests",
    *(f"{device}/tests" for device in DEVICES),
    "tests",
]
#: What tests/test_plugin_template.py needs besides the distributions.
TEST_TOOLS = ["cookiecutter>=2.6,<3", "ruff>=0.6"]


@nox.session
def tests(session: nox.Session) -> None:
    """Install every distribution and run all tests (unit, contract, end-to-end)."""
    session.install(*DISTRIBUTIONS, *TEST_TOOLS)
    session.run("pytest", *(session.posargs or TEST_FOLDERS))


@nox.session
def lint(session: nox.Session) -> None:
    """ruff over the whole repository."""
    session.install("ruff>=0.6")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def bench(session: nox.Session) -> None:
    """Speed and memory figures, one JSON line each."""
    session.install(*DISTRIBUTIONS)
    for script in sorted(os.listdir("bench")):
        if script.startswith("bench_") and script.endswith(".py"):
            session.run("python", f"bench/{script}")


@nox.session
def demo(session: nox.Session) -> None:
    """Run rtoc with the demo devices for 10 s in a throwaway home folder."""
    session.install("./rtoc-core")
    with tempfile.TemporaryDirectory() as home:
        session.run("rtoc", "--home", home, "run", "--demo", "--duration", "10")
