"""The Plugins dialog, RTOC's Plugin-Downloader (manual 5.7.11): list, install, update and
remove rtoc plugins with pip, through :mod:`rtoc.plugin_installer` as ``rtoc plugins``,
``rtoc install`` and ``rtoc uninstall`` do.

Every call runs in a :class:`PipJob` thread, so the window keeps drawing
while pip works; pip's output appears line by line. Plugins are loaded when
rtoc starts, so after a change the dialog asks for a restart. They are
installed for the Python given (by default the one running this GUI): in
remote mode that is this computer's rtoc, not the logger's.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from PyQt5 import QtCore, QtGui, QtWidgets

from rtoc.plugin_installer import (
    IndexOptions,
    InstalledPlugin,
    InstallerError,
    PipResult,
    install,
    list_installed,
    uninstall,
)

ERROR_COLOUR = "#c62828"
COLUMNS = ("Plugin", "Version", "Provides", "Errors")


class PipJob(QtCore.QThread):
    """One call of :mod:`rtoc.plugin_installer` off the GUI thread.

    ``work`` gets a function taking one line of output; ``done`` carries what
    it returned, or the exception it raised (shown to the user, the thread
    must not end without ``done``).
    """

    line = QtCore.pyqtSignal(str)
    done = QtCore.pyqtSignal(object)

    def __init__(self, work: Callable[[Callable[[str], None]], object], parent: QtCore.QObject):
        super().__init__(parent)
        self.work = work

    def run(self) -> None:
        try:
            result = self.work(self.line.emit)
        except Exception as error:  # an InstallerError, or pip/Python gone: shown, not lost
            result = error
        self.done.emit(result)


def describe(provides: dict[str, list[str]]) -> str:
    """``devices: A, B`` and ``commands: gui`` on lines of their own, for the table."""
    return "\n".join(
        f"{kind.replace('_', ' ')}: {', '.join(names)}" for kind, names in provides.items()
    )


class PluginDialog(QtWidgets.QDialog):
    """The installed plugins of ``python``'s environment, and pip on them."""

    #: emitted after each job's result has been shown (the result or the exception)
    job_finished = QtCore.pyqtSignal(object)

    def __init__(self, python: str = sys.executable, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.python = python
        self.job: PipJob | None = None
        self.plugins: list[InstalledPlugin] = []
        self.restart_prompt: QtWidgets.QMessageBox | None = None
        self._restart = ""
        self.setWindowTitle("rtoc — plugins")
        self.resize(860, 620)

        self.table = QtWidgets.QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.NoEditTriggers)
        self.table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectRows)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(True)
        header = self.table.horizontalHeader()
        for column, mode in enumerate(
            (header.ResizeToContents, header.ResizeToContents, header.Stretch, header.Stretch)
        ):
            header.setSectionResizeMode(column, mode)

        self.name = QtWidgets.QLineEdit(placeholderText="dps5020, rtoc-device-dps5020 or several")
        self.name.returnPressed.connect(self.install)
        self.folder = QtWidgets.QLineEdit(placeholderText="optional: a folder of wheel files")
        browse = QtWidgets.QPushButton("Browse…", clicked=self.choose_folder)
        self.only_folder = QtWidgets.QCheckBox("only this folder (no index)")
        self.install_button = QtWidgets.QPushButton("Install", clicked=self.install)
        self.update_button = QtWidgets.QPushButton("Update selected", clicked=self.update_selected)
        self.update_all_button = QtWidgets.QPushButton("Update all", clicked=self.update_all)
        self.remove_button = QtWidgets.QPushButton("Remove selected", clicked=self.remove_selected)
        self.refresh_button = QtWidgets.QPushButton("Refresh", clicked=self.refresh)
        self.buttons = [
            self.install_button,
            self.update_button,
            self.update_all_button,
            self.remove_button,
            self.refresh_button,
        ]
        self.output = QtWidgets.QPlainTextEdit(readOnly=True)
        self.output.setFont(QtGui.QFontDatabase.systemFont(QtGui.QFontDatabase.FixedFont))
        self.status = QtWidgets.QLabel(wordWrap=True)

        source = QtWidgets.QHBoxLayout()
        source.addWidget(self.folder, 1)
        source.addWidget(browse)
        source.addWidget(self.only_folder)
        form = QtWidgets.QFormLayout()
        form.addRow("Install", self.name)
        form.addRow("From", source)
        actions = QtWidgets.QHBoxLayout()
        for button in self.buttons:
            actions.addWidget(button)
        actions.addStretch(1)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(QtWidgets.QLabel(f"Plugins installed for {python}"))
        layout.addWidget(self.table, 2)
        layout.addLayout(form)
        layout.addLayout(actions)
        layout.addWidget(self.output, 1)
        layout.addWidget(self.status)

    # -- jobs -----------------------------------------------------------------

    @property
    def busy(self) -> bool:
        return self.job is not None

    def _start(self, what: str, work: Callable[[Callable[[str], None]], object]) -> None:
        self.status.setStyleSheet("")
        self.status.setText(what)
        for button in self.buttons:
            button.setEnabled(False)
        self.job = PipJob(work, self)
        self.job.line.connect(self.output.appendPlainText)
        self.job.done.connect(self._finished)
        self.job.start()

    def _finished(self, result: object) -> None:
        assert self.job is not None
        self.job.wait()
        self.job = None
        for button in self.buttons:
            button.setEnabled(True)
        if isinstance(result, Exception):
            self._error(str(result))
        elif isinstance(result, PipResult):
            self._pip_finished(result)
        else:
            self._show(result)  # the listing
        self.job_finished.emit(result)

    def _error(self, message: str) -> None:
        self.output.appendPlainText(message)
        self.status.setStyleSheet(f"color: {ERROR_COLOUR};")
        self.status.setText(message)

    def _pip_finished(self, result: PipResult) -> None:
        for message in result.messages:
            self.output.appendPlainText(message)
        if result.ok:
            self.status.setText(" ".join(result.messages))
        else:
            failed = " ".join(result.messages) or "pip failed"
            self._error(f"{failed}; see pip's output above" if result.pip_exit else failed)
        if result.changed:
            self.ask_restart(result.changed)
        self.refresh()

    def ask_restart(self, changed: list[str]) -> None:
        """Say that plugins are loaded when rtoc starts (not modal: pip's output stays readable)."""
        self.restart_prompt = QtWidgets.QMessageBox(
            QtWidgets.QMessageBox.Information,
            "Restart rtoc",
            self._restart,
            QtWidgets.QMessageBox.Ok,
            self,
        )
        self.restart_prompt.setInformativeText("Changed: " + ", ".join(changed))
        self.restart_prompt.open()

    # -- the listing ----------------------------------------------------------

    def refresh(self) -> None:
        """Read the installed plugins again (``rtoc plugins --json`` in a process of its own)."""
        self._start("Reading the installed plugins...", lambda _line: list_installed(self.python))

    def _show(self, plugins: list[InstalledPlugin]) -> None:
        self.plugins = plugins
        self.table.setRowCount(len(plugins))
        for row, plugin in enumerate(plugins):
            name = f"{plugin.distribution} (rtoc itself)" if plugin.core else plugin.distribution
            cells = (name, plugin.version, describe(plugin.provides), "\n".join(plugin.errors))
            for column, text in enumerate(cells):
                item = QtWidgets.QTableWidgetItem(text)
                item.setToolTip(text)
                if column == 3:
                    item.setForeground(QtGui.QColor(ERROR_COLOUR))
                self.table.setItem(row, column, item)
        self.table.resizeRowsToContents()
        count = len(plugins) - 1  # rtoc-core is no plugin
        failed = sum(1 for plugin in plugins if plugin.errors)
        self.status.setText(
            f"{count} plugin{'' if count == 1 else 's'} installed"
            + (f", {failed} with errors" if failed else "")
        )

    def selected(self) -> list[str]:
        """The distributions of the selected rows."""
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        return [self.plugins[row].distribution for row in rows]

    # -- the actions ----------------------------------------------------------

    def choose_folder(self) -> None:
        folder = QtWidgets.QFileDialog.getExistingDirectory(self, "Folder of wheel files")
        if folder:
            self.folder.setText(folder)

    def _index(self) -> IndexOptions:
        folder = self.folder.text().strip()
        return IndexOptions(
            (folder,) if folder else (), self.only_folder.isChecked() and bool(folder)
        )

    def _pip(self, what: str, call: Callable[..., PipResult], restart: str) -> None:
        """Run ``call(note=..., output=...)`` as a job, rtoc's notes and pip's lines shown alike;
        ``restart`` is what the restart prompt says should it change something."""
        self._restart = restart
        self.output.clear()
        self._start(what, lambda line: call(note=line, output=line))

    def install(self) -> None:
        names = self.name.text().split()
        if not names:
            self._error("Type the name of a plugin to install (dps5020 or rtoc-device-dps5020).")
            return
        self._upgrade_or_install(f"Installing {', '.join(names)}...", names, upgrade=False)

    def update_selected(self) -> None:
        names = self.selected()
        if not names:
            self._error("Select the plugins to update, or press Update all.")
            return
        self._upgrade_or_install(f"Updating {', '.join(names)}...", names, upgrade=True)

    def update_all(self) -> None:
        self._upgrade_or_install("Updating every installed plugin...", [], upgrade=True)

    def _upgrade_or_install(self, what: str, names: list[str], *, upgrade: bool) -> None:
        try:
            index = self._index()
        except InstallerError as error:  # e.g. a folder that is not there
            self._error(str(error))
            return
        self._pip(
            what,
            lambda **echo: install(names, upgrade=upgrade, index=index, python=self.python, **echo),
            "Restart rtoc to load the new plugin.",
        )

    def remove_selected(self) -> None:
        names = self.selected()
        if not names:
            self._error("Select the plugins to remove.")
            return
        self._pip(
            f"Removing {', '.join(names)}...",
            lambda **echo: uninstall(names, python=self.python, **echo),
            "Restart rtoc to unload the removed plugin.",
        )

    # -- closing --------------------------------------------------------------

    def reject(self) -> None:
        """Escape or the close button: not while pip runs (it would be left half done)."""
        if self.busy:
            self._error("pip is still running; close this window when it has finished.")
            return
        super().reject()

    def closeEvent(self, event: QtGui.QCloseEvent) -> None:
        if self.busy:
            event.ignore()
            self._error("pip is still running; close this window when it has finished.")
            return
        super().closeEvent(event)
