"""Changing the logger's data from the GUI: a signal renamed, its unit set, duplicated and
deleted from its menu, and events deleted from the event widget (each after its question)."""

from __future__ import annotations

import time

import numpy as np
import pytest
from PyQt5 import QtWidgets

from rtoc_gui.mainwindow import MainWindow
from rtoc_gui.styles import PlotStyle

WAIT = 5000  # ms
KEY = ("Lab", "V")


@pytest.fixture
def recorded(qtbot, window: MainWindow, logger) -> list[str]:
    """``Lab.V`` with 11 samples, shown; the status messages of the window's signal menu."""
    now = time.time()
    logger.stream_many(np.linspace(now - 10, now, 11), np.arange(11.0), "V", "Lab", unit="V")
    qtbot.waitUntil(
        lambda: KEY in window.signals.buttons and KEY in window.plot.curves, timeout=WAIT
    )
    messages: list[str] = []
    window.signal_actions.message.connect(messages.append)
    window.events.message.connect(messages.append)
    return messages


def answer_text(monkeypatch, text: str, ok: bool = True) -> None:
    monkeypatch.setattr(
        QtWidgets.QInputDialog, "getText", staticmethod(lambda *_, **__: (text, ok))
    )


def answer(monkeypatch, yes: bool) -> list[str]:
    """Answer the next questions; the questions asked."""
    asked: list[str] = []

    def question(_parent, _title, text):
        asked.append(text)
        return QtWidgets.QMessageBox.Yes if yes else QtWidgets.QMessageBox.No

    monkeypatch.setattr(QtWidgets.QMessageBox, "question", staticmethod(question))
    return asked


def trigger(window: MainWindow, key, text: str) -> None:
    menu = window.signal_actions.menu(key)
    (found,) = [action for action in menu.actions() if action.text() == text]
    found.trigger()


def test_rename_moves_samples_style_and_button(qtbot, window, logger, recorded, monkeypatch):
    window.signal_actions.set_style(KEY, PlotStyle("#abcdef", width=2))
    answer_text(monkeypatch, "Lab.Volt")
    trigger(window, KEY, "Rename…")
    new = ("Lab", "Volt")
    assert recorded[-1] == "Lab.V is now Lab.Volt"
    assert KEY not in logger.store and list(logger.read(*new).y) == list(np.arange(11.0))
    window.show_values()
    assert new in window.signals.buttons and KEY not in window.signals.buttons
    qtbot.waitUntil(lambda: len(window.plot.curve_data(new)[0]) == 11, timeout=WAIT)
    assert window.plot.curves[new].opts["pen"].color().name() == "#abcdef"
    assert window.styles.get(new) == PlotStyle("#abcdef", width=2)

    logger.stream(1.0, "Other", "Lab")
    answer_text(monkeypatch, "Other")  # taken: the logger's refusal is shown
    trigger(window, new, "Rename…")
    assert recorded[-1].startswith("cannot rename Lab.Volt:") and "Lab.Other" in recorded[-1]
    assert new in logger.store


def test_unit_is_set_on_the_logger(qtbot, window, logger, recorded, monkeypatch):
    answer_text(monkeypatch, " mV ")
    trigger(window, KEY, "Unit…")
    assert recorded[-1] == "Lab.V: unit mV"
    assert logger.read(*KEY).unit == "mV"
    window.show_values()
    assert window.signals.buttons[KEY].text() == "V    10 mV"


def test_duplicate_makes_a_new_signal_with_the_same_samples(
    qtbot, window, logger, recorded, monkeypatch
):
    answer_text(monkeypatch, "Copy.V2")
    trigger(window, KEY, "Duplicate as a new signal…")
    copy = ("Copy", "V2")
    assert recorded[-1] == "Lab.V copied to Copy.V2"
    assert list(logger.read(*copy).x) == list(logger.read(*KEY).x)
    qtbot.waitUntil(lambda: len(window.plot.curve_data(copy)[0]) == 11, timeout=WAIT)
    assert KEY in logger.store


def test_delete_asks_first_then_removes_the_signal(qtbot, window, logger, recorded, monkeypatch):
    asked = answer(monkeypatch, yes=False)
    trigger(window, KEY, "Delete…")
    assert asked == ["Delete Lab.V with all its samples, in memory and in storage?"]
    assert KEY in logger.store

    answer(monkeypatch, yes=True)
    trigger(window, KEY, "Delete…")
    assert recorded[-1] == "Lab.V deleted"
    assert KEY not in logger.store
    assert KEY not in window.plot.curves and KEY not in window.plot.visible
    window.show_values()
    assert KEY not in window.signals.buttons


def test_show_in_another_plot_window_from_the_menu(qtbot, window, logger, recorded):
    menu = window.signal_actions.menu(KEY)
    (shown,) = [action for action in menu.actions() if action.text() == "Show in"]
    (new_window,) = [a for a in shown.menu().actions() if a.text() == "new plot window"]
    new_window.trigger()
    (second,) = window.plot_windows
    qtbot.addWidget(second)
    assert KEY in second.view.visible
    menu = window.signal_actions.menu(KEY)
    (shown,) = [action for action in menu.actions() if action.text() == "Show in"]
    entries = {a.text(): a.isChecked() for a in shown.menu().actions() if a.isCheckable()}
    assert entries == {"main plot": True, "plot window 2": True}


def test_events_deleted_selected_and_by_filter(qtbot, window, logger, recorded, monkeypatch):
    now = time.time()
    for i in range(5):
        logger.event(f"routine check {i}", device="Lab", time=now - 100 + i)
    logger.event("Pump overheated", device="Pump", priority=2, time=now - 2)
    logger.event("Pump pressure low", device="Pump", priority=1, time=now - 1)
    events = window.events
    events.refresh()
    assert events.position.text() == "1 to 7 of 7"

    events.delete_selected_action.trigger()  # nothing selected: says so, asks nothing
    assert recorded[-1] == "select the events to delete first"

    events.table.selectRow(0)  # newest first: "Pump pressure low"
    asked = answer(monkeypatch, yes=False)
    events.delete_selected_action.trigger()
    assert asked == ["Delete the 1 selected event(s), in memory and storage?"]
    assert events.position.text() == "1 to 7 of 7"
    answer(monkeypatch, yes=True)
    events.table.selectRow(0)
    events.delete_selected_action.trigger()
    assert recorded[-1] == "1 event(s) deleted"
    assert [e.text for e in logger.events if e.device == "Pump"] == ["Pump overheated"]
    assert events.position.text() == "1 to 6 of 6"

    qtbot.keyClicks(events.text, "routine")
    asked = answer(monkeypatch, yes=True)
    events.delete_matching_action.trigger()
    assert asked == ["Delete all 5 events the filter shows (every page), in memory and storage?"]
    assert recorded[-1] == "5 event(s) deleted"
    assert [e.text for e in logger.events] == ["Pump overheated"]
    events.text.clear()
    assert [row[3] for row in events.rows()] == ["Pump overheated"]
