"""The signal widget: a toggle per signal, grouped by device, with its newest value.

A toggle shows or hides the signal in the main plot; its text carries the
latest value and unit, and it turns yellow once no sample came for
``GUI.signalInactivityTimeout`` seconds (0: never). A right click opens the
signal's menu (:mod:`rtoc_gui.signal_actions`); a drag carries the signal
to a plot window.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from PyQt5 import QtCore, QtGui, QtWidgets

from rtoc_gui.dragging import start_drag
from rtoc_gui.theme import STALE

#: Text of a hidden signal's toggle.
MUTED = "#8a8f95"

if TYPE_CHECKING:
    from rtoc.logger import Reading
    from rtoc.signals import SignalKey
    from rtoc.storage.base import SignalInfo


def value_text(reading: Reading | None) -> str:
    if reading is None:
        return "no value yet"
    unit = f" {reading.unit}" if reading.unit else ""
    return f"{reading.y:.5g}{unit}"


class SignalButton(QtWidgets.QPushButton):
    """One signal's toggle: name, latest value, colour stripe, yellow when stale."""

    #: (key, global position) on a right click
    menu_requested = QtCore.pyqtSignal(object, object)

    def __init__(self, key: SignalKey, colour: str, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.key = key
        self.colour = colour
        self.stale = False
        self.pressed_at: QtCore.QPoint | None = None
        self.setCheckable(True)
        # the width never follows the text: a value changing eight times a second
        # would otherwise lay out the main window again, and repaint the plot with it
        self.setSizePolicy(QtWidgets.QSizePolicy.Ignored, QtWidgets.QSizePolicy.Fixed)
        self.setMinimumWidth(120)
        self.setToolTip(
            f"{key[0]}.{key[1]}: click to show or hide in the plot, drag to a plot window, "
            "right click for its menu"
        )
        self.show_value(None, stale=False)

    def set_colour(self, colour: str) -> None:
        if colour != self.colour:
            self.colour = colour
            self.setStyleSheet(button_style(colour, self.stale))

    def contextMenuEvent(self, event: QtGui.QContextMenuEvent) -> None:
        self.menu_requested.emit(self.key, event.globalPos())

    def mousePressEvent(self, event: QtGui.QMouseEvent) -> None:
        self.pressed_at = event.pos() if event.button() == QtCore.Qt.LeftButton else None
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QtGui.QMouseEvent) -> None:
        far = QtWidgets.QApplication.startDragDistance()
        if self.pressed_at is not None and (event.pos() - self.pressed_at).manhattanLength() > far:
            self.pressed_at = None
            self.setDown(False)  # a drag, not a click: the toggle stays as it is
            start_drag(self, self.key)
            return
        super().mouseMoveEvent(event)

    def show_value(self, reading: Reading | None, stale: bool) -> None:
        text = f"{self.key[1]}    {value_text(reading)}"
        if text != self.text():
            self.setText(text)
        if stale != self.stale or not self.styleSheet():
            self.stale = stale
            self.setStyleSheet(button_style(self.colour, stale))


def button_style(colour: str, stale: bool) -> str:
    """Shown: the curve's colour as a stripe, full text; hidden: no stripe, muted text."""
    background = f"background: {STALE}; color: #1b1d20;" if stale else ""
    return (
        "QPushButton { text-align: left; padding: 4px 8px; border-radius: 3px;"
        " border: 1px solid palette(mid); border-left: 6px solid palette(mid);"
        f" background: palette(base); color: {MUTED}; {background} }}"
        f"QPushButton:checked {{ border-left-color: {colour}; background: palette(button);"
        f" color: palette(button-text); {background} }}"
    )


class SignalWidget(QtWidgets.QScrollArea):
    """Every signal of the logger as a toggle; emits ``toggled(key, visible)``."""

    toggled = QtCore.pyqtSignal(object, bool)
    #: (key, global position): the user asked for a signal's menu
    menu_requested = QtCore.pyqtSignal(object, object)

    def __init__(self, timeout: float, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.timeout = timeout
        self.buttons: dict[SignalKey, SignalButton] = {}
        self.groups: dict[str, QtWidgets.QGroupBox] = {}
        self.setWidgetResizable(True)
        self.inner = QtWidgets.QWidget()
        self.column = QtWidgets.QVBoxLayout(self.inner)
        self.column.setContentsMargins(4, 4, 4, 4)
        self.column.addStretch(1)
        self.setWidget(self.inner)

    def update_signals(
        self,
        infos: list[SignalInfo],
        latest: dict[SignalKey, Reading],
        colours: dict[SignalKey, str],
        visible: set[SignalKey],
        now: float | None = None,
    ) -> None:
        now = time.time() if now is None else now
        present = {info.key for info in infos}
        for key in list(self.buttons.keys() - present):
            self.buttons.pop(key).deleteLater()
        for info in infos:
            key = info.key
            button = self.buttons.get(key) or self._add(key, colours.get(key, "#888"))
            button.set_colour(colours.get(key, button.colour))
            reading = latest.get(key)
            stale = self.timeout > 0 and (reading is None or now - reading.x > self.timeout)
            button.show_value(reading, stale)
            if button.isChecked() != (key in visible):
                button.blockSignals(True)
                button.setChecked(key in visible)
                button.blockSignals(False)
        for device in list(self.groups.keys() - {key[0] for key in present}):
            self.groups.pop(device).deleteLater()

    def set_checked(self, key: SignalKey, visible: bool) -> None:
        button = self.buttons.get(key)
        if button is not None and button.isChecked() != visible:
            button.blockSignals(True)
            button.setChecked(visible)
            button.blockSignals(False)

    def _add(self, key: SignalKey, colour: str) -> SignalButton:
        group = self.groups.get(key[0])
        if group is None:
            group = QtWidgets.QGroupBox(key[0])
            QtWidgets.QVBoxLayout(group).setSpacing(2)
            self.groups[key[0]] = group
            names = sorted(self.groups)
            self.column.insertWidget(names.index(key[0]), group)
        button = SignalButton(key, colour)
        button.toggled.connect(lambda on, key=key: self.toggled.emit(key, on))
        button.menu_requested.connect(self.menu_requested)
        layout = group.layout()
        names = sorted([key[1], *(k[1] for k in self.buttons if k[0] == key[0])])
        layout.insertWidget(names.index(key[1]), button)
        self.buttons[key] = button
        return button
