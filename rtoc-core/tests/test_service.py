"""``rtoc service``: the unit file, installing and removing it, and ``rtoc run`` speaking
systemd's notify protocol to a socket of the test's own."""

from __future__ import annotations

import io
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner

from rtoc import service
from rtoc.cli import cli
from rtoc.logformat import configure_logging
from rtoc.plugins import PluginRegistry
from rtoc.sdnotify import Watchdog, notify


def invoke(*args: str, env: dict | None = None):
    return CliRunner().invoke(
        cli, list(args), obj={"registry": PluginRegistry.load(entry_points=False)}, env=env
    )


@pytest.fixture
def xdg(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return tmp_path / "config" / "systemd" / "user" / "rtoc.service"


@pytest.fixture
def no_systemd(monkeypatch):
    monkeypatch.setattr(service, "systemd_running", lambda: False)
    monkeypatch.setattr("rtoc.service_cli.systemd_running", lambda: False)


@pytest.fixture
def fake_systemctl(tmp_path, monkeypatch) -> Path:
    """systemd 'running' and a systemctl on PATH that writes down how it was called."""
    calls = tmp_path / "systemctl-calls"
    folder = tmp_path / "bin"
    folder.mkdir()
    script = folder / "systemctl"
    script.write_text(f'#!/bin/sh\necho "$@" >> {calls}\n')
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setattr("rtoc.service_cli.systemd_running", lambda: True)
    return calls


def test_print_shows_a_notify_unit_running_this_python(tmp_path, xdg):
    home = tmp_path / "logger home"
    result = invoke("--home", str(home), "service", "print")
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"# {xdg}\n")
    lines = result.output.splitlines()
    assert f'ExecStart={sys.executable} -m rtoc --home "{home}" run' in lines
    for line in ("Type=notify", "Restart=on-failure", "WatchdogSec=30", "WantedBy=default.target"):
        assert line in lines
    assert not any(line.startswith("User=") for line in lines)
    assert not xdg.exists()


def test_a_system_unit_runs_as_the_user_who_asked(tmp_path, monkeypatch):
    monkeypatch.setenv("SUDO_USER", "pi")
    result = invoke("service", "print", "--system", "--home", str(tmp_path))
    assert result.output.startswith("# /etc/systemd/system/rtoc.service\n")
    assert "User=pi\n" in result.output and "WantedBy=multi-user.target\n" in result.output


