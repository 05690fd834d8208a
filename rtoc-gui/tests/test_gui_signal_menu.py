"""A signal's menu (style in plotStyles.json, export, bad names), dragging a signal between
plot windows, and the measure cursor, on a real in-process logger."""

from __future__ import annotations

import csv
import json
import time

import numpy as np
import pytest
from PyQt5 import QtCore, QtGui, QtWidgets

from rtoc_gui.app import build_window
from rtoc_gui.dragging import mime_data
from rtoc_gui.mainwindow import MainWindow
from rtoc_gui.styles import PlotStyle, StyleBook

WAIT = 5000  # ms
KEY = ("Lab", "V")


def record(logger, count: int = 11) -> np.ndarray:
    """``Lab.V``: ``count`` samples one second apart, y = index squared, unit V."""
    x = time.time() - count + np.arange(count, dtype=float)
    logger.stream_many(x, np.arange(count, dtype=float) ** 2, "V", "Lab", unit="V")
    return x


def action(menu: QtWidgets.QMenu, text: str) -> QtWidgets.QAction:
    for found in menu.actions():
        if found.text() == text:
            return found
        if found.menu() is not None:
            inner = [a for a in found.menu().actions() if a.text() == text]
            if inner:
                return inner[0]
    raise AssertionError(f"no {text!r} in {[a.text() for a in menu.actions()]}")


def in_dialog(work) -> None:
    """Run ``work(dialog)`` on the modal dialog the next action opens."""

    def run() -> None:
        dialog = QtWidgets.QApplication.activeModalWidget()
        assert dialog is not None, "no dialog opened"
        work(dialog)

    QtCore.QTimer.singleShot(0, run)


def test_restyled_signal_is_kept_in_plot_styles_json_and_restored(
    qtbot, logger, tmp_path, monkeypatch
):
    # a file RTOC wrote: its keys rtoc does not use survive; a broken entry is skipped
    rtoc_entry = {
        "symbol": {"color": "#00ff00", "width": 2, "style": 1, "alpha": 0.5, "shadowWidth": 0},
        "brush": {"style": "", "size": 5, "fillLevel": None},
    }
    (tmp_path / "plotStyles.json").write_text(
        json.dumps({"Old.Sig": rtoc_entry, "Broken.Sig": {"symbol": {"width": 2}}})
    )
    record(logger)
    window = build_window(logger, "this computer", logger.config.gui, home=tmp_path)
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: KEY in window.plot.curves, timeout=WAIT)

    monkeypatch.setattr(
        QtWidgets.QColorDialog, "getColor", staticmethod(lambda *_: QtGui.QColor("#123456"))
    )

    def choose(dialog) -> None:
        dialog.choose_colour()
        dialog.width.setValue(3)
        dialog.line.setCurrentIndex(dialog.line.findData(int(QtCore.Qt.DashLine)))
        dialog.symbol.setCurrentIndex(dialog.symbol.findData("o"))
        dialog.symbol_size.setValue(9)
        dialog.accept()

    in_dialog(choose)
    action(window.signal_actions.menu(KEY), "Style…").trigger()

    saved = json.loads((tmp_path / "plotStyles.json").read_text())
    assert saved["Lab.V"]["symbol"] == {"color": "#123456", "width": 3, "style": 2}
    assert saved["Lab.V"]["brush"] == {"style": "o", "size": 9, "color": "#123456"}
    assert saved["Old.Sig"] == rtoc_entry
    pen = window.plot.curves[KEY].opts["pen"]
    assert (pen.color().name(), pen.width(), pen.style()) == ("#123456", 3, QtCore.Qt.DashLine)
    window.show_values()
    assert window.signals.buttons[KEY].colour == "#123456"
    window.close()

    again = build_window(logger, "this computer", logger.config.gui, home=tmp_path)
    qtbot.addWidget(again)
    qtbot.waitUntil(lambda: KEY in again.plot.curves, timeout=WAIT)
    curve = again.plot.curves[KEY]
    assert curve.opts["pen"].color().name() == "#123456"
    assert (curve.opts["symbol"], curve.opts["symbolSize"]) == ("o", 9)
    assert again.plot.colours[KEY] == "#123456"
    assert StyleBook(tmp_path / "plotStyles.json").get(("Old", "Sig")) == PlotStyle(
        "#00ff00", width=2, symbol_size=5
    )
    again.close()


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"colour": "red"}, "a colour is #rrggbb, not 'red'"),
        ({"width": 0}, "width is 1 to 20, not 0"),
        ({"line": 9}, "line is one of"),
        ({"symbol": "*"}, "symbol is one of"),
    ],
)
def test_a_bad_style_names_the_problem(fields, problem):
    with pytest.raises(ValueError, match=problem.replace("*", r"\*")):
        PlotStyle(**({"colour": "#ffffff"} | fields))


