"""The menu bar on a real in-process logger: File (sessions, export, import), Data
(recordLength, delete all data), Devices, Settings (the settings widget, dark mode, the
tray), Help; the Network dialog against a real ``rtoc run`` is in test_gui_network.py."""

from __future__ import annotations

import json
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Literal

import attrs
import numpy as np
import pytest
from gui_helpers import GUI
from PyQt5 import QtCore, QtWidgets

import rtoc
from rtoc.config import CONFIG_FILE, Limits
from rtoc.frontend import EventQuery
from rtoc.logger import Logger
from rtoc.plugins import PluginInfo, PluginRegistry
from rtoc_gui import __version__
from rtoc_gui.app import build_window
from rtoc_gui.link import Link
from rtoc_gui.mainwindow import MainWindow
from rtoc_gui.marks import yes_button
from rtoc_gui.settings import SettingsWidget
from rtoc_gui.tray import NO_TRAY, tray_menu

T0 = 1_700_000_000.0


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def window(qtbot, logger: Logger, home: Path) -> Iterator[MainWindow]:
    shown = build_window(logger, "this computer", GUI, home=home, plugins=logger.plugins)
    qtbot.addWidget(shown)
    yield shown
    shown.close()


def record(logger: Logger) -> None:
    x = T0 + np.arange(50) * 0.5
    logger.stream_many(x, np.sin(x - T0), "U", "DPS", "V")
    logger.stream_many(x[:5], np.arange(5.0), "T", "Lab", "°C")
    logger.event("door open", device="Lab", signal="T", priority=1, id="door", time=T0 + 3)


def config_json(home: Path) -> dict:
    return json.loads((home / CONFIG_FILE).read_text(encoding="utf-8"))


# -- File -------------------------------------------------------------------------------


def test_session_saved_and_loaded_back(qtbot, window: MainWindow, logger: Logger, tmp_path):
    record(logger)
    path = tmp_path / "day1.json"
    dialog = window.menus.ask_save_session()
    dialog.selectFile(str(path))
    dialog.accept()
    assert (
        path.exists()
        and "2 signals (55 samples) and 1 events" in window.statusBar().currentMessage()
    )
    saved = json.loads(path.read_text())
    assert saved["signals"]["DPS.U"]["unit"] == "V"
    assert [e["text"] for e in saved["events"]] == ["door open"]

    assert window.menus.delete_all()
    assert logger.signal_infos() == []
    loaded = window.menus.load_session(path)
    assert loaded is not None and sorted(loaded.signals) == ["DPS.U", "Lab.T"]
    x, y, unit = logger.read("DPS", "U")
    expected = T0 + np.arange(50) * 0.5
    assert unit == "V" and np.array_equal(x, expected) and np.array_equal(y, np.sin(expected - T0))
    assert logger.read("Lab", "T").unit == "°C"
    assert "its 1 events were not replayed" in window.statusBar().currentMessage()

    # the same file again: refused, nothing doubled
    assert window.menus.load_session(path) is None
    assert "was imported into these signals before" in window.statusBar().currentMessage()
    assert len(logger.read("DPS", "U").x) == 50


def test_a_file_that_is_no_session_is_refused_by_name(window: MainWindow, logger, tmp_path):
    bad = tmp_path / "notes.json"
    bad.write_text('{"signals": {"NoDot": {"x": [1], "y": [2]}}}')
    assert window.menus.load_session(bad) is None
    message = window.statusBar().currentMessage()
    assert "notes.json" in message and "NoDot" in message
    assert logger.signal_infos() == []


def test_export_signals_by_suffix(window: MainWindow, logger, tmp_path):
    record(logger)
    path = tmp_path / "out.csv"
    assert window.menus.export_signals(path) is not None
    lines = path.read_text().splitlines()
    assert len(lines) == 1 + 55 and "DPS" in lines[1]
    assert window.menus.export_signals(tmp_path / "out.xyz") is None
    assert "no format reads .xyz" in window.statusBar().currentMessage()
    dialog = window.menus.ask_export()
    parquet = next(f for f in dialog.nameFilters() if f.startswith("parquet"))
    dialog.selectNameFilter(parquet)
    dialog.filterSelected.emit(parquet)
    dialog.setDirectory(str(tmp_path))
    dialog.selectFile("no suffix")
    dialog.accept()
    assert (tmp_path / "no suffix.parquet").stat().st_size > 0


