"""Sessions: ``nox`` runs ``lint``, ``tests`` and ``pythons``; ``bench`` and ``demo`` on request.

``tests`` is the whole suite on the Python nox itself runs on; ``pythons``
runs rtoc-core's and one device distribution's tests on each other CPython
rtoc supports (``nox -s pythons-3.10``...). Each session
installs the distributions it needs into its own virtual environment, the way
users install them.

nox looks for ``python3.10`` and so on on ``PATH`` and never downloads one. A
Python it cannot find is skipped with a warning, except in CI
(``RTOC_REQUIRE_SERVICES`` or ``CI`` set), where the run fails.
"""

from __future__ import annotations

import os
import sys
import tempfile

import nox

#: The CPython versions rtoc supports: README.md, every requires-python and the classifiers agree.
PYTHONS = ["3.10", "3.11", "3.12", "3.13"]
RUNNING = f"{sys.version_info.major}.{sys.version_info.minor}"
OTHER_PYTHONS = [python for python in PYTHONS if python != RUNNING]

nox.needs_version = ">=2025.10.14"  # download_python
nox.options.sessions = ["lint", "tests", "pythons"]
nox.options.reuse_existing_virtualenvs = False
nox.options.download_python = "never"
if os.environ.get("RTOC_REQUIRE_SERVICES") or os.environ.get("CI"):
    nox.options.error_on_missing_interpreters = True

DEVICES = [
    "rtoc-device-dps5020",
    "rtoc-device-vc820",
    "rtoc-device-ina219",
    "rtoc-device-heliotherm",
]
DISTRIBUTIONS = [
    "./rtoc-core[test]",
    "./rtoc-postgres[test]",
    "./rtoc-web[test]",
    "./rtoc-gui[test]",
    "./rtoc-telegram[test]",
    "./rtoc-mqtt[test]",
    *(f"./{device}[test]" for device in DEVICES),
]
TEST_FOLDERS = [
    "rtoc-core/tests",
    "rtoc-postgres/tests",
    "rtoc-web/tests",
    "rtoc-gui/tests",
    "rtoc-telegram/tests",
    "rtoc-mqtt/tests",
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


#: What ``pythons`` tests on the other Pythons: the core, the server storage, one device.
#: (rtoc-postgres's tests, a minute of mostly waiting on the server and subprocesses,
#: run on nox's Python only: three more runs would add three minutes to CI.)
CORE_DISTRIBUTIONS = ["./rtoc-core[test]", "./rtoc-device-dps5020[test]"]
CORE_TEST_FOLDERS = ["rtoc-core/tests", "rtoc-device-dps5020/tests"]


@nox.session(python=OTHER_PYTHONS)
def pythons(session: nox.Session) -> None:
    """rtoc-core's and the DPS5020's tests on one more supported Python."""
    session.install(*CORE_DISTRIBUTIONS)
    session.run("pytest", *(session.posargs or CORE_TEST_FOLDERS))


@nox.session
def lint(session: nox.Session) -> None:
    """ruff over the whole repository."""
    session.install("ruff>=0.6")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def bench(session: nox.Session) -> None:
    """Speed and memory figures, one JSON line each (bench_web.py drives Debian's Chromium)."""
    session.install(*DISTRIBUTIONS, "./rtoc-web[test]")
    for script in sorted(os.listdir("bench")):
        if script.startswith("bench_") and script.endswith(".py"):
            session.run("python", f"bench/{script}")


@nox.session
def demo(session: nox.Session) -> None:
    """Run rtoc with the demo devices for 10 s in a throwaway home folder."""
    session.install("./rtoc-core")
    with tempfile.TemporaryDirectory() as home:
        session.run("rtoc", "--home", home, "run", "--demo", "--duration", "10")