def test_export_writes_the_signal_to_the_chosen_file(qtbot, window: MainWindow, logger, tmp_path):
    x = record(logger)
    qtbot.waitUntil(lambda: KEY in window.plot.known, timeout=WAIT)
    messages: list[str] = []
    window.signal_actions.message.connect(messages.append)
    target = tmp_path / "volts.csv"
    original = QtWidgets.QFileDialog.getSaveFileName
    try:
        QtWidgets.QFileDialog.getSaveFileName = staticmethod(lambda *_: (str(target), ""))
        action(window.signal_actions.menu(KEY), "Export…").trigger()
    finally:
        QtWidgets.QFileDialog.getSaveFileName = original
    with target.open(newline="") as file:
        rows = list(csv.DictReader(file))
    assert [(r["device"], r["signal"], r["unit"]) for r in rows] == [("Lab", "V", "V")] * 11
    assert [float(r["x"]) for r in rows] == pytest.approx(list(x))
    assert messages[-1] == f"Lab.V: 11 samples written to {target}"

    assert not window.signal_actions.export(KEY, tmp_path / "volts.xyz")
    assert "cannot export Lab.V:" in messages[-1] and "no format reads .xyz" in messages[-1]


def test_a_name_without_a_signal_is_refused_before_the_logger_is_asked(
    qtbot, window: MainWindow, logger
):
    record(logger)
    qtbot.waitUntil(lambda: KEY in window.plot.known, timeout=WAIT)
    messages: list[str] = []
    window.signal_actions.message.connect(messages.append)
    assert not window.signal_actions.rename(KEY, "Lab. ")
    assert messages[-1] == (
        "cannot rename Lab.V: 'Lab.' names no signal: write Signal or Device.Signal"
    )
    assert not window.signal_actions.duplicate(KEY, "  ")
    assert "'' names no signal" in messages[-1]
    assert KEY in logger.store