def test_import_entry_calls_the_windows_import_files(qtbot, logger, home, tmp_path):
    window = build_window(logger, "this computer", GUI, home=home)
    qtbot.addWidget(window)
    imported: list[list[str]] = []
    window.import_files = imported.append  # what the Import dialog would be given
    assert window.menus.import_action.isEnabled()
    files = [tmp_path / "a.csv", tmp_path / "b.csv"]
    for file in files:
        file.write_text("t,U\n1,2\n")
    dialog = window.menus.ask_import()
    dialog.selectFile(" ".join(f'"{file.name}"' for file in files))
    dialog.setDirectory(str(tmp_path))
    dialog.accept()
    assert [sorted(paths) for paths in imported] == [[str(file) for file in files]]
    window.close()


def test_a_focused_script_takes_ctrl_n_from_the_menus(qtbot, window):
    """Qt runs neither of two actions that share a key: while a script has the focus, the
    menus give Ctrl+N (and O, S) to the script widget, and take them back after."""
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    editor = window.scripts.current().editor
    editor.setFocus()
    qtbot.waitUntil(editor.hasFocus)
    qtbot.keyClick(editor, QtCore.Qt.Key_N, QtCore.Qt.ControlModifier)
    assert (window.scripts.tabs.count(), len(window.plot_windows)) == (2, 0)

    window.events.setFocus()
    qtbot.waitUntil(lambda: not editor.hasFocus())
    qtbot.keyClick(window.events, QtCore.Qt.Key_N, QtCore.Qt.ControlModifier)
    assert (window.scripts.tabs.count(), len(window.plot_windows)) == (2, 1)


# -- Data -------------------------------------------------------------------------------


def test_record_length_edit_resizes_the_logger(window: MainWindow, logger: Logger):
    spin = window.menus.record_length
    assert spin.value() == logger.record_length == logger.config.global_.recordLength
    spin.setValue(1234)
    assert logger.record_length == 1234
    for n in range(300):  # 300 signals of 100 M samples: more memory than any machine here
        logger.stream(1.0, f"S{n}", "Many")
    spin.setValue(100_000_000)
    assert logger.record_length == 1234
    assert "recordLength 100,000,000" in spin.toolTip()
    assert "border" in spin.styleSheet()
    assert "recordLength not changed" in window.statusBar().currentMessage()


def test_delete_all_data_asks_first(qtbot, window: MainWindow, logger: Logger):
    record(logger)
    box = window.menus.ask_delete_all()
    box.button(QtWidgets.QMessageBox.Cancel).click()
    assert len(logger.signal_infos()) == 2

    box = window.menus.ask_delete_all()
    assert "cannot be undone" in box.text()
    yes_button(box).click()
    assert logger.signal_infos() == []
    assert logger.event_page(EventQuery()).total == 0
    assert "Deleted 2 signals and 1 events" in window.statusBar().currentMessage()
    qtbot.waitUntil(lambda: window.plot.known == {}, timeout=5000)


# -- Devices ----------------------------------------------------------------------------


def test_devices_menu_starts_and_stops(window: MainWindow, logger: Logger):
    menu = window.menus.devices
    window.menus.fill_devices(menu)
    (generator,) = [a for a in menu.actions() if a.text() == "Generator"]
    assert not generator.isChecked()
    generator.trigger()
    assert logger.devices["Generator"].running
    window.menus.fill_devices(menu)
    (generator,) = [a for a in menu.actions() if a.text() == "Generator"]
    assert generator.isChecked()
    generator.trigger()
    assert not logger.devices["Generator"].running


# -- Settings ---------------------------------------------------------------------------


def test_a_setting_edited_is_saved_in_config_json(window: MainWindow, home: Path):
    settings = window.menus.show_settings()
    assert settings is not None and settings.isVisible()
    tabs = [settings.tabs.tabText(i) for i in range(settings.tabs.count())]
    assert tabs[:6] == ["global", "postgresql", "GUI", "telegram", "tcp", "backup"]
    settings.fields["tcp.port"].editor.setText("6001")
    settings.fields["GUI.plotRate"].editor.setText("4.5")
    settings.fields["global.name"].editor.setText("12")  # text, though it looks like a number
    settings.fields["telegram.default_permission"].editor.setCurrentText("read")
    settings.fields["backup.autoOnClose"].editor.setChecked(False)
    assert settings.save()
    saved = config_json(home)
    assert saved["tcp"]["port"] == 6001
    assert saved["GUI"]["plotRate"] == 4.5
    assert saved["global"]["name"] == "12"
    assert saved["telegram"]["default_permission"] == "read"
    assert saved["backup"]["autoOnClose"] is False
    assert "Saved 5 change(s)" in settings.notice.text()
    assert settings.changes() == {}