def test_exec_start_quotes_what_systemd_would_split_or_expand():
    unit = service.Unit(home=Path('/srv/a b/100%"x"'), python="/opt/py thon/bin/python")
    exec_start = next(line for line in unit.text().splitlines() if line.startswith("ExecStart="))
    assert exec_start == (
        'ExecStart="/opt/py thon/bin/python" -m rtoc --home "/srv/a b/100%%\\"x\\"" run'
    )


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze here")
def test_systemd_analyze_verify_accepts_the_unit(tmp_path):
    path = tmp_path / "rtoc.service"
    path.write_text(service.unit_for(tmp_path / "home dir", system=False).text())
    done = subprocess.run(
        ["systemd-analyze", "verify", str(path)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert str(path) not in done.stderr, done.stderr  # it warns about lines it ignores


def test_install_and_uninstall_without_systemd_say_so(tmp_path, xdg, no_systemd):
    result = invoke("--home", str(tmp_path), "service", "install")
    assert result.exit_code == 0, result.output
    assert f"Wrote {xdg}." in result.output
    assert "does not run systemd" in result.output and "Type=notify" in result.output
    assert xdg.read_text() == service.unit_for(tmp_path, system=False).text()
    result = invoke("--home", str(tmp_path), "service", "uninstall")
    assert result.exit_code == 0 and not xdg.exists()
    assert "there was no service to stop" in result.output
    result = invoke("--home", str(tmp_path), "service", "uninstall")
    assert result.exit_code == 1
    assert f"no rtoc unit at {xdg}: nothing to uninstall" in result.output


def test_install_and_uninstall_tell_systemd(tmp_path, xdg, fake_systemctl):
    xdg.parent.mkdir(parents=True)
    result = invoke("--home", str(tmp_path), "service", "install")
    assert result.exit_code == 0, result.output
    assert "systemctl --user enable --now rtoc" in result.output
    assert "loginctl enable-linger" in result.output
    result = invoke("--home", str(tmp_path), "service", "uninstall")
    assert result.exit_code == 0, result.output
    assert fake_systemctl.read_text().splitlines() == [
        "--user daemon-reload",
        "--user disable --now rtoc.service",
        "--user daemon-reload",
    ]


def test_a_missing_systemctl_is_named(tmp_path, xdg, monkeypatch):
    monkeypatch.setattr("rtoc.service_cli.systemd_running", lambda: True)
    monkeypatch.setenv("PATH", str(tmp_path))  # no systemctl on it
    result = invoke("--home", str(tmp_path), "service", "install")
    assert result.exit_code == 1 and xdg.exists()
    assert "the unit is written but systemd did not reload: systemctl is not on PATH" in (
        result.output
    )


def test_a_unit_that_cannot_be_written_says_where_and_why(tmp_path, monkeypatch, no_systemd):
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setattr(service, "SYSTEM_FOLDER", blocker / "system")
    result = invoke("--home", str(tmp_path), "service", "install", "--system")
    assert result.exit_code == 1
    assert f"cannot write {blocker}/system/rtoc.service" in result.output
    assert "a system service needs root: sudo" in result.output


def test_notify_sends_to_a_path_and_an_abstract_socket(monkeypatch):
    folder = tempfile.mkdtemp(prefix="rtoc-", dir="/tmp")  # AF_UNIX paths are short
    try:
        for address, name in [(f"{folder}/notify", f"{folder}/notify"),
                              (f"\0rtoc-{uuid.uuid4().hex}", None)]:  # fmt: skip
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as server:
                server.bind(address)
                monkeypatch.setenv("NOTIFY_SOCKET", name or "@" + address[1:])
                assert notify("READY=1")
                assert server.recv(100) == b"READY=1"
    finally:
        shutil.rmtree(folder)
    monkeypatch.delenv("NOTIFY_SOCKET")
    assert notify("READY=1") is False


def test_the_watchdog_pings_at_half_the_interval_for_its_own_process(monkeypatch):
    address = f"\0rtoc-{uuid.uuid4().hex}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as server:
        server.bind(address)
        server.settimeout(5)
        monkeypatch.setenv("NOTIFY_SOCKET", "@" + address[1:])
        monkeypatch.setenv("WATCHDOG_USEC", "100000")
        monkeypatch.setenv("WATCHDOG_PID", str(os.getpid()))
        watchdog = Watchdog().start()
        try:
            assert watchdog.interval == 0.05
            assert [server.recv(100) for _ in range(3)] == [b"WATCHDOG=1"] * 3
        finally:
            watchdog.stop()
        monkeypatch.setenv("WATCHDOG_PID", "1")  # systemd watches another process
        assert Watchdog().interval is None


def test_rtoc_run_tells_systemd_ready_and_stopping_and_logs_one_line_per_event(tmp_path):
    address = f"\0rtoc-{uuid.uuid4().hex}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as server:
        server.bind(address)
        server.settimeout(30)
        env = {
            **os.environ,
            "NOTIFY_SOCKET": "@" + address[1:],
            "JOURNAL_STREAM": "8:1234",
            "PYTHONUNBUFFERED": "1",
        }
        process = subprocess.Popen(
            [sys.executable, "-m", "rtoc", "--home", str(tmp_path), "run", "--device", "Nope"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        _, errors = process.communicate(timeout=30)
        assert process.returncode != 0 and "unknown device Nope" in errors  # never ready
        (tmp_path / "config.json").write_text('{"global": {"colour": 1}}')  # a warning to log
        process = subprocess.Popen(
            [sys.executable, "-m", "rtoc", "--home", str(tmp_path), "-v", "run", "--demo"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert server.recv(200) == b"READY=1\nSTATUS=recording"
            process.send_signal(signal.SIGTERM)
            assert server.recv(200).startswith(b"STOPPING=1\n")
            output, errors = process.communicate(timeout=30)
        finally:
            process.kill()
    assert process.returncode == 0, errors
    assert "everything stored" in output
    lines = errors.splitlines()
    assert any("<4>WARNING rtoc.config:" in line and "colour" in line for line in lines), lines
    assert all(line[:3] in ("<3>", "<4>", "<6>", "<7>") for line in lines), lines
    assert "\x1b[" not in errors


def test_log_records_become_single_lines_for_the_journal(monkeypatch):
    stream = io.StringIO()
    root = logging.getLogger()
    saved = root.handlers[:]
    root.handlers.clear()
    monkeypatch.setenv("JOURNAL_STREAM", "8:1")
    try:
        configure_logging(logging.INFO, stream)
        try:
            raise ValueError("bad\nvalue")
        except ValueError:
            logging.getLogger("rtoc.test").exception("device failed:\n  first\n  second")
        logging.getLogger("rtoc.test").info("plain")
    finally:
        root.handlers[:] = saved
    first, second = stream.getvalue().splitlines()
    assert first.startswith("<3>ERROR rtoc.test: device failed: |   first |   second | Traceback")
    assert first.endswith("ValueError: bad | value")
    assert second == "<6>INFO rtoc.test: plain"
