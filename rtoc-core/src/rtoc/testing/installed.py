"""rtoc as a user runs it, in a process of its own: for tests of installed distributions.

:func:`run_rtoc` runs any ``rtoc`` command line. A device distribution's
tests call :func:`listed_device` to prove that its entry point is installed
and that rtoc loads it, the way ``rtoc devices`` and ``rtoc run`` will.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any


def rtoc_command(home: Path, *args: str, python: str = sys.executable) -> list[str]:
    """The command line of ``rtoc --home HOME ARGS`` run by ``python``."""
    return [python, "-m", "rtoc", "--home", str(home), *args]


def run_rtoc(
    home: Path, *args: str, timeout: float = 60, python: str = sys.executable
) -> subprocess.CompletedProcess[str]:
    """Run ``rtoc --home HOME ARGS`` to completion; its output is text, unbuffered."""
    return subprocess.run(
        rtoc_command(home, *args, python=python),
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        check=False,
    )


def listed_device(name: str, home: Path, python: str = sys.executable) -> dict[str, Any]:
    """The entry of ``rtoc devices --json`` for the device ``name``.

    ``home`` is rtoc's home folder (use a temporary one). Fails the test
    with rtoc's own output when the command fails, when the device is not
    listed, or when rtoc reports a plugin that failed to load.
    """
    result = run_rtoc(home, "devices", "--json", python=python)
    assert result.returncode == 0, f"rtoc devices failed:\n{result.stderr}"
    listing = json.loads(result.stdout)
    assert not listing["failed"], f"plugins that failed to load: {listing['failed']}"
    found = {device["name"]: device for device in listing["devices"]}
    assert name in found, f"{name} is not among the devices rtoc lists: {sorted(found)}"
    return found[name]
