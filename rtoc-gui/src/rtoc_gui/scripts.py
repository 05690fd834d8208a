"""The Script widget (RTOC's manual 5.7.6 and 5.7.7): write scripts and run them in the logger.

Scripts are tabs, each with its editor, its output and its own
:class:`rtoc_gui.script_runner.ScriptRunner`, so one script can repeat while
another is written. The buttons run the current tab's script once, repeat it
at a rate, or run it whenever chosen signals get new samples (RTOC's
"samplerate-triggered" and "signal-triggered"), and stop it. Each run shows
what it printed and the value of its last line; a failed run shows the
logger's message, which names the line, and marks that line in the editor.
Scripts are loaded from and saved to ``.py`` files; a tab whose text differs
from its file has a ``*``. The help on the right lists what a script can name.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PyQt5 import QtCore, QtGui, QtWidgets

from rtoc_gui.script_editor import ScriptEditor
from rtoc_gui.script_help import ScriptHelp
from rtoc_gui.script_runner import FASTEST, SLOWEST, ScriptRunner

if TYPE_CHECKING:
    from rtoc.device import DeviceDescription
    from rtoc.frontend import ScriptResult
    from rtoc.signals import SignalKey
    from rtoc.storage.base import SignalInfo
    from rtoc_gui.link import Link

ERROR_COLOUR = "#ff6b6b"
VALUE_COLOUR = "#3ddc84"
#: Lines an output pane keeps (a script repeating at 100 Hz prints a lot).
OUTPUT_LINES = 5000
FILE_FILTER = "Python scripts (*.py);;All files (*)"
RUNNING_MARK = "▶ "


class ScriptTab(QtWidgets.QSplitter):
    """One script: its editor over its output, its file and its runner."""

    def __init__(self, link: Link, name: str, text: str = "", path: Path | None = None) -> None:
        super().__init__(QtCore.Qt.Vertical)
        #: the script's name in the logger's messages and output (a file's stem)
        self.name = name
        self.path = path
        self.editor = ScriptEditor(text)
        self.output = QtWidgets.QPlainTextEdit(readOnly=True)
        self.output.setObjectName("scriptOutput")
        self.output.setMaximumBlockCount(OUTPUT_LINES)
        self.output.setFont(self.editor.font())
        self.output.setPlaceholderText("What the script prints, its value, or its error")
        self.runner = ScriptRunner(link, parent=self)
        self.runner.finished.connect(self.show_result)
        self.addWidget(self.editor)
        self.addWidget(self.output)
        self.setStretchFactor(0, 3)
        self.setStretchFactor(1, 1)

    @property
    def modified(self) -> bool:
        return self.editor.document().isModified()

    def title(self) -> str:
        running = RUNNING_MARK if self.runner.mode != "stopped" else ""
        return f"{running}{self.name}{'*' if self.modified else ''}"

    def show_result(self, result: ScriptResult) -> None:
        """A run's output, value and error below the script; the failed line marked."""
        if result.output:
            self.append(result.output)
        if result.value is not None:
            self.append(f"→ {result.value!r}", VALUE_COLOUR)
        if result.error:
            self.append(result.error, ERROR_COLOUR)
            if result.line is not None:
                self.editor.mark_error(result.line)

    def append(self, text: str, colour: str | None = None) -> None:
        cursor = QtGui.QTextCursor(self.output.document())
        cursor.movePosition(QtGui.QTextCursor.End)
        if not self.output.document().isEmpty():
            cursor.insertBlock()
        style = QtGui.QTextCharFormat()
        if colour is not None:
            style.setForeground(QtGui.QColor(colour))
        cursor.insertText(text, style)
        self.output.verticalScrollBar().setValue(self.output.verticalScrollBar().maximum())


