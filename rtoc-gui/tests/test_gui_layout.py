"""Saved layouts: plot windows with their signals, linked axes and Follow kept across starts
and in files of their own; files that cannot be used; ``GUI.openGL``."""

from __future__ import annotations

import json
import sys
import time

import attrs
import numpy as np
import pyqtgraph as pg
import pytest
from PyQt5 import QtWidgets

from rtoc_gui import opengl
from rtoc_gui.app import build_window
from rtoc_gui.layout import FILE
from rtoc_gui.link import Link
from rtoc_gui.mainwindow import MainWindow

WAIT = 5000  # ms
A, B, C = ("Lab", "A"), ("Lab", "B"), ("Lab", "C")


def stream(logger, *keys) -> None:
    now = time.time()
    for device, name in keys:
        logger.stream_many(np.linspace(now - 100, now, 101), np.arange(101.0), name, device)


def open_window(qtbot, logger, config, home) -> MainWindow:
    window = build_window(logger, "this computer", config, home=home)
    qtbot.addWidget(window)
    return window


def remembering(logger):
    return attrs.evolve(logger.config.gui, restoreWidgetPosition=True)


def test_plot_windows_their_signals_and_linked_axes_restored_on_the_next_start(
    qtbot, logger, tmp_path
):
    stream(logger, A, B, C)
    config = remembering(logger)
    first = open_window(qtbot, logger, config, tmp_path)
    qtbot.waitUntil(lambda: {A, B, C} <= first.plot.known.keys(), timeout=WAIT)
    first.plot.set_visible(C, False)  # hidden in the main plot
    one, two = first.new_plot_window(), first.new_plot_window()
    one.view.set_visible(A, True)
    two.view.set_visible(B, True)
    two.view.set_visible(C, True)
    one.setGeometry(60, 80, 640, 420)
    two.setGeometry(700, 90, 520, 380)
    first.link_action.setChecked(True)
    first.close()
    assert json.loads((tmp_path / FILE).read_text())["version"] == 2

    second = open_window(qtbot, logger, config, tmp_path)
    assert len(second.plot_windows) == 2
    restored_one, restored_two = second.plot_windows
    qtbot.waitUntil(lambda: len(restored_two.view.curve_data(C)[0]) == 101, timeout=WAIT)
    assert restored_one.view.visible == {A}
    assert restored_two.view.visible == {B, C}
    assert second.plot.visible == {A, B}
    second.show_values()
    assert not second.signals.buttons[C].isChecked() and second.signals.buttons[A].isChecked()
    for restored, (x, y, width, height) in (
        (restored_one, (60, 80, 640, 420)),
        (restored_two, (700, 90, 520, 380)),
    ):
        geometry = restored.geometry()
        assert abs(geometry.width() - width) <= 20 and abs(geometry.height() - height) <= 20
        assert abs(geometry.x() - x) <= 40 and abs(geometry.y() - y) <= 40
    assert second.link_action.isChecked()
    assert all(shown.view.linked is second.plot for shown in second.plot_windows)
    second.plot.set_follow(False)
    second.plot.viewbox.setXRange(time.time() - 50, time.time() - 40, padding=0)
    assert restored_two.view.viewbox.viewRange()[0] == second.plot.viewbox.viewRange()[0]


def test_a_signal_that_appears_later_is_shown_in_its_restored_window(qtbot, logger, tmp_path):
    stream(logger, A, B)
    config = remembering(logger)
    first = open_window(qtbot, logger, config, tmp_path)
    qtbot.waitUntil(lambda: {A, B} <= first.plot.known.keys(), timeout=WAIT)
    first.plot.set_visible(B, False)
    first.new_plot_window().view.set_visible(B, True)
    first.close()
    logger.delete_signals([B])

    second = open_window(qtbot, logger, config, tmp_path)
    (restored,) = second.plot_windows
    qtbot.waitUntil(lambda: A in second.plot.visible, timeout=WAIT)
    assert restored.view.visible == set() and B not in restored.view.known
    stream(logger, B)
    qtbot.waitUntil(lambda: len(restored.view.curve_data(B)[0]) == 101, timeout=WAIT)
    assert B not in second.plot.visible  # still hidden in the main plot
    second.close()  # and still chosen for the next start
    saved = json.loads((tmp_path / FILE).read_text())
    assert saved["windows"][0]["shown"] == [list(B)]
    assert list(B) in saved["main"]["hidden"]


