"""Data ▸ Resample… on a real in-process logger, and refused by a read-only storage view."""

from __future__ import annotations

import numpy as np
from gui_helpers import GUI
from PyQt5 import QtCore

from rtoc.logger import Logger
from rtoc.storage.sqlite import SQLiteStorage
from rtoc.storage.view import StorageView
from rtoc_gui.app import build_window
from rtoc_gui.mainwindow import MainWindow
from rtoc_gui.marks import yes_button
from rtoc_gui.resample_dialog import ResampleDialog

T0 = 1_700_000_000.0


def record(logger: Logger) -> None:
    """20 s of D.A and D.B, ten samples a second."""
    x = T0 + np.arange(200) / 10
    logger.stream_many(x, np.arange(200.0), "A", "D", "V")
    logger.stream_many(x, np.arange(200.0), "B", "D", "V")


def open_dialog(window: MainWindow) -> ResampleDialog:
    (action,) = [a for a in window.menus.data.actions() if a.text() == "&Resample…"]
    action.trigger()
    dialog = window.menus.dialogs[-1]
    assert isinstance(dialog, ResampleDialog) and dialog.isVisible()
    return dialog


def at(seconds: float) -> QtCore.QDateTime:
    return QtCore.QDateTime.fromSecsSinceEpoch(int(T0 + seconds))


def test_a_bad_rate_or_period_is_marked_at_its_field(window: MainWindow, logger: Logger):
    record(logger)
    dialog = open_dialog(window)
    for text, message in [
        ("", "the rate is missing"),
        ("fast", "the rate must be a number of samples per second, got 'fast'"),
        ("0", "above 0 and at most 1e+06 Hz, got 0.0"),
        ("-2", "got -2.0"),
    ]:
        dialog.rate.setText(text)
        assert dialog.ask() is None
        assert message in dialog.rate_error.text() and not dialog.rate_error.isHidden()
    dialog.rate.setText("1")
    dialog.bounded.setChecked(True)
    dialog.start.setDateTime(at(10))
    dialog.end.setDateTime(at(5))
    assert dialog.ask() is None
    assert dialog.period_error.text() == "the period starts after it ends"
    assert dialog.rate_error.isHidden()
    assert len(logger.read("D", "A").x) == 200  # nothing changed


def test_every_signal_of_a_period_after_confirming(qtbot, window: MainWindow, logger: Logger):
    record(logger)
    dialog = open_dialog(window)
    dialog.rate.setText("1")
    dialog.bounded.setChecked(True)
    dialog.start.setDateTime(at(5))
    dialog.end.setDateTime(at(14))
    question = dialog.ask()
    assert "Resample every signal" in question.text() and "to 1 Hz" in question.text()
    assert len(logger.read("D", "A").x) == 200  # not before the answer
    yes_button(question).click()
    message = window.statusBar().currentMessage()
    assert message == "Resampled 2 of 2 signals to 1 Hz: 182 samples became 20."
    for name in ("A", "B"):  # 5.0 .. 14.0 s: 91 samples, ten bins (14 s alone the last)
        data = logger.read("D", name)
        assert len(data.x) == 200 - 91 + 10
        np.testing.assert_allclose(data.y[50:60], np.r_[np.arange(5, 14) * 10 + 4.5, 140])
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=2000)
    assert dialog not in window.menus.dialogs


def test_only_the_signals_the_plot_shows(window: MainWindow, logger: Logger):
    record(logger)
    window.tick()
    window.plot.set_visible(("D", "B"), False)
    dialog = open_dialog(window)
    assert dialog.in_plot.text() == "The signals the plot shows (1)"
    dialog.in_plot.setChecked(True)
    dialog.rate.setText("0,5")  # a decimal comma counts too
    question = dialog.ask()
    assert "Resample D.A (all of their time) to 0.5 Hz" in question.text()
    yes_button(question).click()
    assert len(logger.read("D", "A").x) == 10
    assert len(logger.read("D", "B").x) == 200


def test_a_storage_view_refuses_with_the_reason(qtbot, tmp_path):
    storage = SQLiteStorage(tmp_path / "rtoc.sqlite")
    with Logger(storage=storage) as logger:
        record(logger)
    with StorageView(SQLiteStorage(tmp_path / "rtoc.sqlite", read_only=True)) as view:
        window = build_window(view, "rtoc.sqlite", GUI)
        qtbot.addWidget(window)
        dialog = open_dialog(window)
        dialog.rate.setText("1")
        yes_button(dialog.ask()).click()
        assert "Not resampled" in window.statusBar().currentMessage()
        assert "stored data only" in window.statusBar().currentMessage()
        assert dialog.isVisible()  # still open: the user may go elsewhere
        window.close()
