"""Every install line in the READMEs works as written in a fresh virtual environment.

Every ``pip install`` in the READMEs that installs a distribution needing
rtoc-core must install rtoc-core with it, from the clone (``./rtoc-core``) or,
in a generated plugin project, from ``$RTOC_CORE``, until rtoc-core is on
PyPI; an install by name from PyPI must say "once published".

Then the main lines run as written, in a copy of the repository standing in
for a fresh clone. The root README's first line makes the virtual environment
itself (``python3 -m venv .venv && ... && rtoc run --demo``) and runs until
Ctrl-C. In that environment, after all of rtoc's distributions were
uninstalled again, each README's fullest line runs: the one with the ``test``
extra, or else its first. The generated plugin's line runs in
tests/test_plugin_template.py, which renders the template.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from rtoc.cli import cli
from rtoc.testing.waiting import wait_until

REPO = Path(__file__).resolve().parent.parent
ROOT_README = REPO / "README.md"
READMES = sorted(
    [
        ROOT_README,
        REPO / "rtoc-core" / "README.md",
        REPO / "rtoc-postgres" / "README.md",
        REPO / "rtoc-web" / "README.md",
        REPO / "rtoc-gui" / "README.md",
        REPO / "rtoc-telegram" / "README.md",
        REPO / "rtoc-mqtt" / "README.md",
        *REPO.glob("rtoc-device-*/README.md"),
        REPO / "plugin-template" / "README.md",
        REPO / "plugin-template" / "rtoc-device-{{cookiecutter.slug}}" / "README.md",
    ]
)
#: What a clone of the repository does not have.
NOT_IN_A_CLONE = shutil.ignore_patterns(
    ".git", ".venv", ".nox", "__pycache__", "*.egg-info", ".pytest_cache", ".ruff_cache"
)
#: An argument of ``pip install`` that is a folder of the clone, e.g. ``'./rtoc-core[test]'``.
LOCAL = re.compile(r"""^['"]?\./(rtoc-[a-z0-9-]+)""")
#: An argument that names one of rtoc's distributions on PyPI.
PYPI = re.compile(r"^rtoc-[a-z0-9-{}. ]+$")


def fenced_lines(text: str) -> list[str]:
    blocks = re.findall(r"^```sh\n(.*?)^```", text, re.S | re.M)
    return [line for block in blocks for line in block.splitlines()]


def install_commands(readme: Path) -> list[tuple[str, str]]:
    """``(command, context)`` of each ``pip install`` in ``readme``.

    From code blocks: each line, its context the line itself (with its
    comment). Inline in the text: the install part of the code span, its
    context the paragraph.
    """
    text = readme.read_text(encoding="utf-8")
    found = [
        (command.strip(), line)
        for line in fenced_lines(text)
        for command in line.split("#")[0].split("&&")
        if "pip install" in command
    ]
    prose = re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)
    for paragraph in prose.split("\n\n"):
        for span in re.findall(r"`([^`]+)`", paragraph):
            found += [
                (command.strip(), paragraph)
                for command in span.split("&&")
                if "pip install" in command
            ]
    return found


def arguments(command: str) -> list[str]:
    return command.split("pip install", 1)[1].split()


def local_names(command: str) -> list[str]:
    """The distributions ``command`` installs from folders of the clone."""
    return [match[1] for argument in arguments(command) if (match := LOCAL.match(argument))]


def needs_rtoc_core(command: str) -> bool:
    """Whether ``command`` installs something that depends on rtoc-core from a folder."""
    in_project = any(argument.strip("'\"").startswith(".[") for argument in arguments(command))
    return in_project or any(name != "rtoc-core" for name in local_names(command))


def first_line() -> str:
    """The root README's first line, which makes the virtual environment."""
    (line,) = [line for line in fenced_lines(ROOT_README.read_text()) if "venv" in line]
    return line


def main_commands() -> list[str]:
    """Per README (the template's aside): the line with the test extra, or else the first.

    Those the first line runs already are left out.
    """
    chosen = []
    for readme in READMES:
        if REPO / "plugin-template" in readme.parents:
            continue  # a generated project's lines: test_plugin_template
        local = [command for command, _ in install_commands(readme) if local_names(command)]
        with_tests = [command for command in local if "[test]" in command]
        chosen.append((with_tests or local)[0])
    in_first_line = {command.strip() for command in first_line().split("&&")}
    return [command for command in dict.fromkeys(chosen) if command not in in_first_line]


