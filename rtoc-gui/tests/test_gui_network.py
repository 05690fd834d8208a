"""Network ▸ Connect to a real ``rtoc run`` over TCP: a window opens on it, the host goes
to the front of ``tcp.knownHosts``, and a server that is not there is told in the dialog."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from gui_helpers import GUI, Server, free_port

from rtoc.config import CONFIG_FILE
from rtoc.frontend import EventQuery
from rtoc.logger import Logger
from rtoc_gui.app import build_window
from rtoc_gui.mainwindow import MainWindow
from rtoc_gui.network import known_hosts

WAIT = 10_000  # ms


@pytest.fixture(scope="module")
def secret(tmp_path_factory) -> Iterator[Server]:
    server = Server(tmp_path_factory.mktemp("net") / "home", password="open sesame").start()
    yield server
    server.stop()


@pytest.fixture
def window(qtbot, logger: Logger, tmp_path: Path) -> Iterator[MainWindow]:
    home = tmp_path / "home"
    home.mkdir()
    old = {"lab:5050": ["lab", ""], f"127.0.0.1:{free_port()}": ["gone", ""]}
    (home / CONFIG_FILE).write_text(json.dumps({"tcp": {"knownHosts": old}}), encoding="utf-8")
    shown = build_window(logger, "this computer", GUI, home=home, plugins=logger.plugins)
    qtbot.addWidget(shown)
    yield shown
    for opened in shown.menus.remote_windows:
        opened.close()
    shown.close()


def test_connect_opens_a_window_and_remembers_the_host(qtbot, window: MainWindow, secret):
    home = window.home
    dialog = window.menus.ask_connect()
    assert [dialog.host.itemText(i) for i in range(dialog.host.count())] == known_hosts(home)
    dialog.host.setCurrentText("127.0.0.1")
    dialog.port.setValue(secret.port)
    dialog.password.setText("wrong")
    assert dialog.connect_now() is None
    assert "password" in dialog.message.text() and dialog.isVisible()

    dialog.password.setText("open sesame")
    opened = dialog.connect_now()
    assert opened is not None and not dialog.isVisible()
    address = f"127.0.0.1:{secret.port}"
    assert opened.windowTitle() == f"rtoc — {address}"
    assert not opened.link.local
    qtbot.waitUntil(lambda: opened.devices.running.get("Generator"), timeout=WAIT)
    qtbot.waitUntil(
        lambda: len(opened.plot.curve_data(("Generator", "Sine"))[0]) >= 2, timeout=WAIT
    )

    hosts = json.loads((home / CONFIG_FILE).read_text(encoding="utf-8"))["tcp"]["knownHosts"]
    assert list(hosts)[:2] == [address, "lab:5050"]
    assert hosts[address] == ["RTOC-Remote", ""]  # the logger's global.name; no password kept
    assert "open sesame" not in (home / CONFIG_FILE).read_text(encoding="utf-8")

    window.menus.fill_recent()
    assert window.menus.recent.actions()[0].text() == address
    again = window.menus.ask_connect(address)
    assert again.host.currentText() == address
    again.reject()

    opened.close()  # and its connection with it
    qtbot.waitUntil(lambda: opened.link.view.client._socket is None, timeout=WAIT)


def test_no_server_or_a_bad_address_is_told_in_the_dialog(window: MainWindow):
    before = (window.home / CONFIG_FILE).read_text(encoding="utf-8")
    dialog = window.menus.ask_connect()
    dialog.host.setCurrentText(known_hosts(window.home)[1])  # nothing listens there
    assert dialog.connect_now() is None
    assert "cannot reach an rtoc logger at 127.0.0.1" in dialog.message.text()
    assert "border" in dialog.host.styleSheet()
    dialog.host.setCurrentText("lab:http")
    assert dialog.connect_now() is None
    assert "is not HOST[:PORT]" in dialog.message.text()
    assert window.menus.remote_windows == []
    assert (window.home / CONFIG_FILE).read_text(encoding="utf-8") == before


def test_menus_on_a_remote_window(qtbot, window: MainWindow, secret):
    dialog = window.menus.ask_connect(f"127.0.0.1:{secret.port}")
    dialog.password.setText("open sesame")
    opened = dialog.connect_now()
    assert opened is not None
    remote = opened.link.view
    try:
        rules = opened.menus.show_rules()
        editor = rules.edit("event")
        editor.inputs["name"].setText("remote hot")
        editor.inputs["cond"].setPlainText("(Generator.Sine.latest >\n 2 +)")
        assert not editor.save()
        assert "line 2" in editor.error("cond")
        editor.inputs["cond"].setPlainText("Generator.Sine.latest > 2")
        assert editor.save()
        assert [r.name for r in remote.automation_state().rules] == ["remote hot"]
        rules.remove("event", "remote hot")
        assert remote.automation_state().rules == ()

        spin = opened.menus.record_length
        assert spin.isEnabled() and spin.value() == remote.record_length
        spin.setValue(4321)
        assert remote.record_length == 4321

        qtbot.waitUntil(lambda: remote.signal_infos() != [], timeout=WAIT)
        remote.stop_device("Generator")
        assert opened.menus.delete_all()
        assert remote.signal_infos() == []
        assert remote.event_page(EventQuery()).total == 0
    finally:
        remote.start_device("Generator")
        opened.close()
