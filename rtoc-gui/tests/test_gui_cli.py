"""``rtoc gui``: the command, its errors, and the real program started and stopped."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from gui_helpers import Server

from rtoc.cli import cli
from rtoc.plugins import PluginRegistry
from rtoc.testing.installed import rtoc_command
from rtoc_gui.plugin import parse_address


def invoke(home: Path, *args: str, env: dict[str, str] | None = None):
    registry = PluginRegistry.load()
    registry.add_commands(cli)
    return CliRunner().invoke(
        cli, ["--home", str(home), "gui", *args], obj={"registry": registry}, env=env
    )


def test_gui_is_an_rtoc_command(tmp_path):
    result = invoke(tmp_path, "--help")
    assert result.exit_code == 0, result.output
    assert "--remote HOST[:PORT]" in result.output and "--password" in result.output


def test_missing_pyqt5_names_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "PyQt5", None)  # import PyQt5 now raises ImportError
    result = invoke(tmp_path)
    assert result.exit_code == 1
    assert "rtoc gui needs PyQt5 and pyqtgraph" in result.output
    assert "pip install rtoc-gui" in result.output


def test_no_display_is_a_clear_error(tmp_path):
    environment = {"QT_QPA_PLATFORM": "", "DISPLAY": "", "WAYLAND_DISPLAY": ""}
    result = invoke(tmp_path, env=environment)
    assert result.exit_code == 1
    assert "no display to open a window on" in result.output


def test_unreachable_remote_says_so(tmp_path):
    result = invoke(tmp_path, "--remote", "127.0.0.1:1")
    assert result.exit_code == 1
    assert "cannot reach an rtoc logger at 127.0.0.1:1" in result.output


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("lab-pi", ("lab-pi", 5050)),
        ("lab-pi:6000", ("lab-pi", 6000)),
        ("[::1]:6000", ("::1", 6000)),
        ("[::1]", ("::1", 5050)),
    ],
)
def test_addresses(text, address):
    assert parse_address(text, 5050) == address


@pytest.mark.parametrize("text", ["lab:", "lab:x", "lab:70000", ":80", "[::1]x"])
def test_bad_addresses(text):
    with pytest.raises(click.BadParameter, match="HOST"):
        parse_address(text, 5050)


class Program:
    """``rtoc gui ...`` as a user starts it (offscreen), its output collected."""

    def __init__(self, home: Path, *args: str) -> None:
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            rtoc_command(home, "gui", *args),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1", "QT_QPA_PLATFORM": "offscreen"},
        )
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)

    def wait_for(self, text: str, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while not any(text in line for line in self.lines):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.process.kill()
                pytest.fail(f"no {text!r} from rtoc gui:\n" + "".join(self.lines))
            time.sleep(0.05)

    def terminate(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(20)
        self.reader.join(5)
        return code


@pytest.mark.slow
def test_local_program_starts_autorun_devices_and_stops_cleanly(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.json").write_text(json.dumps({"backup": {"active": True}}))
    (home / "autorun_devices").write_text("Generator\n")
    program = Program(home)
    program.wait_for("Started Generator.")
    program.wait_for("Showing the logger on this computer")
    assert program.terminate() == 0, "".join(program.lines)
    assert "everything stored" in "".join(program.lines)


@pytest.mark.slow
def test_remote_program_with_password(tmp_path):
    server = Server(tmp_path / "server", password="pw").start()
    try:
        program = Program(tmp_path / "viewer", "--remote", f"127.0.0.1:{server.port}", "--password")
        assert program.process.stdin is not None
        program.process.stdin.write("pw\n")
        program.process.stdin.flush()
        program.wait_for(f"Showing the logger on 127.0.0.1:{server.port}")
        assert program.terminate() == 0, "".join(program.lines)
        viewer = json.loads((tmp_path / "viewer" / "config.json").read_text(encoding="utf-8"))
        assert viewer["tcp"]["knownHosts"] == {f"127.0.0.1:{server.port}": ["RTOC-Remote", ""]}
    finally:
        server.stop()
