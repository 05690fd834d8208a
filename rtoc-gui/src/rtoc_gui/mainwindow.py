"""The main window: the plot in the middle, devices and signals left, DevicesRAW right,
events and scripts below; more plot windows on demand, their x-axes linkable.

Three timers drive it: one at ``GUI.plotRate`` reads the signal list and
redraws every plot; one at :data:`VALUE_RATE` shows the latest values; one
at :data:`SLOW_RATE` refreshes devices, parameters and the event table. Everything goes through one
:class:`rtoc_gui.link.Link`, so a remote logger that goes away shows as a
banner, and the window carries on once it answers again. The timers read
through the link's :class:`rtoc_gui.reads.Reads`: on a remote logger off the
GUI thread, each answer shown when it comes, so a slow or stalled network
never freezes the window. The menu bar and the
data bar are :class:`rtoc_gui.menus.Menus` (``window.menus``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PyQt5 import QtCore, QtGui, QtWidgets

from rtoc_gui.devices import DeviceWidget
from rtoc_gui.devices_raw import DevicesRawWidget
from rtoc_gui.events import EventWidget
from rtoc_gui.importing import Importing
from rtoc_gui.layout import LayoutError, read_layout, restore_layout, save_layout, write_layout
from rtoc_gui.menus import Menus
from rtoc_gui.opengl import use_opengl
from rtoc_gui.plot import PlotView
from rtoc_gui.plugin_dialog import PluginDialog
from rtoc_gui.scripts import ScriptWidget
from rtoc_gui.signal_actions import SignalActions
from rtoc_gui.signals import SignalWidget
from rtoc_gui.styles import StyleBook

if TYPE_CHECKING:
    from rtoc.config import GuiConfig
    from rtoc.device import DeviceDescription
    from rtoc.plugins import PluginRegistry
    from rtoc.storage.base import SignalInfo
    from rtoc_gui.link import Link

#: Hz of the device, parameter and event refresh.
SLOW_RATE = 1.0
#: Hz of the signal widget's values.
VALUE_RATE = 2.0
LAYOUT_FILTER = "Layouts (*.json);;All files (*)"
BANNER_STYLE = "background: #8b1e1e; color: white; padding: 6px; font-weight: bold;"


class PlotWindow(QtWidgets.QWidget):
    """Another plot, in its own window; its signals are chosen from its Signals menu."""

    closed = QtCore.pyqtSignal(object)

    def __init__(self, link: Link, config: GuiConfig, number: int, styles: StyleBook) -> None:
        super().__init__(None, QtCore.Qt.Window)
        self.setWindowTitle(f"rtoc — plot {number} ({link.where})")
        self.view = PlotView(link, config, show_new=False, styles=styles, parent=self)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view)
        self.resize(900, 500)

    def closeEvent(self, event: QtCore.QEvent) -> None:
        self.closed.emit(self)
        super().closeEvent(event)


class MainWindow(QtWidgets.QMainWindow):
    def __init__(
        self,
        link: Link,
        config: GuiConfig,
        layout_file: Path | None = None,
        styles: StyleBook | None = None,
        *,
        home: Path | None = None,
        plugins: PluginRegistry | None = None,
    ) -> None:
        """``layout_file``: where the layout is kept while ``GUI.restoreWidgetPosition``;
        ``styles``: the signals' plot styles (None: this window's alone, kept nowhere);
        ``home``: the rtoc home whose config.json the menus change (None: they do not)."""
        super().__init__()
        self.styles = styles or StyleBook(None)
        self.link = link
        self.config = config
        self.home = home
        self.plugins = plugins
        self.layout_file = layout_file if config.restoreWidgetPosition else None
        self.plot_windows: list[PlotWindow] = []
        #: the signals as the last refresh found them
        self.infos: list[SignalInfo] = []
        self.setWindowTitle(f"rtoc — {link.where}")
        self.resize(1400, 860)

        #: why GUI.openGL could not be followed ("" when it was, or is off)
        self.opengl_note = use_opengl(config.openGL)  # before the first plot is made
        if self.opengl_note:
            self.statusBar().showMessage(self.opengl_note)
        self.plot = PlotView(link, config, show_new=True, styles=self.styles)
        self.banner = QtWidgets.QLabel(objectName="connectionBanner")
        self.banner.setStyleSheet(BANNER_STYLE)
        self.banner.hide()
        central = QtWidgets.QWidget()
        layout = QtWidgets.QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.banner)
        layout.addWidget(self.plot, 1)
        self.setCentralWidget(central)

        self.devices = DeviceWidget(link)
        self.signals = SignalWidget(config.signalInactivityTimeout)
        self.events = EventWidget(link)
        self.raw = DevicesRawWidget(link)
        self.scripts = ScriptWidget(link)
        left = QtCore.Qt.LeftDockWidgetArea
        docks = [
            self._dock("Devices", self.devices, left, config.deviceWidget),
            self._dock("Signals", self.signals, left, True),
            self._dock(
                "DevicesRAW", self.raw, QtCore.Qt.RightDockWidgetArea, config.deviceRAWWidget
            ),
        ]
        events = self._dock(
            "Events", self.events, QtCore.Qt.BottomDockWidgetArea, config.eventWidget
        )
        scripts = self._dock(
            "Scripts", self.scripts, QtCore.Qt.BottomDockWidgetArea, config.scriptWidget
        )
        self.tabifyDockWidget(events, scripts)
        events.raise_()
        self.resizeDocks(docks, [280, 280, 380], QtCore.Qt.Horizontal)
        self.resizeDocks([*docks[:2], events], [150, 450, 230], QtCore.Qt.Vertical)

        self.signal_actions = SignalActions(
            link, self.styles, self.views, lambda: self.new_plot_window().view, self
        )
        self.signal_actions.message.connect(lambda text: self.statusBar().showMessage(text, 10_000))
        self.signal_actions.changed.connect(self.signals_changed)
        self.signals.menu_requested.connect(self.signal_actions.open_menu)
        self.plot.menu_requested.connect(self.signal_actions.open_menu)
        self.signals.toggled.connect(self.plot.set_visible)
        self.plot.visibility_changed.connect(self.signals.set_checked)
        self.events.message.connect(lambda text: self.statusBar().showMessage(text, 10_000))
        self.devices.failed.connect(lambda _name, message: self.statusBar().showMessage(message))
        link.state_changed.connect(self._connection_changed)

        tools = self.addToolBar("Plots")
        tools.setObjectName("plots")
        tools.setMovable(False)
        tools.addAction("New plot window", self.new_plot_window)
        self.link_action = tools.addAction("Link x-axes")
        self.link_action.setCheckable(True)
        self.link_action.setToolTip("Every plot window shows the main plot's time range")
        self.link_action.toggled.connect(self.link_x_axes)
        tools.addAction("Plugins…", self.show_plugins).setToolTip("Install, update, remove plugins")
        self.plugin_dialog: PluginDialog | None = None
        tools.addAction(scripts.toggleViewAction())
        self.menus = Menus(self)
        #: the menus' actions whose keys the script widget also uses (Ctrl+N, O, S)
        script_keys = {action.shortcut() for action in self.scripts.keyed}
        self.shared_keys = [
            (action, action.shortcut())
            for action in self.menus.keyed
            if action.shortcut() in script_keys
        ]
        QtWidgets.QApplication.instance().focusChanged.connect(self._give_keys_to_scripts)
        if link.view.control_unavailable:
            self.statusBar().showMessage(link.view.control_unavailable)
        #: files and text dropped, pasted or chosen: the Import dialog, or imported directly
        self.importing = Importing(link, self)

        if self.layout_file is not None:
            restore_layout(self, self.layout_file)

        self.fast = QtCore.QTimer(self, interval=max(int(1000 / config.plotRate), 10))
        self.fast.timeout.connect(self.tick)
        self.slow = QtCore.QTimer(self, interval=int(1000 / SLOW_RATE))
        self.slow.timeout.connect(self.slow_tick)
        self.values = QtCore.QTimer(self, interval=int(1000 / VALUE_RATE))
        self.values.timeout.connect(self.show_values)

    def _dock(
        self, title: str, widget: QtWidgets.QWidget, area: int, shown: bool
    ) -> QtWidgets.QDockWidget:
        dock = QtWidgets.QDockWidget(title, self)
        dock.setObjectName(title)
        dock.setWidget(widget)
        dock.setFeatures(
            QtWidgets.QDockWidget.DockWidgetMovable | QtWidgets.QDockWidget.DockWidgetFloatable
            | QtWidgets.QDockWidget.DockWidgetClosable
        )  # fmt: skip
        self.addDockWidget(area, dock)
        dock.setVisible(shown)
        return dock

    def start(self) -> None:
        """Fill every widget now, then keep them fresh."""
        self.slow_tick()
        self.tick()
        self.show_values()
        self.fast.start()
        self.slow.start()
        self.values.start()

    def tick(self) -> None:
        """The signal list, then every plot redrawn with it."""
        self.link.reads.ask("signals", lambda view: view.signal_infos(), self._signals_arrived)

    def signals_changed(self) -> None:
        """A signal was renamed, copied or deleted from here: a list asked for before is
        dropped when it comes."""
        self.link.reads.invalidate("signals")
        self.tick()

    def _signals_arrived(self, infos: list[SignalInfo]) -> None:
        self.infos = infos
        self.plot.update_signals(infos)
        for window in self.plot_windows:
            window.view.update_signals(infos)

    def show_values(self) -> None:
        """The signal widget's values and colours (at :data:`VALUE_RATE`: a number that
        changes eight times a second cannot be read, and each change costs a repaint)."""
        self.link.reads.ask(
            "latest",
            lambda view: view.latest(),
            lambda latest: self.signals.update_signals(
                self.infos, latest, self.plot.colours, self.plot.visible
            ),
        )

    def slow_tick(self) -> None:
        """Devices, their parameters and functions, the script help; the event table."""
        self.link.reads.ask("devices", lambda view: view.describe_devices(), self._devices_arrived)
        self.events.refresh()

    def _devices_arrived(self, devices: list[DeviceDescription]) -> None:
        self.devices.update_devices(devices)
        self.raw.update_devices(devices)
        self.scripts.update_logger(self.infos, devices)

    def import_files(self, paths: list[str]) -> None:
        """Import files: tables (CSV, TSV) in the Import dialog, other formats straight away."""
        self.importing.open_files(paths)

    def new_plot_window(self) -> PlotWindow:
        window = PlotWindow(self.link, self.config, len(self.plot_windows) + 2, self.styles)
        window.view.colours = self.plot.colours
        window.view.menu_requested.connect(self.signal_actions.open_menu)
        window.closed.connect(self._plot_window_closed)
        self.plot_windows.append(window)
        window.view.update_signals(list(self.plot.known.values()))
        if self.link_action.isChecked():
            window.view.link_x(self.plot)
        window.show()
        return window

    def views(self) -> list[PlotView]:
        """Every plot: the main one first, then the plot windows."""
        return [self.plot, *(window.view for window in self.plot_windows)]

    def show_plugins(self) -> PluginDialog:
        """The Plugins dialog (one at a time), its list read afresh."""
        if self.plugin_dialog is None:
            self.plugin_dialog = PluginDialog(parent=self)
        self.plugin_dialog.show()
        if not self.plugin_dialog.busy:
            self.plugin_dialog.refresh()
        return self.plugin_dialog

    def _plot_window_closed(self, window: PlotWindow) -> None:
        if window in self.plot_windows:  # closed once by the user, again on exit
            self.plot_windows.remove(window)
            window.view.link_x(None)

    def save_layout_file(self, path: Path) -> bool:
        """Write the layout (docks, plot windows and their signals, linked axes, Follow) to
        ``path``; whether it was written, said in the status bar either way."""
        try:
            write_layout(self, Path(path))
        except OSError as error:
            self.statusBar().showMessage(f"Layout not saved to {path}: {error}")
            return False
        self.statusBar().showMessage(f"Layout saved to {path}", 10_000)
        return True

    def load_layout_file(self, path: Path) -> bool:
        """Give the window the layout saved in ``path``, replacing its plot windows; a file
        that cannot be used is named in the status bar and nothing changes."""
        try:
            layout = read_layout(Path(path))
        except LayoutError as error:
            self.statusBar().showMessage(f"Layout not loaded, nothing changed: {error}")
            return False
        if not layout.apply(self):
            self.statusBar().showMessage(f"{path}: Qt could not restore the window's docks")
            return False
        self.statusBar().showMessage(f"Layout loaded from {path}", 10_000)
        return True

    def ask_save_layout(self) -> None:
        path, _ = QtWidgets.QFileDialog.getSaveFileName(
            self, "Save layout as", str(Path.home() / "layout.json"), LAYOUT_FILTER
        )
        if path:
            self.save_layout_file(Path(path))

    def ask_load_layout(self) -> None:
        path, _ = QtWidgets.QFileDialog.getOpenFileName(
            self, "Load layout", str(Path.home()), LAYOUT_FILTER
        )
        if path:
            self.load_layout_file(Path(path))

    def link_x_axes(self, linked: bool) -> None:
        for window in self.plot_windows:
            window.view.link_x(self.plot if linked else None)

    def _give_keys_to_scripts(self, _old: QtWidgets.QWidget, new: QtWidgets.QWidget) -> None:
        """While a script has the focus, Ctrl+N, O and S are its New, Open and Save: Qt runs
        neither of two actions that share a key, so the menus' give theirs up meanwhile."""
        scripts = new is not None and self.scripts.isAncestorOf(new)
        for action, keys in self.shared_keys:
            action.setShortcut(QtGui.QKeySequence() if scripts else keys)

    def _connection_changed(self, online: bool, message: str) -> None:
        self.banner.setText(message)
        self.banner.setVisible(not online)
        self.statusBar().showMessage(message, 0 if not online else 10_000)

    def closeEvent(self, event: QtCore.QEvent) -> None:
        if self.plugin_dialog is not None and self.plugin_dialog.busy:  # pip half done
            event.ignore()
            self.statusBar().showMessage("pip is still running in the Plugins window")
            return
        self.fast.stop()
        self.slow.stop()
        self.values.stop()
        self.link.close()
        self.scripts.stop_all()
        if self.layout_file is not None:
            save_layout(self, self.layout_file)
        for window in list(self.plot_windows):
            window.close()
        super().closeEvent(event)
