"""The measure cursor: two draggable markers on one signal, and the difference between them.

Switched on with the plot's **Measure** button, two vertical lines appear at
a third and two thirds of the view; dragged, each snaps to the nearest point
the chosen signal's curve holds (a sample: zoomed out, the curve holds each
pixel's minimum and maximum sample, so a marker finds the peaks). The label
beside the button shows both points and Δx (seconds), Δy.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

import attrs
import numpy as np
import pyqtgraph as pg
from PyQt5 import QtCore, QtWidgets

from rtoc_gui.styles import label

if TYPE_CHECKING:
    from rtoc.signals import SignalKey
    from rtoc_gui.plot import PlotView

MARKER_COLOURS = ("#f5f5f5", "#ffb74d")


@attrs.frozen
class Measurement:
    """The two points the markers sit on (A, B)."""

    key: SignalKey
    a: tuple[float, float]
    b: tuple[float, float]

    @property
    def dx(self) -> float:
        return self.b[0] - self.a[0]

    @property
    def dy(self) -> float:
        return self.b[1] - self.a[1]


class MeasureCursor(QtCore.QObject):
    """The measure cursor of one :class:`~rtoc_gui.plot.PlotView`."""

    def __init__(self, view: PlotView) -> None:
        super().__init__(view)
        self.view = view
        self.button = QtWidgets.QToolButton(text="Measure", checkable=True)
        self.button.setToolTip("Two markers on a signal's samples: their values, Δx and Δy")
        self.button.toggled.connect(self.set_active)
        self.chooser = QtWidgets.QComboBox()
        self.chooser.setToolTip("The signal the markers snap to")
        self.chooser.setSizeAdjustPolicy(QtWidgets.QComboBox.AdjustToContents)  # whole names
        self.chooser.currentIndexChanged.connect(self.snap)
        self.chooser.hide()
        self.readout = QtWidgets.QLabel()
        self.readout.setObjectName("measureReadout")
        self.readout.setTextInteractionFlags(QtCore.Qt.TextSelectableByMouse)
        self.readout.hide()
        self.lines = [
            pg.InfiniteLine(angle=90, movable=True, pen=pg.mkPen(colour, width=1), label=name)
            for colour, name in zip(MARKER_COLOURS, "AB", strict=True)
        ]
        for line in self.lines:
            line.sigPositionChangeFinished.connect(self.snap)
        self.points = pg.ScatterPlotItem(size=9, pen=pg.mkPen("#000"), brush=pg.mkBrush("#fff"))
        self.measurement: Measurement | None = None
        self._snapping = False

    @property
    def active(self) -> bool:
        return self.button.isChecked()

    def set_active(self, active: bool) -> None:
        if self.button.isChecked() != active:
            self.button.setChecked(active)  # comes back here through toggled
            return
        self.chooser.setVisible(active)
        self.readout.setVisible(active)
        plot = self.view.plot
        if not active:
            for item in (*self.lines, self.points):
                plot.removeItem(item)
            self.measurement = None
            return
        self._fill_chooser()
        (start, end), _ = self.view.viewbox.viewRange()
        for fraction, line in zip((1 / 3, 2 / 3), self.lines, strict=True):
            line.setValue(start + (end - start) * fraction)
            plot.addItem(line, ignoreBounds=True)
        plot.addItem(self.points, ignoreBounds=True)
        self.snap()

    def key(self) -> SignalKey | None:
        return self.chooser.currentData()

    def choose(self, key: SignalKey) -> None:
        self.chooser.setCurrentIndex(self.chooser.findData(key))

    def refresh(self) -> None:
        """After a redraw: the shown signals to choose from; markers that had no point get one."""
        if not self.active:
            return
        self._fill_chooser()
        if self.measurement is None or self.measurement.key != self.key():
            self.snap()

    def _fill_chooser(self) -> None:
        wanted = sorted(self.view.visible)
        present = [self.chooser.itemData(i) for i in range(self.chooser.count())]
        if present == wanted:
            return
        chosen = self.key()
        self.chooser.blockSignals(True)
        self.chooser.clear()
        for key in wanted:
            self.chooser.addItem(label(key), key)
        self.chooser.setCurrentIndex(max(self.chooser.findData(chosen), 0))
        self.chooser.blockSignals(False)

    def move(self, marker: int, x: float) -> None:
        """Put marker 0 (A) or 1 (B) near ``x``, as a drag ending there would."""
        self.lines[marker].setValue(x)
        self.snap()

    def snap(self, *_: object) -> None:
        """Move each marker onto the nearest point of the chosen signal; show the values."""
        if self._snapping or not self.active:
            return
        key = self.key()
        x, y = self.view.curve_data(key) if key is not None else (np.empty(0), np.empty(0))
        if not len(x):
            self.measurement = None
            self.points.setData([], [])
            self.readout.setText("no samples of the chosen signal in view" if key else "no signal")
            return
        found = []
        self._snapping = True
        try:
            for line in self.lines:
                index = int(np.argmin(np.abs(x - line.value())))
                found.append((float(x[index]), float(y[index])))
                line.setValue(found[-1][0])
        finally:
            self._snapping = False
        self.measurement = Measurement(key, found[0], found[1])
        self.points.setData([p[0] for p in found], [p[1] for p in found])
        self.readout.setText(self.describe(self.measurement))

    def describe(self, measured: Measurement) -> str:
        info = self.view.known.get(measured.key)
        unit = f" {info.unit}" if info is not None and info.unit else ""

        timed = self.view.config.timeAxis

        def at(x: float) -> str:
            if not timed:
                return f"{x:.6g}"
            return datetime.datetime.fromtimestamp(x).strftime("%H:%M:%S.%f")[:-3]

        (xa, ya), (xb, yb) = measured.a, measured.b
        return (
            f"A {at(xa)}: {ya:.6g}{unit} · B {at(xb)}: {yb:.6g}{unit} · "
            f"Δx {measured.dx:.6g}{' s' if timed else ''} · Δy {measured.dy:.6g}{unit}"
        )
