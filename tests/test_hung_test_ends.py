"""A test stuck in C with the GIL held still ends the run, saying where it was.

``sum(iter(int, 1))`` never returns to Python: pytest-timeout's SIGALRM
handler never runs, nor would its timer thread. The repository's pytest
configuration backs it up with faulthandler's C timer.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

STUCK = """
def test_stuck_in_c():
    sum(iter(int, 1))
"""


@pytest.mark.timeout(60)
def test_a_test_holding_the_gil_ends_the_run_with_its_traceback(tmp_path):
    (tmp_path / "test_stuck.py").write_text(STUCK, encoding="utf-8")
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-c",
        str(ROOT / "pyproject.toml"),
        "--rootdir",
        str(tmp_path),
        "-p",
        "no:cacheprovider",
        "-o",
        "timeout=1",
        "-o",
        "faulthandler_timeout=2",
        str(tmp_path / "test_stuck.py"),
    ]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=30)
    except subprocess.TimeoutExpired:
        raise AssertionError("the stuck test was still running after 30 s") from None
    assert done.returncode == 1
    assert "Timeout (0:00:02)!" in done.stderr
    assert "in test_stuck_in_c" in done.stderr