def test_a_bad_value_is_refused_at_its_field_and_nothing_is_saved(window: MainWindow, home):
    settings = window.menus.show_settings()
    before = (home / CONFIG_FILE).read_bytes()
    port = settings.fields["tcp.port"]
    port.editor.setText("70000")
    settings.fields["GUI.plotRate"].editor.setText("4.5")  # a good change, not saved either
    settings.fields["backup.backend"].editor.setText("floppy")
    assert not settings.save()
    assert port.error == "expected an integer from 1 to 65535, got 70000"
    assert port.message.isVisibleTo(settings) and "border" in port.editor.styleSheet()
    assert "floppy" in settings.fields["backup.backend"].error
    assert settings.fields["GUI.plotRate"].error == ""
    assert (home / CONFIG_FILE).read_bytes() == before
    assert "Not saved" in settings.notice.text()

    port.editor.setText("6002")
    settings.fields["backup.backend"].editor.setText("sqlite")
    assert settings.save()
    assert port.error == "" and port.editor.styleSheet() == ""
    assert config_json(home)["tcp"]["port"] == 6002


@attrs.frozen
class LabSection:
    """A distribution's own section (``rtoc_config_sections``)."""

    active: bool = False
    rate: Annotated[float, Limits(0.1, 60)] = 8.0
    mode: Literal["fast", "slow"] = "slow"


def test_a_distributions_section_is_a_tab_checked_as_the_cores(qtbot, home: Path):
    registry = PluginRegistry.load(entry_points=False)
    plugin = types.SimpleNamespace(rtoc_config_sections=rtoc.hookimpl(lambda: {"lab": LabSection}))
    registry.register(plugin, PluginInfo("rtoc-lab", "rtoc-lab 0.1"))
    settings = SettingsWidget(home, registry)
    qtbot.addWidget(settings)
    assert "lab" in [settings.tabs.tabText(i) for i in range(settings.tabs.count())]
    settings.fields["lab.rate"].editor.setText("100")
    assert not settings.save()
    assert settings.fields["lab.rate"].error == "expected a number from 0.1 to 60, got 100"
    settings.fields["lab.rate"].editor.setText("2")
    settings.fields["lab.mode"].editor.setCurrentText("fast")
    assert settings.save()
    assert config_json(home)["lab"] == {"active": False, "rate": 2, "mode": "fast"}
    settings.close()


def test_settings_of_a_remote_window_are_disabled_with_the_reason(qtbot, logger, home):
    window = MainWindow(Link(logger, "lab:5050", local=False), GUI, home=home)
    qtbot.addWidget(window)
    settings = window.menus.show_settings()
    assert not settings.tabs.isEnabled() and not settings.save_button.isEnabled()
    assert "the logger at lab:5050" in settings.notice.text()
    assert "rtoc config set" in settings.notice.text()
    window.close()


def test_dark_mode_switches_the_theme_and_is_kept(window: MainWindow, home: Path):
    app = QtWidgets.QApplication.instance()
    window.menus.set_dark(False)
    assert app.palette().color(app.palette().Window).lightness() > 128
    assert config_json(home)["GUI"]["darkmode"] is False
    assert window.plot.plot.backgroundBrush().color().name() == "#ffffff"
    window.menus.set_dark(True)
    assert app.palette().color(app.palette().Window).name() == "#232629"
    assert config_json(home)["GUI"]["darkmode"] is True
    assert window.plot.plot.backgroundBrush().color().name() == "#14161a"


def test_system_tray(qtbot, window: MainWindow, home: Path):
    window.menus.show_tray(True)
    if QtWidgets.QSystemTrayIcon.isSystemTrayAvailable():
        assert window.menus.tray is not None and window.menus.tray.isVisible()
    else:  # Qt's offscreen platform has no tray
        assert window.menus.tray is None
        assert window.statusBar().currentMessage() == NO_TRAY
    menu = tray_menu(window)
    actions = {action.text(): action for action in menu.actions()}
    actions["Hide"].trigger()
    assert not window.isVisible()
    actions["Show"].trigger()
    assert window.isVisible()
    actions["Quit"].trigger()
    assert not window.isVisible()


# -- Help -------------------------------------------------------------------------------


def test_help_shows_version_and_shortcuts(window: MainWindow):
    box = window.menus.show_about()
    assert __version__ in box.text() and "this computer" in box.text()
    shortcuts = dict(window.menus.shortcuts())
    assert shortcuts["Ctrl+S"] == "File ▸ Save session…"
    assert shortcuts["Ctrl+N"] == "Data ▸ New plot window"
    assert "Ctrl+S" in window.menus.show_shortcuts().text()


def test_new_plot_window_from_the_data_menu(window: MainWindow):
    (action,) = [a for a in window.menus.data.actions() if a.text() == "&New plot window"]
    action.trigger()
    assert len(window.plot_windows) == 1
