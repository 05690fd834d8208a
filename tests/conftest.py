"""Helpers for end-to-end tests: rtoc runs as a separate process, as users run it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def rtoc_command(home: Path, *args: str, python: str = sys.executable) -> list[str]:
    return [python, "-m", "rtoc", "--home", str(home), *args]


def run_rtoc(home: Path, *args: str, timeout: float = 60, python: str = sys.executable):
    """Run ``rtoc --home HOME ARGS`` to completion and return the CompletedProcess."""
    return subprocess.run(
        rtoc_command(home, *args, python=python),
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


@pytest.fixture
def home(tmp_path: Path) -> Path:
    folder = tmp_path / "rtoc-home"
    folder.mkdir()
    return folder
