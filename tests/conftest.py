"""Fixtures for end-to-end tests: rtoc runs as a separate process, as users run it."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def home(tmp_path: Path) -> Path:
    folder = tmp_path / "rtoc-home"
    folder.mkdir()
    return folder
