"""The main window's menu bar and data tool bar (manual 5.7.1, the title bar).

One method per menu (:meth:`Menus.file_menu`, :meth:`Menus.data_menu`...),
each returning its QMenu, kept as an attribute (``window.menus.file``) for
other parts to add entries to. What an entry does is a method of its own
(:meth:`Menus.save_session`, :meth:`Menus.delete_all`...), so it can be called
without its dialog; dialogs open without blocking (``open()``/``show()``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PyQt5 import QtCore, QtGui, QtWidgets

import rtoc
from rtoc.config import ConfigError, change_config_file, save_change
from rtoc.frontend import EventQuery
from rtoc.io import exporters
from rtoc.io.formats import FileFormatError, MissingExtra
from rtoc.io.ingest import AlreadyImported
from rtoc.signals import MAX_CAPACITY
from rtoc_gui import __version__, session, theme
from rtoc_gui.global_rules import RulesWidget
from rtoc_gui.marks import confirm
from rtoc_gui.network import ConnectDialog, known_hosts
from rtoc_gui.resample_dialog import ResampleDialog
from rtoc_gui.settings import SettingsWidget
from rtoc_gui.tray import NO_TRAY, tray_icon

if TYPE_CHECKING:
    from rtoc.config import Sections
    from rtoc.io.formats import Exporter
    from rtoc_gui.mainwindow import MainWindow

#: RTOC 2.x, the program rtoc rebuilds: its manual describes this window.
DOCS_URL = "https://github.com/Haschtl/RealTimeOpenControl"
SESSION_FILTER = "rtoc session (*.json)"
REMOTE_SETTINGS = (
    "This window shows the logger at {where}; rtoc's TCP protocol cannot change its "
    "config.json: edit it there (rtoc config set SECTION.KEY VALUE). Shown here: this "
    "computer's settings."
)


class Menus(QtCore.QObject):
    """The menus of one main window and the windows they opened."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        #: windows opened on remote loggers (Network ▸ Connect)
        self.remote_windows: list[MainWindow] = []
        self.settings: SettingsWidget | None = None
        self.rules: RulesWidget | None = None
        #: the open dialogs, kept so that Python does not delete them
        self.dialogs: list[QtWidgets.QWidget] = []
        self.tray: QtWidgets.QSystemTrayIcon | None = None
        #: every entry with a shortcut, as made (see MainWindow's keys for scripts)
        self.keyed: list[QtWidgets.QAction] = []
        bar = window.menuBar()
        self.file = bar.addMenu("&File")
        self.file_menu(self.file)
        self.data = bar.addMenu("&Data")
        self.data_menu(self.data)
        self.devices = bar.addMenu("De&vices")
        self.devices_menu(self.devices)
        self.network = bar.addMenu("&Network")
        self.network_menu(self.network)
        self.settings_menu_ = bar.addMenu("&Settings")
        self.settings_menu(self.settings_menu_)
        self.help = bar.addMenu("&Help")
        self.help_menu(self.help)
        self.record_length = self.data_bar()
        if window.config.systemTray:
            self.show_tray(True)

    @property
    def sections(self) -> Sections:
        plugins = self.window.plugins
        return plugins.config_sections() if plugins is not None else {}

    def tell(self, text: str) -> None:
        self.window.statusBar().showMessage(text, 15_000)

    def warn(self, title: str, text: str) -> QtWidgets.QMessageBox:
        """The status bar and a box that does not block."""
        self.window.statusBar().showMessage(text)
        box = QtWidgets.QMessageBox(QtWidgets.QMessageBox.Warning, title, text, parent=self.window)
        box.setAttribute(QtCore.Qt.WA_DeleteOnClose)
        box.open()
        return box

    def _add(
        self,
        menu: QtWidgets.QMenu,
        text: str,
        slot: Callable[[], object],
        keys: QtGui.QKeySequence.StandardKey | str,
    ) -> QtWidgets.QAction:
        """An entry with a shortcut, kept in :attr:`keyed`."""
        action = menu.addAction(text, slot, keys)
        self.keyed.append(action)
        return action

    # -- File ---------------------------------------------------------------------------

    def file_menu(self, menu: QtWidgets.QMenu) -> None:
        self._add(menu, "&Load session…", self.ask_load_session, QtGui.QKeySequence.Open)
        self._add(menu, "&Save session…", self.ask_save_session, QtGui.QKeySequence.Save)
        menu.addSeparator()
        self.import_action = self._add(menu, "&Import…", self.ask_import, "Ctrl+I")
        self._add(menu, "&Export signals…", self.ask_export, "Ctrl+E")
        menu.addSeparator()
        menu.addAction("Save &layout as…", self.window.ask_save_layout)
        menu.addAction("Load la&yout…", self.window.ask_load_layout)
        menu.addSeparator()
        self._add(menu, "&Quit", self.window.close, QtGui.QKeySequence.Quit)

    def choose_files(
        self, title: str, filters: str, then: Callable[[list[Path]], object], *, save: bool
    ) -> QtWidgets.QFileDialog:
        """A file dialog, opened without blocking; ``then(paths)`` once files are chosen."""
        dialog = QtWidgets.QFileDialog(self.window, title, str(Path.home()), filters)
        dialog.setOption(QtWidgets.QFileDialog.DontUseNativeDialog)
        if save:
            dialog.setAcceptMode(QtWidgets.QFileDialog.AcceptSave)
            dialog.setFileMode(QtWidgets.QFileDialog.AnyFile)
            dialog.setDefaultSuffix("json")
        else:
            dialog.setFileMode(QtWidgets.QFileDialog.ExistingFiles)
        dialog.filesSelected.connect(lambda files: then([Path(f) for f in files]))
        dialog.setAttribute(QtCore.Qt.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def ask_load_session(self) -> QtWidgets.QFileDialog:
        return self.choose_files(
            "Load session", SESSION_FILTER, lambda p: self.load_session(p[0]), save=False
        )

    def ask_save_session(self) -> QtWidgets.QFileDialog:
        return self.choose_files(
            "Save session", SESSION_FILTER, lambda p: self.save_session(p[0]), save=True
        )

    def ask_import(self) -> QtWidgets.QFileDialog:
        def import_files(paths: list[Path]) -> None:
            self.window.import_files([str(path) for path in paths])

        return self.choose_files("Import", "All files (*)", import_files, save=False)

    def ask_export(self) -> QtWidgets.QFileDialog:
        found = exporters(self.window.plugins)
        filters = ";;".join(
            f"{f.name} ({' '.join('*' + s for s in f.suffixes)})" for f in found.values()
        )
        dialog = self.choose_files(
            "Export signals", filters, lambda p: self.export_signals(p[0]), save=True
        )

        def suffix(chosen: str) -> None:  # "csv (*.csv *.tsv)": a name without one gets .csv
            dialog.setDefaultSuffix(chosen.split("*.")[1].split()[0].rstrip(")"))

        suffix(dialog.selectedNameFilter())
        dialog.filterSelected.connect(suffix)
        return dialog

    def save_session(self, path: Path) -> session.Saved | None:
        return self._save(path, session.session_writer(self.window.plugins), "session")

    def export_signals(self, path: Path) -> session.Saved | None:
        try:
            writer = session.writer_for(path, self.window.plugins)
        except ValueError as error:
            self.warn("Export signals", str(error))
            return None
        return self._save(path, writer, "export")

    def _save(self, path: Path, writer: Exporter, what: str) -> session.Saved | None:
        try:
            saved = self.window.link.act(lambda view: session.save(view, path, writer))
        except (OSError, ValueError, MissingExtra) as error:  # Offline is an OSError too
            self.warn(f"Save {what}", f"{path}: not saved: {error}")
            return None
        self.tell(
            f"Saved {saved.signals} signals ({saved.samples} samples) and {saved.events} "
            f"events to {path}."
        )
        return saved

    def load_session(self, path: Path) -> session.Loaded | None:
        try:
            loaded = self.window.link.act(
                lambda view: session.load(view, path, self.window.plugins)
            )
        except (AlreadyImported, FileFormatError, MissingExtra, OSError, ValueError) as error:
            self.warn("Load session", str(error))
            return None
        except Exception as error:  # the logger's refusal (a remote one: RemoteError)
            self.warn("Load session", f"{path}: {error}")
            return None
        skipped = f"; its {loaded.events} events were not replayed" if loaded.events else ""
        self.tell(
            f"Loaded {len(loaded.signals)} signals ({loaded.samples} samples) from {path}{skipped}."
        )
        self.window.tick()
        return loaded

    # -- Data ---------------------------------------------------------------------------

    def data_menu(self, menu: QtWidgets.QMenu) -> None:
        self._add(menu, "&New plot window", self.window.new_plot_window, QtGui.QKeySequence.New)
        menu.addSeparator()
        menu.addAction("&Resample…", self.ask_resample)
        menu.addAction("&Delete all data…", self.ask_delete_all)

    def data_bar(self) -> QtWidgets.QSpinBox:
        """recordLength (samples each signal keeps in memory) and Delete all data."""
        bar = self.window.addToolBar("Data")
        bar.setObjectName("data")
        bar.setMovable(False)
        label = QtWidgets.QLabel(" recordLength ")
        spin = QtWidgets.QSpinBox(minimum=1, maximum=MAX_CAPACITY, singleStep=1000)
        spin.setObjectName("recordLength")
        spin.setGroupSeparatorShown(True)
        spin.setKeyboardTracking(False)
        spin.setToolTip("Samples each signal keeps in memory (the rest stays in storage)")
        current = self.window.link.read(lambda view: view.record_length, None)
        if current is not None:
            spin.setValue(current)
        spin.setEnabled(current is not None)
        spin.valueChanged.connect(self.resize)
        label.setBuddy(spin)
        bar.addWidget(label)
        bar.addWidget(spin)
        bar.addAction("Delete all data…", self.ask_delete_all)
        return spin

    def resize(self, record_length: int) -> bool:
        """Make the logger keep ``record_length`` samples per signal; show a refusal."""
        spin = self.record_length
        try:
            self.window.link.act(lambda view: view.resize(record_length))
        except Exception as error:  # CapacityError, the connection, a remote refusal
            spin.setToolTip(str(error))
            spin.setStyleSheet("border: 1px solid #e53935;")
            self.tell(f"recordLength not changed: {error}")
            return False
        spin.setStyleSheet("")
        spin.setToolTip("Samples each signal keeps in memory (the rest stays in storage)")
        self.tell(f"Each signal keeps {record_length} samples in memory.")
        return True

    def ask_resample(self) -> ResampleDialog:
        """Data ▸ Resample…, open without blocking (see :mod:`rtoc_gui.resample_dialog`)."""
        dialog = ResampleDialog(self.window)
        self.dialogs.append(dialog)
        dialog.finished.connect(lambda _: self.dialogs.remove(dialog))
        dialog.open()
        return dialog

    def ask_delete_all(self) -> QtWidgets.QMessageBox:
        return confirm(
            self.window,
            "Delete all data",
            f"Delete every signal and every event of the logger on {self.window.link.where}, "
            "from memory and from storage? This cannot be undone.",
            "Delete all",
            self.delete_all,
        )

    def delete_all(self) -> bool:
        try:
            signals = self.window.link.act(lambda view: view.delete_signals())
            events = self.window.link.act(lambda view: view.delete_events(EventQuery()))
        except Exception as error:  # ControlUnavailable, the connection, a remote refusal
            self.warn("Delete all data", f"Not deleted: {error}")
            return False
        self.tell(f"Deleted {len(signals)} signals and {events} events.")
        self.window.tick()
        self.window.events.refresh()
        return True

    # -- Devices ------------------------------------------------------------------------

    def devices_menu(self, menu: QtWidgets.QMenu) -> None:
        """Every device the logger knows, checked while it runs; choosing one starts or
        stops it (as its button in the device widget does)."""
        menu.aboutToShow.connect(lambda: self.fill_devices(menu))

    def fill_devices(self, menu: QtWidgets.QMenu) -> None:
        menu.clear()
        devices = self.window.link.read(lambda view: view.describe_devices(), None)
        if devices is None:
            menu.addAction(f"no connection to {self.window.link.where}").setEnabled(False)
            return
        if not devices:
            menu.addAction("no devices").setEnabled(False)
        refusal = self.window.link.view.control_unavailable
        for device in devices:
            action = menu.addAction(device.name)
            action.setCheckable(True)
            action.setChecked(device.running)
            action.setEnabled(not refusal)
            action.triggered.connect(
                lambda _=False, name=device.name: self.window.devices.press(name)
            )

    # -- Network ------------------------------------------------------------------------

    def network_menu(self, menu: QtWidgets.QMenu) -> None:
        menu.addAction("&Connect to a remote rtoc…", self.ask_connect)
        self.recent = menu.addMenu("Recent hosts")
        self.recent.aboutToShow.connect(self.fill_recent)

    def fill_recent(self) -> None:
        self.recent.clear()
        hosts = known_hosts(self.window.home) if self.window.home is not None else []
        for host in hosts:
            self.recent.addAction(host, lambda host=host: self.ask_connect(host))
        if not hosts:
            self.recent.addAction("none yet").setEnabled(False)

    def ask_connect(self, host: str = "") -> ConnectDialog:
        dialog = ConnectDialog(self.window)
        if host:
            dialog.host.setCurrentText(host)
        self.dialogs.append(dialog)
        dialog.finished.connect(lambda _: self.dialogs.remove(dialog))
        dialog.open()
        return dialog

    # -- Settings -----------------------------------------------------------------------

    def settings_menu(self, menu: QtWidgets.QMenu) -> None:
        settings = self._add(menu, "&Settings…", self.show_settings, "Ctrl+,")
        if self.window.home is None:
            settings.setEnabled(False)
            settings.setToolTip("this window was opened without an rtoc home")
        menu.addAction("&Global events and actions…", self.show_rules)
        menu.addAction("&Plugins…", self.window.show_plugins)
        menu.addSeparator()
        dark = menu.addAction("&Dark mode")
        dark.setCheckable(True)
        dark.setChecked(self.window.config.darkmode)
        dark.toggled.connect(self.set_dark)
        tray = menu.addAction("System &tray icon")
        tray.setCheckable(True)
        tray.setChecked(self.window.config.systemTray)
        tray.toggled.connect(lambda on: (self.show_tray(on), self.keep("GUI.systemTray", on)))

    def show_settings(self) -> SettingsWidget | None:
        home = self.window.home
        if home is None:
            return None
        if self.settings is None:
            refusal = (
                ""
                if self.window.link.local
                else REMOTE_SETTINGS.format(where=self.window.link.where)
            )
            self.settings = SettingsWidget(home, self.window.plugins, refusal, self.window)
        self.settings.show()
        self.settings.raise_()
        return self.settings

    def show_rules(self) -> RulesWidget:
        if self.rules is None:
            self.rules = RulesWidget(self.window.link, self.window)
        else:
            self.rules.refresh()
        self.rules.show()
        self.rules.raise_()
        return self.rules

    def keep(self, key: str, value: object) -> None:
        """Save one setting of this window's (``GUI.darkmode``) in config.json."""
        home = self.window.home
        if home is None:
            return
        try:
            save_change(change_config_file(home, key, json.dumps(value), self.sections), home)
        except (ConfigError, OSError) as error:
            self.tell(f"{key} not saved: {error}")

    def set_dark(self, dark: bool) -> None:
        """The dark or light theme now, for every window, and kept in ``GUI.darkmode``."""
        app = QtWidgets.QApplication.instance()
        theme.apply(app, dark=dark, antialias=self.window.config.antiAliasing)
        windows = [self.window, *self.remote_windows]
        for window in windows:
            theme.restyle(window.plot.plot)
            for other in window.plot_windows:
                theme.restyle(other.view.plot)
        self.keep("GUI.darkmode", dark)

    def show_tray(self, shown: bool) -> None:
        if not shown:
            if self.tray is not None:
                self.tray.hide()
                self.tray.deleteLater()
                self.tray = None
            return
        if self.tray is None:
            self.tray = tray_icon(self.window)
        if self.tray is None:
            self.tell(NO_TRAY)

    # -- Help ---------------------------------------------------------------------------

    def help_menu(self, menu: QtWidgets.QMenu) -> None:
        self._add(menu, "&Keyboard shortcuts", self.show_shortcuts, QtGui.QKeySequence.HelpContents)
        menu.addAction("&Documentation (RTOC's manual)", self.open_docs)
        menu.addAction("&About rtoc", self.show_about)

    def shortcuts(self) -> list[tuple[str, str]]:
        """(shortcut, menu ▸ entry) of every menu entry that has one."""
        found = []
        for top in self.window.menuBar().actions():
            for action in top.menu().actions():
                keys = action.shortcut().toString(QtGui.QKeySequence.NativeText)
                if keys:
                    where = f"{top.text()} ▸ {action.text()}".replace("&", "")
                    found.append((keys, where))
        return found

    def show_shortcuts(self) -> QtWidgets.QMessageBox:
        rows = "".join(f"<tr><td><b>{k}</b></td><td>{w}</td></tr>" for k, w in self.shortcuts())
        return self._box("Keyboard shortcuts", f"<table cellspacing=6>{rows}</table>")

    def about_text(self) -> str:
        return (
            f"<b>rtoc</b> desktop program {__version__} (rtoc-core {rtoc.__version__})<br>"
            f"showing the logger on {self.window.link.where}.<br><br>"
            "A rebuild of RealTime OpenControl (RTOC 2.x): "
            f'<a href="{DOCS_URL}">{DOCS_URL}</a><br>License: GPL-3.0-or-later'
        )

    def show_about(self) -> QtWidgets.QMessageBox:
        return self._box("About rtoc", self.about_text())

    def _box(self, title: str, html: str) -> QtWidgets.QMessageBox:
        box = QtWidgets.QMessageBox(
            QtWidgets.QMessageBox.Information, title, html, parent=self.window
        )
        box.setTextFormat(QtCore.Qt.RichText)
        box.setTextInteractionFlags(QtCore.Qt.TextBrowserInteraction)
        box.setAttribute(QtCore.Qt.WA_DeleteOnClose)
        box.open()
        return box

    def open_docs(self) -> bool:
        return QtGui.QDesktopServices.openUrl(QtCore.QUrl(DOCS_URL))
