"""What a user sees of an installed plugin distribution: ``rtoc devices`` run as a command.

A device distribution's tests call :func:`listed_device` to prove that its
entry point is installed and that rtoc loads it, in a process of its own, the
way ``rtoc devices`` and ``rtoc run`` will.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any


def listed_device(name: str, home: Path, python: str = sys.executable) -> dict[str, Any]:
    """The entry of ``rtoc devices --json`` for the device ``name``.

    ``home`` becomes ``$RTOC_HOME`` (use a temporary folder). Fails the test
    with rtoc's own output when the command fails, when the device is not
    listed, or when rtoc reports a plugin that failed to load.
    """
    result = subprocess.run(
        [python, "-m", "rtoc", "devices", "--json"],
        env={**os.environ, "RTOC_HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, f"rtoc devices failed:\n{result.stderr}"
    listing = json.loads(result.stdout)
    assert not listing["failed"], f"plugins that failed to load: {listing['failed']}"
    found = {device["name"]: device for device in listing["devices"]}
    assert name in found, f"{name} is not among the devices rtoc lists: {sorted(found)}"
    return found[name]
