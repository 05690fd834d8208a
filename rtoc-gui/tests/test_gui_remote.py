"""The window on a real ``rtoc run`` over TCP: with and without a password, and a
server that goes away and comes back."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from gui_helpers import GUI, Server
from PyQt5 import QtCore

from rtoc.config import Config
from rtoc.net.remote import RemoteLogger
from rtoc_gui.app import build_window
from rtoc_gui.mainwindow import MainWindow
from rtoc_gui.plugin import connect

WAIT = 10_000  # ms
SINE = ("Generator", "Sine")


@pytest.fixture(scope="module")
def plain(tmp_path_factory) -> Iterator[Server]:
    server = Server(tmp_path_factory.mktemp("plain") / "home").start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def secret(tmp_path_factory) -> Iterator[Server]:
    server = Server(tmp_path_factory.mktemp("secret") / "home", password="s3cret pass").start()
    yield server
    server.stop()


def open_window(qtbot, server: Server) -> tuple[MainWindow, RemoteLogger]:
    remote = connect(f"127.0.0.1:{server.port}", server.password or None, Config())
    window = build_window(remote, f"127.0.0.1:{server.port}", GUI, local=False)
    qtbot.addWidget(window)
    return window, remote


def newest_drawn(window: MainWindow) -> float:
    x, _ = window.plot.curve_data(SINE)
    return float(x.max()) if len(x) else 0.0


@pytest.mark.parametrize("kind", ["plain", "secret"])
def test_remote_samples_devices_and_parameters(qtbot, request, kind):
    server: Server = request.getfixturevalue(kind)
    window, remote = open_window(qtbot, server)
    try:
        qtbot.waitUntil(lambda: len(window.plot.curve_data(SINE)[0]) >= 3, timeout=WAIT)
        assert window.windowTitle() == f"rtoc — 127.0.0.1:{server.port}"
        qtbot.waitUntil(lambda: window.devices.running.get("Generator"), timeout=WAIT)

        amplitude = window.raw.parameters["Generator", "amplitude"]
        amplitude.field.setText("-3")
        qtbot.keyClick(amplitude.field, QtCore.Qt.Key_Return)
        assert remote.get_parameter("Generator", "amplitude") == -3
        waveform = window.raw.parameters["Generator", "waveform"]
        waveform.field.setText("zigzag")
        qtbot.keyClick(waveform.field, QtCore.Qt.Key_Return)
        assert "unknown waveform 'zigzag'" in waveform.message.text()

        button = window.devices.buttons["Generator"]
        qtbot.mouseClick(button, QtCore.Qt.LeftButton)
        assert not window.devices.running["Generator"]
        assert not next(d for d in remote.describe_devices() if d.name == "Generator").running
        qtbot.mouseClick(button, QtCore.Qt.LeftButton)
        assert window.devices.running["Generator"]
        remote.set_parameter("Generator", "amplitude", 1.0)
    finally:
        window.close()
        remote.close()


def test_wrong_or_missing_password_is_a_clear_error(secret):
    with pytest.raises(click.ClickException, match="password"):
        connect(f"127.0.0.1:{secret.port}", None, Config())
    with pytest.raises(click.ClickException):
        connect(f"127.0.0.1:{secret.port}", "wrong", Config())


def test_server_goes_away_and_comes_back(qtbot, tmp_path: Path):
    server = Server(tmp_path / "home").start()
    try:
        window, remote = open_window(qtbot, server)
        qtbot.waitUntil(lambda: newest_drawn(window) > 0, timeout=WAIT)
        server.stop()
        qtbot.waitUntil(lambda: window.banner.isVisible(), timeout=WAIT)
        assert f"Connection to 127.0.0.1:{server.port} lost" in window.banner.text()
        before = newest_drawn(window)

        server.start()
        qtbot.waitUntil(lambda: not window.banner.isVisible(), timeout=WAIT)
        assert "again" in window.statusBar().currentMessage()
        qtbot.waitUntil(lambda: newest_drawn(window) > before, timeout=WAIT)
        window.close()
        remote.close()
    finally:
        server.stop()


def test_remote_scripts_run_in_the_server_s_logger(qtbot, plain):
    window, remote = open_window(qtbot, plain)
    try:
        remote.start_device("Generator")
        scripts = window.scripts
        tab = scripts.current()
        tab.editor.setPlainText("print('sine has samples:', len(Generator.Sine) > 0)\n6 * 7")
        scripts.run_once()
        qtbot.waitUntil(lambda: "→ 42" in tab.output.toPlainText(), timeout=WAIT)
        assert tab.output.toPlainText() == "sine has samples: True\n→ 42"

        tab.output.clear()
        tab.editor.setPlainText("x = 1\ny = x / 0")
        scripts.run_once()
        qtbot.waitUntil(lambda: "ZeroDivisionError" in tab.output.toPlainText(), timeout=WAIT)
        assert tab.output.toPlainText().startswith("script script 1, line 2")
        assert tab.editor.error_line == 2

        tab.output.clear()
        tab.editor.setPlainText("print(abs(Generator.Sine.latest) <= 1)")
        qtbot.waitUntil(lambda: SINE in scripts.signal_actions, timeout=WAIT)
        scripts.signal_actions[SINE].setChecked(True)
        scripts.run_on_signals()
        qtbot.waitUntil(lambda: tab.runner.runs >= 4, timeout=WAIT)  # two runs before
        scripts.stop()
        assert set(tab.output.toPlainText().splitlines()) == {"True"}
    finally:
        window.close()
        remote.close()


def test_signal_menu_changes_the_remote_loggers_data(qtbot, plain):
    window, remote = open_window(qtbot, plain)
    copy = ("Generator", "SineCopy")
    try:
        qtbot.waitUntil(lambda: len(window.plot.curve_data(SINE)[0]) >= 3, timeout=WAIT)
        assert window.signal_actions.duplicate(SINE, "SineCopy")
        assert window.signal_actions.set_unit(copy, "V")
        qtbot.waitUntil(lambda: copy in window.signals.buttons, timeout=WAIT)
        assert {info.key: info.unit for info in remote.signal_infos()}[copy] == "V"
        assert window.signal_actions.delete(copy)
        assert copy not in {info.key for info in remote.signal_infos()}
    finally:
        window.close()
        remote.close()