class ScriptWidget(QtWidgets.QWidget):
    """Script tabs with their buttons, and the help; every run goes through ``link``."""

    def __init__(self, link: Link, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.link = link
        self._numbered = 0
        #: the signals listed to trigger runs, and whether each is chosen
        self.signal_actions: dict[SignalKey, QtWidgets.QAction] = {}
        self.devices: set[str] = set()

        self.tabs = QtWidgets.QTabWidget(tabsClosable=True, movable=True, documentMode=True)
        self.tabs.tabCloseRequested.connect(lambda index: self.close_tab(self.tab(index)))
        self.tabs.currentChanged.connect(lambda _: self._show_state())
        self.help = ScriptHelp()
        self.help.chosen.connect(lambda text: self.current().editor.insert(text))
        self.message = QtWidgets.QLabel(wordWrap=True)
        self.message.setTextInteractionFlags(QtCore.Qt.TextSelectableByMouse)

        #: the actions with a shortcut of their own (while the widget has the focus)
        self.keyed: list[QtWidgets.QAction] = []
        tools = QtWidgets.QToolBar()
        self._action(tools, "New", self.new_script, QtGui.QKeySequence.New)
        self._action(tools, "Open…", self.open_dialog, QtGui.QKeySequence.Open)
        self._action(tools, "Save", self.save_current, QtGui.QKeySequence.Save)
        self._action(tools, "Save as…", lambda: self.save_dialog(self.current()))
        tools.addSeparator()
        self._action(tools, "Run once", self.run_once, "Ctrl+Return")
        self.rate = QtWidgets.QDoubleSpinBox(decimals=3, minimum=SLOWEST, maximum=FASTEST)
        self.rate.setValue(1.0)
        self.rate.setSuffix(" Hz")
        self.rate.setToolTip("How often Repeat runs the script")
        self._action(tools, "Repeat", self.repeat)
        tools.addWidget(self.rate)
        self._action(tools, "On new samples", self.run_on_signals)
        self.signal_menu = QtWidgets.QMenu(self)
        signals = QtWidgets.QToolButton(text="Signals ▾")
        signals.setPopupMode(QtWidgets.QToolButton.InstantPopup)
        signals.setToolTip("The signals whose new samples run the script")
        signals.setMenu(self.signal_menu)
        tools.addWidget(signals)
        self._action(tools, "Stop", self.stop)
        self.state = QtWidgets.QLabel()

        editors = QtWidgets.QSplitter(QtCore.Qt.Horizontal)
        editors.addWidget(self.tabs)
        editors.addWidget(self.help)
        editors.setStretchFactor(0, 3)
        editors.setStretchFactor(1, 1)
        editors.setSizes([700, 350])
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(tools)
        layout.addWidget(editors, 1)
        row = QtWidgets.QHBoxLayout()
        row.addWidget(self.state)
        row.addWidget(self.message, 1)
        layout.addLayout(row)
        self.new_script()

    def _action(
        self,
        tools: QtWidgets.QToolBar,
        text: str,
        slot: Callable[[], object],
        keys: QtGui.QKeySequence.StandardKey | str | None = None,
    ) -> QtWidgets.QAction:
        action = tools.addAction(text)
        action.triggered.connect(lambda _checked=False: slot())
        if keys is not None:
            action.setShortcut(QtGui.QKeySequence(keys))
            # only while the script widget has the focus: the window has its own keys
            action.setShortcutContext(QtCore.Qt.WidgetWithChildrenShortcut)
            self.addAction(action)
            self.keyed.append(action)
        return action

    # -- tabs ---------------------------------------------------------------------------

    def tab(self, index: int) -> ScriptTab:
        return self.tabs.widget(index)  # type: ignore[return-value]

    def all_tabs(self) -> list[ScriptTab]:
        return [self.tab(index) for index in range(self.tabs.count())]

    def current(self) -> ScriptTab:
        return self.tabs.currentWidget()  # type: ignore[return-value]

    def _unique(self, name: str) -> str:
        taken = {tab.name for tab in self.all_tabs()}
        unique, number = name, 2
        while unique in taken:
            unique, number = f"{name} ({number})", number + 1
        return unique

    def new_script(self, text: str = "", path: Path | None = None) -> ScriptTab:
        """A new tab (a file's text, or empty), made current."""
        if path is None:
            self._numbered += 1
            name = self._unique(f"script {self._numbered}")
        else:
            name = self._unique(path.stem)
        tab = ScriptTab(self.link, name, text, path)
        tab.editor.highlighter.set_devices(self.devices)
        tab.editor.document().modificationChanged.connect(lambda _: self._retitle(tab))
        tab.runner.mode_changed.connect(lambda _: self._retitle(tab))
        index = self.tabs.addTab(tab, tab.title())
        self.tabs.setTabToolTip(index, str(path) if path else "not saved yet")
        self.tabs.setCurrentIndex(index)
        return tab

    def _retitle(self, tab: ScriptTab) -> None:
        index = self.tabs.indexOf(tab)
        if index >= 0:
            self.tabs.setTabText(index, tab.title())
            self.tabs.setTabToolTip(index, str(tab.path) if tab.path else "not saved yet")
        if tab is self.current():
            self._show_state()

    def _show_state(self) -> None:
        tab = self.current()
        self.state.setText(tab.runner.describe() if tab is not None else "")

    def close_tab(self, tab: ScriptTab) -> bool:
        """Close a tab (asking first when it has unsaved changes); False when kept."""
        if tab.modified:
            answer = QtWidgets.QMessageBox.question(
                self,
                "Unsaved script",
                f"Save the changes to {tab.name} first?",
                QtWidgets.QMessageBox.Save
                | QtWidgets.QMessageBox.Discard
                | QtWidgets.QMessageBox.Cancel,
            )
            if answer == QtWidgets.QMessageBox.Cancel:
                return False
            if answer == QtWidgets.QMessageBox.Save and not self.save(tab):
                return False
        tab.runner.shutdown()
        self.tabs.removeTab(self.tabs.indexOf(tab))
        tab.deleteLater()
        if not self.tabs.count():
            self.new_script()
        return True

    # -- files --------------------------------------------------------------------------

    def open_file(self, path: Path) -> ScriptTab | None:
        """A tab with the file's script; None (and the reason shown) when it cannot be read."""
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            self.message.setText(f"Cannot open {path}: {error}")
            return None
        self.message.clear()
        return self.new_script(text, Path(path))

    def save(self, tab: ScriptTab, path: Path | None = None) -> bool:
        """Write the tab's script to ``path`` (default: its file); False (shown) on failure,
        or when it has no file yet and the save dialog is cancelled."""
        if path is None and tab.path is None:
            return self.save_dialog(tab)
        target = Path(path) if path is not None else tab.path
        assert target is not None
        try:
            target.write_text(tab.editor.toPlainText(), encoding="utf-8")
        except OSError as error:
            self.message.setText(f"Cannot save {tab.name} to {target}: {error}")
            return False
        self.message.clear()
        if target != tab.path:
            tab.path = target
            tab.name = self._unique(target.stem) if target.stem != tab.name else tab.name
        tab.editor.document().setModified(False)
        self._retitle(tab)
        return True

    def save_current(self) -> bool:
        return self.save(self.current())

    def open_dialog(self) -> None:
        path, _ = QtWidgets.QFileDialog.getOpenFileName(self, "Open script", "", FILE_FILTER)
        if path:
            self.open_file(Path(path))

    def save_dialog(self, tab: ScriptTab) -> bool:
        start = str(tab.path) if tab.path else f"{tab.name}.py"
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self, "Save script", start, FILE_FILTER)
        return bool(path) and self.save(tab, Path(path))

    # -- running ------------------------------------------------------------------------

    def run_once(self) -> None:
        tab = self.current()
        tab.runner.run_once(tab.editor.toPlainText(), tab.name)

    def repeat(self) -> None:
        tab = self.current()
        tab.runner.repeat(tab.editor.toPlainText(), tab.name, self.rate.value())

    def run_on_signals(self) -> None:
        tab = self.current()
        keys = [key for key, action in self.signal_actions.items() if action.isChecked()]
        try:
            tab.runner.on_signals(tab.editor.toPlainText(), tab.name, keys)
        except ValueError as error:
            self.message.setText(f"{error} (Signals ▾)")
            return
        except Exception as error:  # the logger refused the signals
            self.message.setText(f"Cannot watch the signals: {error}")
            return
        self.message.clear()

    def stop(self) -> None:
        self.current().runner.stop()

    def stop_all(self) -> None:
        """Stop every tab's schedule and let the worker threads end (the window closes)."""
        for tab in self.all_tabs():
            tab.runner.shutdown()

    # -- what the logger has ----------------------------------------------------------

    def update_logger(self, infos: list[SignalInfo], devices: list[DeviceDescription]) -> None:
        """The help's lists, the trigger signals to choose from and the devices to colour."""
        self.help.update_logger(infos, devices)
        names = {info.device for info in infos} | {device.name for device in devices}
        if names != self.devices:
            self.devices = names
            for tab in self.all_tabs():
                tab.editor.highlighter.set_devices(names)
        keys = sorted((info.device, info.name) for info in infos)
        if keys != list(self.signal_actions):
            chosen = {key for key, action in self.signal_actions.items() if action.isChecked()}
            self.signal_menu.clear()
            self.signal_actions = {}
            for key in keys:
                action = self.signal_menu.addAction(f"{key[0]}.{key[1]}")
                action.setCheckable(True)
                action.setChecked(key in chosen)
                self.signal_actions[key] = action
