"""The main window on an in-process logger: devices, signals, plot, events, DevicesRAW."""

from __future__ import annotations

import time

import numpy as np
from PyQt5 import QtCore, QtWidgets

import rtoc
from rtoc.device import DeviceError
from rtoc_gui.mainwindow import MainWindow
from rtoc_gui.plot import LABEL_ROWS
from rtoc_gui.theme import STALE

WAIT = 5000  # ms


class Faulty(rtoc.Device):
    """A device whose instrument is missing: starting it fails with its reason."""

    def start(self) -> None:
        raise DeviceError("no instrument on /dev/ttyUSB7")


def click(qtbot, widget) -> None:
    qtbot.mouseClick(widget, QtCore.Qt.LeftButton)


def test_device_button_starts_it_and_samples_reach_the_plot(qtbot, window: MainWindow, logger):
    qtbot.waitUntil(lambda: "Generator" in window.devices.buttons, timeout=WAIT)
    button = window.devices.buttons["Generator"]
    assert not button.isChecked()
    click(qtbot, button)
    assert logger.devices["Generator"].running
    assert button.isChecked()
    sine = ("Generator", "Sine")
    qtbot.waitUntil(lambda: len(window.plot.curve_data(sine)[0]) >= 3, timeout=WAIT)
    x, y = window.plot.curve_data(sine)
    stored = logger.read("Generator", "Sine")
    assert set(x) <= set(stored.x) and np.all(np.abs(y) <= 1.0)

    click(qtbot, button)
    assert not logger.devices["Generator"].running
    assert not button.isChecked() and "stopped" in button.text()


def test_a_device_that_cannot_start_says_why(qtbot, window: MainWindow, logger):
    logger.add_device(Faulty)
    qtbot.waitUntil(lambda: "Faulty" in window.devices.buttons, timeout=WAIT)
    click(qtbot, window.devices.buttons["Faulty"])
    assert window.devices.error_label.isVisible()
    assert "Faulty: could not start: no instrument on /dev/ttyUSB7" in (
        window.devices.error_label.text()
    )
    assert not window.devices.buttons["Faulty"].isChecked()


def test_signal_toggle_hides_and_shows_its_curve(qtbot, window: MainWindow, logger):
    now = time.time()
    for i in range(5):
        logger.stream(float(i), "T", "Lab", unit="°C", x=now - 5 + i)
    key = ("Lab", "T")
    qtbot.waitUntil(lambda: key in window.signals.buttons, timeout=WAIT)
    button = window.signals.buttons[key]
    qtbot.waitUntil(lambda: "4 °C" in button.text(), timeout=WAIT)
    assert button.isChecked() and len(window.plot.curve_data(key)[0]) == 5

    click(qtbot, button)
    assert key not in window.plot.visible
    assert key not in window.plot.curves
    window.tick()  # a refresh does not bring it back
    window.show_values()
    assert not button.isChecked() and key not in window.plot.curves

    click(qtbot, button)
    qtbot.waitUntil(lambda: len(window.plot.curve_data(key)[0]) == 5, timeout=WAIT)


def test_signal_turns_yellow_when_no_sample_comes(qtbot, window: MainWindow, logger):
    logger.stream(1.0, "P", "Lab", x=time.time())
    qtbot.waitUntil(lambda: ("Lab", "P") in window.signals.buttons, timeout=WAIT)
    button = window.signals.buttons[("Lab", "P")]
    # signalInactivityTimeout is 0.5 s in these tests
    qtbot.waitUntil(lambda: button.stale, timeout=WAIT)
    assert STALE in button.styleSheet()
    logger.stream(2.0, "P", "Lab", x=time.time())
    window.show_values()  # the next refresh of the values, now
    assert not button.stale and STALE not in button.styleSheet()
    assert button.text() == "P    2"


def test_events_filtered_by_text_and_priority_and_paged(qtbot, window: MainWindow, logger):
    now = time.time()
    for i in range(230):
        logger.event(f"routine check {i}", device="Lab", priority=0, time=now - 300 + i)
    logger.event("Pump overheated", device="Pump", signal="T", priority=2, time=now - 2)
    logger.event("Pump pressure low", device="Pump", priority=1, time=now - 1)
    events = window.events
    events.refresh()
    assert events.position.text() == "1 to 100 of 232"
    click(qtbot, events.older)
    assert events.position.text() == "101 to 200 of 232"

    qtbot.keyClicks(events.text, "pump")
    assert events.position.text() == "1 to 2 of 2"
    assert [row[1:] for row in events.rows()] == [
        ("warning", "Pump", "Pump pressure low"),
        ("error", "Pump.T", "Pump overheated"),
    ]
    click(qtbot, events.priorities[1])  # warnings off
    assert [row[3] for row in events.rows()] == ["Pump overheated"]


def test_events_are_lines_in_the_plot(qtbot, window: MainWindow, logger):
    now = time.time()
    logger.stream_many(np.linspace(now - 10, now, 11), np.arange(11.0), "V", "Lab")
    event = logger.event("valve opened", device="Lab", signal="V", time=now - 5)
    qtbot.waitUntil(lambda: event.uid in window.plot.event_lines, timeout=WAIT)
    assert window.plot.event_lines[event.uid].value() == now - 5


def test_labels_of_events_close_together_are_at_heights_taken_in_turn(
    qtbot, window: MainWindow, logger
):
    now = time.time()
    logger.stream_many(np.linspace(now - 10, now, 11), np.arange(11.0), "V", "Lab")
    events = [logger.event(f"step {i}", device="Lab", time=now - 8 + 2 * i) for i in range(4)]

    def heights() -> list[float]:
        return [window.plot.event_lines[event.uid].label.orthoPos for event in events]

    qtbot.waitUntil(lambda: all(e.uid in window.plot.event_lines for e in events), timeout=WAIT)
    assert heights() == [*LABEL_ROWS, LABEL_ROWS[0]]
    events.insert(1, logger.event("between", device="Lab", time=now - 7))  # the rest move on
    qtbot.waitUntil(lambda: events[1].uid in window.plot.event_lines, timeout=WAIT)
    qtbot.waitUntil(lambda: heights() == [*LABEL_ROWS, *LABEL_ROWS[:2]], timeout=WAIT)