def test_every_install_brings_rtoc_core_along():
    """Until rtoc-core is on PyPI, pip cannot find it for a line that does not name its folder."""
    missing = [
        f"{readme.relative_to(REPO)}: {command}"
        for readme in READMES
        for command, _ in install_commands(readme)
        if needs_rtoc_core(command)
        and "rtoc-core" not in local_names(command)
        and "RTOC_CORE" not in command
    ]
    assert missing == []


def test_an_install_from_pypi_is_labeled_once_published():
    unlabeled = [
        f"{readme.relative_to(REPO)}: {command}"
        for readme in READMES
        for command, context in install_commands(readme)
        if any(PYPI.match(argument) for argument in arguments(command))
        and "once" not in context.lower()
    ]
    assert unlabeled == []


def test_no_readme_counts_its_tests():
    """A count of tests goes stale with the next test; what they cover does not."""
    counted = [
        f"{readme.relative_to(REPO)}: {match[0]}"
        for readme in READMES
        for match in re.finditer(r"\b\d+ tests\b", readme.read_text(encoding="utf-8"))
    ]
    assert counted == []


def test_the_readme_names_the_home_options_rtoc_has():
    readme = ROOT_README.read_text(encoding="utf-8")
    assert "`--home`" in readme and "`RTOC_HOME`" in readme
    usage = CliRunner().invoke(cli, ["--help"]).output
    assert "--home" in usage and "RTOC_HOME" in usage


@pytest.fixture(scope="module")
def clone(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("clone") / "rtoc"
    shutil.copytree(REPO, folder, ignore=NOT_IN_A_CLONE)
    return folder


@pytest.fixture(scope="module")
def first_run(clone, tmp_path_factory) -> tuple[str, Path]:
    """The root README's first line, as written, in the clone; Ctrl-C once it records."""
    line = first_line()
    home = tmp_path_factory.mktemp("home")
    log = home.parent / "first-run.log"
    environment = {**os.environ, "RTOC_HOME": str(home), "PYTHONUNBUFFERED": "1"}
    environment.pop("VIRTUAL_ENV", None)
    with log.open("w") as output:
        shell = subprocess.Popen(
            ["bash", "-c", line],
            cwd=clone,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            wait_until(
                lambda: "Press Ctrl-C" in log.read_text() or shell.poll() is not None,
                300,
                "the first line of the README to install rtoc-core and start recording",
            )
            os.killpg(shell.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
            shell.wait(60)
        finally:
            if shell.poll() is None:
                os.killpg(shell.pid, signal.SIGKILL)
                shell.wait(10)
    assert shell.returncode == 0, log.read_text()
    return log.read_text(), home


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_the_first_line_of_the_readme_installs_and_records(first_run):
    output, home = first_run
    assert f"Recording to {home / 'rtoc.sqlite'} (sqlite)." in output
    assert "Started Generator." in output and "Started System." in output
    assert "everything stored" in output


@pytest.mark.slow
@pytest.mark.timeout(600)
@pytest.mark.parametrize("command", main_commands())
def test_the_install_line_works_as_written_in_a_fresh_venv(clone, first_run, command):
    venv = clone / ".venv"
    python = str(venv / "bin" / "python")

    def installed() -> set[str]:
        listing = subprocess.run(
            [python, "-m", "pip", "list", "--format", "json"],
            capture_output=True,
            text=True,
            check=True,
        )
        return {package["name"] for package in json.loads(listing.stdout)}

    ours = sorted(name for name in installed() if name.startswith("rtoc"))
    if ours:  # left by the line before; each line must install rtoc-core itself
        subprocess.run([python, "-m", "pip", "uninstall", "-q", "-y", *ours], check=True)
    environment = {
        **os.environ,
        "VIRTUAL_ENV": str(venv),
        "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}",
    }
    result = subprocess.run(
        ["bash", "-c", command],
        cwd=clone,
        env=environment,
        capture_output=True,
        text=True,
        timeout=540,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert {"rtoc-core", *local_names(command)} <= installed()
