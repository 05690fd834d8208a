"""The progress bar of ``rtoc import`` / ``rtoc export``: on a terminal's stderr, after a delay."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from rtoc.cli import cli
from rtoc.io import progress
from rtoc.plugins import PluginRegistry

DATA = Path(__file__).parent / "data"
CSV = DATA / "german-semicolon.csv"


def rtoc(home: Path, *args: str) -> Result:
    registry = PluginRegistry.load(entry_points=False)
    return CliRunner().invoke(cli, ["--home", str(home), *args], obj={"registry": registry})


@pytest.fixture
def terminal(monkeypatch):
    """stderr taken for a terminal, the bar shown at once."""
    monkeypatch.setattr(progress, "on_terminal", lambda stream: True)
    monkeypatch.setattr(progress, "DELAY", 0.0)


def test_import_and_export_show_a_bar_on_a_terminal(tmp_path, terminal):
    home = tmp_path / "home"
    imported = rtoc(home, "import", str(CSV), "--device", "Lab")
    assert imported.exit_code == 0, imported.output
    assert "importing german-semicolon.csv: 6.00 samples [" in imported.stderr
    assert "importing" not in imported.stdout  # the summary on stdout stays clean
    out = tmp_path / "out.csv"
    exported = rtoc(home, "export", "-o", str(out))
    assert exported.exit_code == 0, exported.output
    assert f"exporting to {out}: 100%" in exported.stderr
    assert "6.00/6.00 [" in exported.stderr  # the total: the stored signals' counts


def test_no_bar_when_stderr_is_not_a_terminal(tmp_path, monkeypatch):
    monkeypatch.setattr(progress, "DELAY", 0.0)
    home = tmp_path / "home"
    imported = rtoc(home, "import", str(CSV), "--device", "Lab")
    assert imported.exit_code == 0, imported.output
    exported = rtoc(home, "export", "-o", str(tmp_path / "out.csv"))
    assert exported.exit_code == 0, exported.output
    assert imported.stderr == ""
    assert exported.stderr == f"Exported 6 samples to {tmp_path / 'out.csv'}.\n"


def test_no_bar_for_work_done_within_the_delay(tmp_path, monkeypatch):
    monkeypatch.setattr(progress, "on_terminal", lambda stream: True)
    assert progress.DELAY == 1.0
    imported = rtoc(tmp_path / "home", "import", str(CSV), "--dry-run")
    assert imported.exit_code == 0, imported.output
    assert imported.stderr == ""