GOOD = {"version": 2, "geometry": "", "state": "", "main": {}, "windows": []}


@pytest.mark.parametrize(
    ("content", "said"),
    [
        ("{not json", "not JSON"),
        ("[1, 2]", "the file: expected an object, got [1, 2]"),
        (
            json.dumps({"geometry": "AAAA", "state": "AAAA"}),
            "written by another version of rtoc-gui (layout format 1; this one reads 2)",
        ),
        (json.dumps({**GOOD, "version": 7}), "layout format 7"),
        (json.dumps({**GOOD, "geometry": "&&&"}), "geometry: not base64"),
        (
            json.dumps({**GOOD, "windows": [{"geometry": "", "shown": [["Lab"]]}]}),
            "windows[0].shown[0]: expected [device, signal], got ['Lab']",
        ),
        (json.dumps({**GOOD, "main": {"follow": "yes"}}), "main.follow: expected true or false"),
        (
            json.dumps({**GOOD, "main": {"follow": False, "x_range": [5, 1]}}),
            "main.x_range: expected [start, end] or null, got [5, 1]",
        ),
        (json.dumps({**GOOD, "linked": 1}), "linked: expected true or false, got 1"),
    ],
)
def test_a_layout_file_that_cannot_be_used_is_named_and_the_defaults_kept(
    qtbot, logger, tmp_path, content, said
):
    (tmp_path / FILE).write_text(content)
    window = open_window(qtbot, logger, remembering(logger), tmp_path)
    message = window.statusBar().currentMessage()
    assert message.startswith("Layout not restored, using the default one: ")
    assert str(tmp_path / FILE) in message and said in message
    assert window.plot_windows == [] and not window.link_action.isChecked()
    assert window.findChild(QtWidgets.QDockWidget, "Events").isVisible()

    shown = window.new_plot_window()  # a file loaded later: refused, nothing changes
    qtbot.addWidget(shown)
    assert not window.load_layout_file(tmp_path / FILE)
    assert said in window.statusBar().currentMessage()
    assert "nothing changed" in window.statusBar().currentMessage()
    assert window.plot_windows == [shown]


def test_save_and_load_a_layout_file(qtbot, window: MainWindow, logger, tmp_path):
    stream(logger, A, B)
    qtbot.waitUntil(lambda: {A, B} <= window.plot.known.keys(), timeout=WAIT)
    shown = window.new_plot_window()
    shown.view.set_visible(B, True)
    now = time.time()
    shown.view.set_follow(False)
    shown.view.viewbox.setXRange(now - 80, now - 60, padding=0)
    path = tmp_path / "layouts" / "mine.json"
    assert window.save_layout_file(path)
    assert window.statusBar().currentMessage() == f"Layout saved to {path}"
    assert not list(path.parent.glob(".mine.json.*"))  # the temporary file is gone

    shown.close()
    window.new_plot_window().view.set_visible(A, True)
    window.new_plot_window()
    window.link_action.setChecked(True)
    assert window.load_layout_file(path)
    assert window.statusBar().currentMessage() == f"Layout loaded from {path}"
    (loaded,) = window.plot_windows
    assert loaded.view.visible == {B} and not window.link_action.isChecked()
    assert not loaded.view.follow and not loaded.view.follow_button.isChecked()
    start, end = loaded.view.viewbox.viewRange()[0]
    assert start == pytest.approx(now - 80) and end == pytest.approx(now - 60)
    assert window.plot.follow

    assert not window.load_layout_file(tmp_path / "none.json")
    assert "cannot read" in window.statusBar().currentMessage()
    assert not window.save_layout_file(tmp_path / "layouts")  # a directory
    assert (
        window.statusBar()
        .currentMessage()
        .startswith(f"Layout not saved to {tmp_path / 'layouts'}: ")
    )
    assert window.plot_windows == [loaded]


