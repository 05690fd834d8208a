"""The device widget: one button per device to start or stop it, and what went wrong.

A device with a widget of its own (:mod:`rtoc_gui.device_gui`) gets a ▾ beside its
button: a small one drops down under the button, another opens in a window.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PyQt5 import QtCore, QtWidgets

from rtoc_gui.device_gui import REMOTE, DeviceGui, DeviceGuiError, device_gui, local_device

if TYPE_CHECKING:
    from rtoc.device import Device, DeviceDescription
    from rtoc_gui.link import Link


class DeviceRow(QtWidgets.QWidget):
    """A device's button, its ▾ menu, and the drop-down place of a small widget."""

    def __init__(self, name: str, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self.button = QtWidgets.QPushButton(name, checkable=True)
        self.button.setStyleSheet(
            "QPushButton { text-align: left; padding: 5px 8px; }"
            "QPushButton:checked { background: #2e7d4f; color: white; }"
        )
        self.more = QtWidgets.QToolButton(text="▾")
        self.more.setPopupMode(QtWidgets.QToolButton.InstantPopup)
        self.more.setMenu(QtWidgets.QMenu(self.more))
        self.more.hide()
        self.panel = QtWidgets.QFrame(frameShape=QtWidgets.QFrame.StyledPanel)
        QtWidgets.QVBoxLayout(self.panel).setContentsMargins(2, 2, 2, 2)
        self.panel.hide()
        #: the device (instance) the widget belongs to, and the widget or why there is none
        self.device: Device | None = None
        self.gui: DeviceGui | None = None
        self.window: QtWidgets.QWidget | None = None
        top = QtWidgets.QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.setSpacing(2)
        top.addWidget(self.button, 1)
        top.addWidget(self.more)
        column = QtWidgets.QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addLayout(top)
        column.addWidget(self.panel)

    def explain(self, text: str) -> None:
        """A ▾ menu with no widget, only why there is none."""
        self.set_gui(None, None)
        self.more.show()
        menu = self.more.menu()
        menu.clear()
        menu.addAction(text).setEnabled(False)

    def set_gui(self, device: Device | None, gui: DeviceGui | None) -> None:
        """Show ``gui`` (of ``device``) as a drop-down or from the ▾ menu; None: no widget."""
        self.device, self.gui = device, gui
        if self.window is not None:
            self.window.close()
            self.window.deleteLater()
            self.window = None
        panel = self.panel.layout()
        while panel.count():
            panel.takeAt(0).widget().setParent(None)
        self.panel.hide()
        menu = self.more.menu()
        menu.clear()
        self.more.setVisible(gui is not None)
        if gui is None:
            return
        if gui.small:
            panel.addWidget(gui.widget)
            shown = menu.addAction("Show its panel")
            shown.setCheckable(True)
            shown.toggled.connect(self.panel.setVisible)
        else:
            menu.addAction("Open its window", self.open_window)

    def open_window(self) -> QtWidgets.QWidget:
        """The device's own widget in a window of its own (made once, shown again)."""
        assert self.gui is not None
        if self.window is None:
            self.window = QtWidgets.QWidget(self, QtCore.Qt.Window)
            self.window.setWindowTitle(f"rtoc — {self.name}")
            QtWidgets.QVBoxLayout(self.window).addWidget(self.gui.widget)
        self.window.show()
        self.window.raise_()
        return self.window


class DeviceWidget(QtWidgets.QWidget):
    """Buttons for every device the logger knows (running ones are pressed)."""

    #: (device, message) after a start or stop was refused or failed
    failed = QtCore.pyqtSignal(str, str)

    def __init__(self, link: Link, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.link = link
        self.rows: dict[str, DeviceRow] = {}
        self.buttons: dict[str, QtWidgets.QPushButton] = {}
        self.running: dict[str, bool] = {}
        self.errors: dict[str, str] = {}
        self.column = QtWidgets.QVBoxLayout(self)
        self.column.setContentsMargins(4, 4, 4, 4)
        self.column.setSpacing(3)
        self.error_label = QtWidgets.QLabel(wordWrap=True)
        self.error_label.setObjectName("deviceErrors")
        self.error_label.setStyleSheet("color: #ff6b6b;")
        self.error_label.setTextInteractionFlags(QtCore.Qt.TextSelectableByMouse)
        self.error_label.hide()
        self.column.addStretch(1)
        self.column.addWidget(self.error_label)

    def update_devices(self, devices: list[DeviceDescription]) -> None:
        refusal = self.link.view.control_unavailable
        names = [device.name for device in devices]
        for name in list(self.buttons.keys() - set(names)):
            self.buttons.pop(name)
            self.rows.pop(name).deleteLater()
            self.running.pop(name, None)
        for index, device in enumerate(devices):
            button = self.buttons.get(device.name)
            if button is None:
                button = self._add(device.name, index)
            self.running[device.name] = device.running
            button.setChecked(device.running)
            button.setText(f"{device.name}   {'● running' if device.running else '○ stopped'}")
            button.setToolTip(refusal or (device.doc.strip().splitlines() or [""])[0])
            button.setEnabled(not refusal)
            self._own_widget(self.rows[device.name])

    def _own_widget(self, row: DeviceRow) -> None:
        """Give ``row`` the widget of its device, once per device attached here."""
        if not self.link.local:
            return
        device = local_device(self.link.view, row.name)
        if device is row.device:
            return
        try:
            gui = None if device is None else device_gui(self.link.view, device)
        except DeviceGuiError as error:
            row.explain(str(error))
            row.device = device
            self.failed.emit(row.name, str(error))
            return
        row.set_gui(device, gui)

    def _add(self, name: str, index: int) -> QtWidgets.QPushButton:
        row = DeviceRow(name)
        # clicked, not toggled: the logger's answer sets the state, not the click
        row.button.clicked.connect(lambda _=False, name=name: self.press(name))
        if not self.link.local:
            row.explain(REMOTE)
        self.column.insertWidget(index, row)
        self.rows[name] = row
        self.buttons[name] = row.button
        return row.button

    def press(self, name: str) -> None:
        """Start ``name`` if it is stopped, else stop it; show the error if that fails."""
        start = not self.running.get(name, False)
        try:
            if start:
                self.link.act(lambda view: view.start_device(name))
            else:
                self.link.act(lambda view: view.stop_device(name))
        except Exception as error:  # whatever a device raises is its message to the user
            self.errors[name] = f"{name}: could not {'start' if start else 'stop'}: {error}"
            self.failed.emit(name, self.errors[name])
        else:
            self.errors.pop(name, None)
        self._show_errors()
        devices = self.link.read(lambda view: view.describe_devices(), None)
        if devices is not None:
            self.update_devices(devices)

    def _show_errors(self) -> None:
        self.error_label.setText("\n".join(self.errors.values()))
        self.error_label.setVisible(bool(self.errors))
