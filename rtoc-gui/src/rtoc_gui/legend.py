"""The plot's legend, where each signal's row is also a handle: a right click opens the
signal's menu, a drag carries the signal to another plot window. Dragging the
legend's background moves the legend, as pyqtgraph's does."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pyqtgraph as pg
from PyQt5 import QtCore

from rtoc_gui.dragging import start_drag

if TYPE_CHECKING:
    from rtoc.signals import SignalKey


class SignalLegend(pg.LegendItem):
    #: (key, global position) on a right click on a signal's row
    menu_requested = QtCore.pyqtSignal(object, object)

    def __init__(self, key_of: Callable[[object], SignalKey | None], **options: object) -> None:
        """``key_of(curve)``: the signal a curve of the plot draws (None: not a signal)."""
        super().__init__(**options)
        self.key_of = key_of
        #: a drag began on a signal's row: its further events do not move the legend
        self.carrying = False

    def key_at(self, position: QtCore.QPointF) -> SignalKey | None:
        """The signal whose row (sample or name) is at ``position``, in legend coordinates."""
        for sample, text in self.items:
            row = sample.mapRectToParent(sample.boundingRect()).united(
                text.mapRectToParent(text.boundingRect())
            )
            if row.contains(position):
                return self.key_of(sample.item)
        return None

    def mouseClickEvent(self, event: object) -> None:
        if event.button() == QtCore.Qt.RightButton:
            key = self.key_at(event.pos())
            if key is not None:
                event.accept()
                self.menu_requested.emit(key, event.screenPos().toPoint())

    def mouseDragEvent(self, event: object) -> None:
        if event.button() == QtCore.Qt.LeftButton and event.isStart():
            key = self.key_at(event.buttonDownPos())
            views = self.scene().views() if self.scene() is not None else []
            self.carrying = key is not None and bool(views)
            if self.carrying:
                event.accept()
                start_drag(views[0], key)
                return
        if self.carrying:
            event.accept()
            self.carrying = not event.isFinish()
            return
        super().mouseDragEvent(event)