def test_signal_dragged_into_a_second_plot_window_appears_there(qtbot, window: MainWindow, logger):
    record(logger)
    qtbot.waitUntil(lambda: KEY in window.plot.curves, timeout=WAIT)
    second = window.new_plot_window()
    qtbot.addWidget(second)
    view = second.view
    assert KEY not in view.visible

    text_only = QtCore.QMimeData()
    text_only.setText("Lab.V")  # plain text is no signal: refused
    refused = QtGui.QDragEnterEvent(
        QtCore.QPoint(50, 50), QtCore.Qt.CopyAction, text_only, QtCore.Qt.LeftButton,
        QtCore.Qt.NoModifier,
    )  # fmt: skip
    QtWidgets.QApplication.sendEvent(view, refused)
    assert not refused.isAccepted()

    carried = mime_data(KEY)
    enter = QtGui.QDragEnterEvent(
        QtCore.QPoint(50, 50), QtCore.Qt.CopyAction, carried, QtCore.Qt.LeftButton,
        QtCore.Qt.NoModifier,
    )  # fmt: skip
    QtWidgets.QApplication.sendEvent(view, enter)
    assert enter.isAccepted()
    drop = QtGui.QDropEvent(
        QtCore.QPointF(50, 50), QtCore.Qt.CopyAction, carried, QtCore.Qt.LeftButton,
        QtCore.Qt.NoModifier,
    )  # fmt: skip
    QtWidgets.QApplication.sendEvent(view, drop)
    assert drop.isAccepted() and KEY in view.visible
    qtbot.waitUntil(lambda: len(view.curve_data(KEY)[0]) == 11, timeout=WAIT)

    # the second window's legend row is a drag handle and opens the menu of that signal
    legend = view.plot.getPlotItem().legend
    _, text = legend.items[0]
    on_row = text.mapRectToParent(text.boundingRect()).center()
    assert legend.key_at(on_row) == KEY
    assert legend.key_at(QtCore.QPointF(-50, -50)) is None
    asked: list[tuple] = []
    view.menu_requested.connect(lambda key, where: asked.append((key, where)))
    legend.mouseClickEvent(RightClick(on_row))
    assert asked == [(KEY, QtCore.QPoint(300, 200))]
    menu = QtWidgets.QApplication.activePopupWidget()  # the main window opened it
    assert menu.title() == "Lab.V" and "Rename…" in [a.text() for a in menu.actions()]
    menu.close()


class RightClick:
    """What pyqtgraph hands a legend on a right click (position in legend coordinates)."""

    def __init__(self, position: QtCore.QPointF) -> None:
        self.position = position
        self.accepted = False

    def button(self) -> int:
        return QtCore.Qt.RightButton

    def pos(self) -> QtCore.QPointF:
        return self.position

    def screenPos(self) -> QtCore.QPointF:
        return QtCore.QPointF(300, 200)

    def accept(self) -> None:
        self.accepted = True


def test_dragging_a_signal_button_carries_its_key_and_does_not_toggle_it(
    qtbot, window: MainWindow, logger, monkeypatch
):
    record(logger)
    qtbot.waitUntil(lambda: KEY in window.signals.buttons, timeout=WAIT)
    button = window.signals.buttons[KEY]
    dragged: list[tuple] = []
    monkeypatch.setattr("rtoc_gui.signals.start_drag", lambda source, key: dragged.append(key))
    start = QtCore.QPoint(10, 10)
    qtbot.mousePress(button, QtCore.Qt.LeftButton, pos=start)
    moved = QtGui.QMouseEvent(
        QtCore.QEvent.MouseMove, QtCore.QPointF(start + QtCore.QPoint(40, 0)),
        QtCore.Qt.NoButton, QtCore.Qt.LeftButton, QtCore.Qt.NoModifier,
    )  # fmt: skip
    QtWidgets.QApplication.sendEvent(button, moved)
    assert dragged == [KEY]
    assert button.isChecked() and not button.isDown()


def test_measure_cursor_snaps_to_samples_and_shows_dx_dy(qtbot, window: MainWindow, logger):
    x = record(logger)
    qtbot.waitUntil(lambda: len(window.plot.curve_data(KEY)[0]) == 11, timeout=WAIT)
    window.plot.set_follow(False)
    measure = window.plot.measure
    measure.button.click()
    assert measure.active and measure.chooser.isVisibleTo(window.plot)
    assert measure.key() == KEY
    measure.move(0, x[2] + 0.3)
    measure.move(1, x[7] - 0.2)
    measured = measure.measurement
    assert measured.a == (x[2], 4.0) and measured.b == (x[7], 49.0)
    assert measured.dx == pytest.approx(5.0) and measured.dy == 45.0
    assert [line.value() for line in measure.lines] == [x[2], x[7]]
    assert "Δx 5 s · Δy 45 V" in measure.readout.text()
    assert ": 4 V · B " in measure.readout.text()

    measure.button.click()
    assert measure.measurement is None and measure.lines[0].scene() is None
