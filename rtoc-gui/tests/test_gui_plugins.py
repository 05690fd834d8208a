"""The Plugins dialog drives rtoc.plugin_installer in a thread: pip really installs and
removes a plugin wheel, offline, in a fresh environment whose Python the dialog is given
(:func:`rtoc.testing.distributions.isolated_venv`: rtoc-core and pip, no other plugin)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PyQt5 import QtCore, QtWidgets

from rtoc.plugin_installer import installed_distributions
from rtoc.testing.distributions import build_wheels, isolated_venv, write_distribution
from rtoc_gui.mainwindow import MainWindow
from rtoc_gui.plugin_dialog import ERROR_COLOUR, PluginDialog

pytestmark = pytest.mark.slow

#: ms: pip runs several times per job on a crowded machine.
PIP_WAIT = 90_000
PLUGIN = "rtoc-device-tiny"


@pytest.fixture(scope="module")
def wheels(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("plugin")
    project = write_distribution(folder / "project", PLUGIN, "1.0", device="Tiny")
    build_wheels([project], folder / "wheels")
    return folder / "wheels"


@pytest.fixture
def python(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh environment's Python; pip there sees no configuration of this machine."""
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    for name in list(os.environ):
        if name.startswith("PIP_") and name != "PIP_CONFIG_FILE":
            monkeypatch.delenv(name)
    return isolated_venv(tmp_path / "venv")


@pytest.fixture
def dialog(qtbot, python: str) -> PluginDialog:
    shown = PluginDialog(python)
    qtbot.addWidget(shown)
    shown.show()
    with qtbot.waitSignal(shown.job_finished, timeout=PIP_WAIT):
        shown.refresh()
    return shown


def rows(dialog: PluginDialog) -> list[list[str]]:
    table = dialog.table
    return [
        [table.item(row, column).text() for column in range(table.columnCount())]
        for row in range(table.rowCount())
    ]


def click(qtbot, button: QtWidgets.QPushButton) -> None:
    qtbot.mouseClick(button, QtCore.Qt.LeftButton)


def test_install_by_short_name_from_a_wheel_folder_then_remove(qtbot, dialog, python, wheels):
    assert [row[0] for row in rows(dialog)] == ["rtoc-core (rtoc itself)"]
    dialog.name.setText("tiny")
    dialog.folder.setText(str(wheels))
    dialog.only_folder.setChecked(True)

    click(qtbot, dialog.install_button)

    assert dialog.busy  # pip runs in its thread; the dialog answers meanwhile
    assert not dialog.install_button.isEnabled()
    assert dialog.status.text() == "Installing tiny..."
    qtbot.waitUntil(lambda: len(rows(dialog)) == 2 and not dialog.busy, timeout=PIP_WAIT)
    output = dialog.output.toPlainText()
    assert f"Looking for {PLUGIN}..." in output
    assert f"$ {python} -m pip install --find-links {wheels} --no-index {PLUGIN}" in output
    assert f"Successfully installed {PLUGIN}-1.0" in output  # pip's own lines
    assert f"Installed {PLUGIN} 1.0." in output
    assert rows(dialog)[1] == [PLUGIN, "1.0", "devices: Tiny", ""]
    prompt = dialog.restart_prompt
    assert prompt is not None and prompt.isVisible()
    assert prompt.text() == "Restart rtoc to load the new plugin."
    assert prompt.informativeText() == f"Changed: {PLUGIN} 1.0"
    prompt.accept()

    dialog.table.selectRow(1)
    click(qtbot, dialog.remove_button)
    qtbot.waitUntil(lambda: len(rows(dialog)) == 1 and not dialog.busy, timeout=PIP_WAIT)

    assert f"Removed {PLUGIN} 1.0." in dialog.output.toPlainText()
    assert dialog.restart_prompt.isVisible()
    assert dialog.restart_prompt.text() == "Restart rtoc to unload the removed plugin."
    assert PLUGIN not in installed_distributions(python)


def error_shown(dialog: PluginDialog) -> str:
    assert ERROR_COLOUR in dialog.status.styleSheet()
    return dialog.status.text()


def test_errors_are_shown_and_change_nothing(qtbot, dialog, python, wheels):
    click(qtbot, dialog.install_button)
    assert error_shown(dialog).startswith("Type the name of a plugin to install")
    click(qtbot, dialog.remove_button)
    assert error_shown(dialog) == "Select the plugins to remove."
    click(qtbot, dialog.update_button)
    assert error_shown(dialog) == "Select the plugins to update, or press Update all."

    dialog.name.setText("tiny")
    dialog.folder.setText(str(wheels / "missing"))
    click(qtbot, dialog.install_button)
    assert error_shown(dialog) == f"--find-links {wheels / 'missing'}: no such folder"

    dialog.name.setText("nosuch")
    dialog.folder.setText(str(wheels))
    dialog.only_folder.setChecked(True)
    with qtbot.waitSignal(dialog.job_finished, timeout=PIP_WAIT):
        click(qtbot, dialog.install_button)
        dialog.reject()  # not while pip runs
        assert dialog.isVisible()
        assert error_shown(dialog).startswith("pip is still running")
    assert error_shown(dialog) == (
        f"no distribution rtoc-device-nosuch, rtoc-nosuch or nosuch found "
        f"(--find-links {wheels}, no index)"
    )

    dialog.table.selectRow(0)
    with qtbot.waitSignal(dialog.job_finished, timeout=PIP_WAIT):
        click(qtbot, dialog.remove_button)
    assert error_shown(dialog).startswith("rtoc-core is rtoc itself, not a plugin")
    assert dialog.restart_prompt is None
    assert "rtoc-core" in installed_distributions(python)


def test_the_main_window_opens_it_on_rtocs_own_python(qtbot, window: MainWindow):
    (action,) = [a for a in window.findChildren(QtWidgets.QAction) if a.text() == "Plugins…"]
    action.trigger()

    dialog = window.plugin_dialog
    assert dialog is not None and dialog.isVisible()
    qtbot.waitUntil(lambda: not dialog.busy, timeout=PIP_WAIT)
    names = [row[0] for row in rows(dialog)]
    assert names[0] == "rtoc-core (rtoc itself)"
    assert "rtoc-gui" in names  # the plugin this window belongs to
    gui = rows(dialog)[names.index("rtoc-gui")]
    assert gui[2] == "commands: gui"
