"""The device widget: one button per device to start or stop it, and what went wrong."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PyQt5 import QtCore, QtWidgets

if TYPE_CHECKING:
    from rtoc.device import DeviceDescription
    from rtoc_gui.link import Link


class DeviceWidget(QtWidgets.QWidget):
    """Buttons for every device the logger knows (running ones are pressed)."""

    #: (device, message) after a start or stop was refused or failed
    failed = QtCore.pyqtSignal(str, str)

    def __init__(self, link: Link, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.link = link
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
            self.buttons.pop(name).deleteLater()
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

    def _add(self, name: str, index: int) -> QtWidgets.QPushButton:
        button = QtWidgets.QPushButton(name, checkable=True)
        button.setStyleSheet(
            "QPushButton { text-align: left; padding: 5px 8px; }"
            "QPushButton:checked { background: #2e7d4f; color: white; }"
        )
        # clicked, not toggled: the logger's answer sets the state, not the click
        button.clicked.connect(lambda _=False, name=name: self.press(name))
        self.column.insertWidget(index, button)
        self.buttons[name] = button
        return button

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