def test_parameter_set_and_refused_value_shows_the_device_message(
    qtbot, window: MainWindow, logger
):
    logger.attach_installed("Generator")
    qtbot.waitUntil(lambda: ("Generator", "amplitude") in window.raw.parameters, timeout=WAIT)
    amplitude = window.raw.parameters["Generator", "amplitude"]
    amplitude.field.setText("2.5")
    qtbot.keyClick(amplitude.field, QtCore.Qt.Key_Return)
    assert logger.get_parameter("Generator", "amplitude") == 2.5
    assert amplitude.message.text() == "set"

    waveform = window.raw.parameters["Generator", "waveform"]
    waveform.field.setText("zigzag")
    qtbot.keyClick(waveform.field, QtCore.Qt.Key_Return)
    assert "unknown waveform 'zigzag'" in waveform.message.text()
    assert logger.get_parameter("Generator", "waveform") == "sine"

    amplitude.field.setText("os.system('true')")  # not a literal: never evaluated
    qtbot.keyClick(amplitude.field, QtCore.Qt.Key_Return)
    assert "is not a Python literal" in amplitude.message.text()
    assert logger.get_parameter("Generator", "amplitude") == 2.5


def test_function_called_with_literal_arguments(qtbot, window: MainWindow, logger):
    logger.attach_installed("Generator")
    qtbot.waitUntil(lambda: ("Generator", "set_waveform") in window.raw.functions, timeout=WAIT)
    call = window.raw.functions["Generator", "set_waveform"]
    call.field.setText("'square'")
    click(qtbot, call.button)
    assert logger.get_parameter("Generator", "waveform") == "square"
    assert call.message.text() == "→ None"

    call.field.setText("kind='nope'")
    click(qtbot, call.button)
    assert "unknown waveform 'nope'" in call.message.text()


def test_long_signal_is_drawn_as_min_max_per_pixel(qtbot, window: MainWindow, logger):
    count = 400_000  # within the default recordLength (500,000): all in memory
    x = time.time() - 4000 + np.arange(count) * 0.01
    y = np.sin(np.arange(count) / 1000.0)
    y[123_456] = 50.0
    logger.stream_many(x, y, "Big", "Lab")
    key = ("Lab", "Big")
    qtbot.waitUntil(lambda: len(window.plot.curve_data(key)[0]) > 0, timeout=WAIT)
    shown_x, shown_y = window.plot.curve_data(key)
    assert window.plot.aggregated >= 1
    assert len(shown_x) <= 2 * 8000 and len(shown_x) < count / 10
    assert shown_y.max() == 50.0 and shown_y.min() == y.min()  # every peak kept

    # zoomed into one second: the raw samples
    window.plot.set_follow(False)
    window.plot.viewbox.setXRange(x[1000], x[1100], padding=0)
    window.plot.redraw()
    shown_x, _ = window.plot.curve_data(key)
    assert set(x[1000:1101]) <= set(shown_x) and len(shown_x) < 500


def test_second_plot_window_and_linked_x_axes(qtbot, window: MainWindow, logger):
    now = time.time()
    logger.stream_many(np.linspace(now - 100, now, 101), np.arange(101.0), "A", "Lab")
    key = ("Lab", "A")
    qtbot.waitUntil(lambda: key in window.plot.known, timeout=WAIT)
    second = window.new_plot_window()
    qtbot.addWidget(second)
    assert second.view.visible == set()  # chosen from its own Signals menu
    second.view.set_visible(key, True)
    qtbot.waitUntil(lambda: len(second.view.curve_data(key)[0]) == 101, timeout=WAIT)

    window.link_action.setChecked(True)
    window.plot.set_follow(False)
    window.plot.viewbox.setXRange(now - 50, now - 40, padding=0)
    linked = second.view.viewbox.viewRange()[0]
    assert linked == window.plot.viewbox.viewRange()[0]
    qtbot.waitUntil(lambda: len(second.view.curve_data(key)[0]) < 101, timeout=WAIT)

    window.link_action.setChecked(False)
    second.view.viewbox.setXRange(now - 90, now - 80, padding=0)
    assert window.plot.viewbox.viewRange()[0][0] > now - 60


def test_layout_restored_when_restore_widget_position(qtbot, logger, tmp_path):
    import attrs

    from rtoc_gui.app import build_window

    config = attrs.evolve(logger.config.gui, restoreWidgetPosition=True)
    first = build_window(logger, "this computer", config, home=tmp_path)
    qtbot.addWidget(first)
    first.resize(1111, 777)
    events = first.findChild(QtWidgets.QDockWidget, "Events")
    events.hide()
    first.close()
    assert (tmp_path / "guiLayout.json").exists()

    second = build_window(logger, "this computer", config, home=tmp_path)
    qtbot.addWidget(second)
    assert (second.width(), second.height()) == (1111, 777)
    assert not second.findChild(QtWidgets.QDockWidget, "Events").isVisible()
    assert second.findChild(QtWidgets.QDockWidget, "Signals").isVisible()
    second.close()

    (tmp_path / "guiLayout.json").write_text("not json")  # reported, ignored
    third = build_window(logger, "this computer", config, home=tmp_path)
    qtbot.addWidget(third)
    assert third.findChild(QtWidgets.QDockWidget, "Events").isVisible()
    third.close()