@pytest.fixture
def plain_plots():
    """pyqtgraph's options are global: leave plots drawn without OpenGL for the others."""
    yield
    pg.setConfigOptions(useOpenGL=False)


def make_window(qtbot, logger, **gui) -> MainWindow:
    config = attrs.evolve(logger.config.gui, **gui)
    window = MainWindow(Link(logger, "this computer", local=True), config)
    qtbot.addWidget(window)
    return window


def test_opengl_without_a_context_draws_without_it_and_says_so(qtbot, logger, plain_plots):
    window = make_window(qtbot, logger, openGL=True)  # offscreen: no OpenGL context
    note = "GUI.openGL is on, but the plots are drawn without OpenGL: no OpenGL context"
    assert window.opengl_note.startswith(note)
    assert window.statusBar().currentMessage() == window.opengl_note
    assert not pg.getConfigOption("useOpenGL")
    assert not isinstance(window.plot.plot.viewport(), QtWidgets.QOpenGLWidget)
    stream(logger, A)
    window.show()
    window.start()
    qtbot.waitUntil(lambda: len(window.plot.curve_data(A)[0]) == 101, timeout=WAIT)


def test_opengl_without_pyqt5s_opengl_functions_names_them(qtbot, logger, monkeypatch, plain_plots):
    for name in opengl.FUNCTION_MODULES:
        monkeypatch.setitem(sys.modules, name, None)  # import fails as if not installed
    window = make_window(qtbot, logger, openGL=True)
    assert "PyQt5._QOpenGLFunctions_2_1" in window.statusBar().currentMessage()
    assert "apt install python3-pyqt5.qtopengl" in window.opengl_note
    assert not pg.getConfigOption("useOpenGL")


def test_opengl_where_it_can_be_used_is_handed_to_pyqtgraph(
    qtbot, logger, monkeypatch, plain_plots
):
    # a machine with a GPU: the probe finds nothing missing (the window is never shown,
    # so no OpenGL context is made)
    monkeypatch.setattr(opengl, "unavailable", lambda: "")
    window = make_window(qtbot, logger, openGL=True)
    assert window.opengl_note == "" and pg.getConfigOption("useOpenGL")
    assert isinstance(window.plot.plot.viewport(), QtWidgets.QOpenGLWidget)

    off = make_window(qtbot, logger, openGL=False)
    assert off.opengl_note == "" and not pg.getConfigOption("useOpenGL")
    assert not isinstance(off.plot.plot.viewport(), QtWidgets.QOpenGLWidget)
    assert off.statusBar().currentMessage() == ""


def test_the_file_menu_saves_and_loads_a_layout_through_the_file_dialogs(
    qtbot, window: MainWindow, logger, tmp_path, monkeypatch
):
    stream(logger, A)
    qtbot.waitUntil(lambda: A in window.plot.known, timeout=WAIT)
    window.new_plot_window().view.set_visible(A, True)
    path = str(tmp_path / "chosen.json")
    dialog = QtWidgets.QFileDialog
    monkeypatch.setattr(dialog, "getSaveFileName", lambda *_: (path, "Layouts (*.json)"))
    monkeypatch.setattr(dialog, "getOpenFileName", lambda *_: (path, "Layouts (*.json)"))
    actions = {action.text().replace("&", ""): action for action in window.menus.file.actions()}
    actions["Save layout as…"].trigger()
    assert json.loads((tmp_path / "chosen.json").read_text())["windows"][0]["shown"] == [list(A)]
    window.plot_windows[0].close()
    actions["Load layout…"].trigger()
    assert [shown.view.visible for shown in window.plot_windows] == [{A}]

    monkeypatch.setattr(dialog, "getOpenFileName", lambda *_: ("", ""))  # cancelled
    actions["Load layout…"].trigger()
    assert len(window.plot_windows) == 1
