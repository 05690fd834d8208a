"""The Script widget on an in-process logger: running once, repeating, on new samples,
errors with their line, files, the help, and the highlighting."""

from __future__ import annotations

import pytest
from PyQt5 import QtCore, QtGui, QtWidgets

from rtoc.storage.sqlite import SQLiteStorage
from rtoc.storage.view import StorageView
from rtoc_gui.link import Link
from rtoc_gui.mainwindow import MainWindow
from rtoc_gui.script_runner import ScriptRunner
from rtoc_gui.script_syntax import FORMATS
from rtoc_gui.scripts import ScriptTab, ScriptWidget

WAIT = 5000  # ms


def scripts_of(window: MainWindow, source: str) -> tuple[ScriptWidget, ScriptTab]:
    tab = window.scripts.current()
    tab.editor.setPlainText(source)
    return window.scripts, tab


def output(tab: ScriptTab) -> str:
    return tab.output.toPlainText()


def refresh(window: MainWindow) -> None:
    """What the window's timers do: the signal list, then devices (and the script help)."""
    window.tick()
    window.slow_tick()


def test_the_scripts_dock_and_its_toggle(window: MainWindow):
    dock = window.findChild(QtWidgets.QDockWidget, "Scripts")
    assert dock is not None and dock.widget() is window.scripts
    toggle = next(a for a in window.findChildren(QtWidgets.QAction) if a.text() == "Scripts")
    toggle.trigger()
    assert dock.isHidden()
    toggle.trigger()
    assert not dock.isHidden()


def test_run_once_shows_what_it_printed_and_its_value(qtbot, window: MainWindow, logger):
    logger.stream(21.5, "T", "Lab", "°C")
    scripts, tab = scripts_of(window, "print('T is', Lab.T.latest)\nLab.T.latest * 2")
    run = next(a for a in scripts.findChildren(QtWidgets.QAction) if a.text() == "Run once")
    run.trigger()
    qtbot.waitUntil(lambda: "→ 43.0" in output(tab), timeout=WAIT)
    assert output(tab) == "T is 21.5\n→ 43.0"
    assert ("script 1", "T is 21.5") in logger.automation.output  # it ran in the logger


def test_repeat_runs_at_its_rate_until_stopped(qtbot, window: MainWindow):
    scripts, tab = scripts_of(window, "global n = 0\nn += 1\nprint('run', n)")
    scripts.rate.setValue(20)
    scripts.repeat()
    assert scripts.state.text() == "running 20 times a second"
    assert scripts.tabs.tabText(0).startswith("▶ ")
    qtbot.waitUntil(lambda: tab.runner.runs >= 3, timeout=WAIT)
    scripts.stop()
    assert scripts.state.text() == "stopped" and not scripts.tabs.tabText(0).startswith("▶")
    qtbot.waitUntil(lambda: not tab.runner.busy, timeout=WAIT)
    runs = tab.runner.runs
    qtbot.wait(300)  # six periods: no run comes any more
    assert tab.runner.runs == runs
    # the logger keeps the script's globals between the runs, as a job's
    assert output(tab).splitlines() == [f"run {n}" for n in range(1, runs + 1)]


def test_signal_triggered_runs_on_new_samples_of_that_signal_only(
    qtbot, window: MainWindow, logger
):
    logger.stream(1.0, "T", "Lab")
    logger.stream(5.0, "P", "Lab")
    refresh(window)
    scripts, tab = scripts_of(window, "print('T is', Lab.T.latest)")
    assert set(scripts.signal_actions) == {("Lab", "T"), ("Lab", "P")}
    scripts.run_on_signals()
    assert "choose at least one signal" in scripts.message.text()  # none chosen yet
    scripts.signal_actions["Lab", "T"].setChecked(True)
    scripts.run_on_signals()
    assert scripts.state.text() == "running on new samples of Lab.T"

    qtbot.wait(400)  # three polls: the sample from before the start runs nothing
    logger.stream(6.0, "P", "Lab")  # another signal's sample runs nothing either
    qtbot.wait(400)
    assert tab.runner.runs == 0 and output(tab) == ""

    logger.stream(2.0, "T", "Lab")
    qtbot.waitUntil(lambda: tab.runner.runs == 1, timeout=WAIT)
    assert output(tab) == "T is 2.0"
    logger.stream(3.0, "T", "Lab")
    qtbot.waitUntil(lambda: tab.runner.runs == 2, timeout=WAIT)
    assert output(tab) == "T is 2.0\nT is 3.0"

    scripts.stop()
    logger.stream(4.0, "T", "Lab")
    qtbot.wait(400)
    assert tab.runner.runs == 2


def test_a_logger_that_refuses_the_watched_signals_stops_the_trigger(
    qtbot, window: MainWindow, logger, monkeypatch
):
    logger.stream(1.0, "T", "Lab")
    refresh(window)
    scripts, tab = scripts_of(window, "print(Lab.T.latest)")
    scripts.signal_actions["Lab", "T"].setChecked(True)

    every_latest = logger.latest

    def refuse(keys=None):  # the window's own reads (all signals) still work
        if keys is None:
            return every_latest()
        raise LookupError("no signal Lab.T any more")

    monkeypatch.setattr(logger, "latest", refuse)
    scripts.run_on_signals()
    assert scripts.message.text() == "Cannot watch the signals: no signal Lab.T any more"
    assert tab.runner.mode == "stopped"
    monkeypatch.undo()
    scripts.run_on_signals()
    assert tab.runner.mode == "signals" and scripts.message.text() == ""
    monkeypatch.setattr(logger, "latest", refuse)
    qtbot.waitUntil(lambda: tab.runner.mode == "stopped", timeout=WAIT)
    assert output(tab) == "stopped watching: no signal Lab.T any more"
    assert scripts.state.text() == "stopped"


def test_signal_triggered_by_the_generator(qtbot, window: MainWindow, logger):
    logger.attach_installed("Generator")
    logger.start_device("Generator")
    qtbot.waitUntil(lambda: ("Generator", "Sine") in logger.latest(), timeout=WAIT)
    refresh(window)
    scripts, tab = scripts_of(window, "print(abs(Generator.Sine.latest) <= 1)")
    scripts.signal_actions["Generator", "Sine"].setChecked(True)
    scripts.run_on_signals()
    qtbot.waitUntil(lambda: tab.runner.runs >= 2, timeout=WAIT)
    scripts.stop()
    assert set(output(tab).splitlines()) == {"True"}


def test_an_error_shows_its_line_and_marks_it_in_the_editor(qtbot, window: MainWindow):
    scripts, tab = scripts_of(window, "a = 1\nprint('before')\nb = a / 0\nprint('after')")
    scripts.run_once()
    qtbot.waitUntil(lambda: "ZeroDivisionError" in output(tab), timeout=WAIT)
    shown = output(tab)
    assert shown.startswith("before\nscript script 1, line 3")
    assert "3 | b = a / 0" in shown and "after" not in shown
    assert tab.editor.error_line == 3
    (mark,) = tab.editor.extraSelections()
    assert mark.cursor.blockNumber() == 2 and tab.editor.textCursor().blockNumber() == 2

    tab.editor.insertPlainText("# fixed ")  # an edit takes the mark away
    assert tab.editor.error_line is None and tab.editor.extraSelections() == []

    tab.editor.setPlainText("x = 1\n\nif x\n    pass")
    scripts.run_once()
    qtbot.waitUntil(lambda: "SyntaxError" in output(tab), timeout=WAIT)
    assert "line 3" in output(tab).splitlines()[-2] and tab.editor.error_line == 3


def test_a_slow_script_is_not_repeated_faster_than_it_runs(qtbot, window: MainWindow):
    scripts, tab = scripts_of(window, "import time\ntime.sleep(0.3)\nprint('slept')")
    scripts.rate.setValue(50)
    scripts.repeat()
    qtbot.waitUntil(lambda: tab.runner.runs >= 1, timeout=WAIT)
    scripts.stop()
    assert tab.runner.skipped >= 3  # ticks that came during the run were skipped, not queued
    qtbot.waitUntil(lambda: not tab.runner.busy, timeout=WAIT)
    assert output(tab).count("slept") == tab.runner.runs


def test_a_repeat_rate_out_of_bounds_is_refused(window: MainWindow):
    runner = ScriptRunner(window.link)
    with pytest.raises(ValueError, match=r"0\.001 to 1000 times a second"):
        runner.repeat("1", "r", 0)
    with pytest.raises(ValueError, match="choose at least one signal"):
        runner.on_signals("1", "r", [])
    assert runner.mode == "stopped"
    runner.shutdown()


def test_a_view_that_cannot_run_scripts_says_why(qtbot, tmp_path):
    with StorageView(SQLiteStorage(tmp_path / "rtoc.sqlite")) as stored:
        runner = ScriptRunner(Link(stored, "rtoc.sqlite", local=True))
        with qtbot.waitSignal(runner.finished, timeout=WAIT) as ran:
            runner.run_once("print(1)", "r")
        (result,) = ran.args
        assert result.error == f"not run: {stored.control_unavailable}"
        assert "stored data only" in result.error and result.line is None
        runner.shutdown()


def test_load_and_save_roundtrip(qtbot, window: MainWindow, tmp_path):
    scripts = window.scripts
    source = tmp_path / "heater.py"
    source.write_text("print('heat')\n", encoding="utf-8")
    tab = scripts.open_file(source)
    assert tab is scripts.current() and tab.name == "heater"
    assert tab.editor.toPlainText() == "print('heat')\n"
    assert scripts.tabs.tabText(scripts.tabs.currentIndex()) == "heater"

    tab.editor.moveCursor(QtGui.QTextCursor.End)
    qtbot.keyClicks(tab.editor, "print('more')")
    assert scripts.tabs.tabText(scripts.tabs.currentIndex()) == "heater*"
    assert scripts.save_current()
    assert source.read_text(encoding="utf-8") == "print('heat')\nprint('more')"
    assert scripts.tabs.tabText(scripts.tabs.currentIndex()) == "heater"

    copy = tmp_path / "copy.py"
    assert scripts.save(tab, copy)
    assert (tab.name, tab.path) == ("copy", copy)
    again = scripts.open_file(copy)
    assert again.editor.toPlainText() == tab.editor.toPlainText()
    assert again.name == "copy (2)" and not again.modified


def test_files_that_cannot_be_read_or_written_are_named(window: MainWindow, tmp_path):
    scripts = window.scripts
    assert scripts.open_file(tmp_path / "missing.py") is None
    assert f"Cannot open {tmp_path / 'missing.py'}" in scripts.message.text()
    binary = tmp_path / "binary.py"
    binary.write_bytes(b"\xff\xfe\x00")
    assert scripts.open_file(binary) is None
    assert "Cannot open" in scripts.message.text() and "utf-8" in scripts.message.text()
    assert not scripts.save(scripts.current(), tmp_path)  # a folder
    assert f"Cannot save script 1 to {tmp_path}" in scripts.message.text()


def test_closing_an_unsaved_tab_asks_first(window: MainWindow, monkeypatch):
    scripts = window.scripts
    tab = scripts.current()
    tab.editor.insertPlainText("print(1)")
    assert tab.modified
    answers = iter([QtWidgets.QMessageBox.Cancel, QtWidgets.QMessageBox.Discard])
    monkeypatch.setattr(QtWidgets.QMessageBox, "question", lambda *args: next(answers))
    assert not scripts.close_tab(tab)
    assert scripts.current() is tab
    assert scripts.close_tab(tab)
    assert scripts.tabs.count() == 1 and scripts.current() is not tab  # a fresh one


def test_help_lists_signals_and_functions_and_inserts_them(qtbot, window: MainWindow, logger):
    logger.stream(1.0, "T", "Lab", "°C")
    logger.attach_installed("Generator")
    refresh(window)
    help = window.scripts.help
    assert "Lab.T" in help.entries("Signals")
    assert help.entries("Functions") == ["Generator.set_waveform(kind: str) -> None"]
    assert "Generator.amplitude" in help.entries("Parameters")
    assert "rtoc.mean(x, y=None, n=None)" in help.entries("Library")
    assert "trig CONDITION:" in help.entries("Language")

    window.findChild(QtWidgets.QDockWidget, "Scripts").raise_()  # behind Events at first
    tab = window.scripts.current()
    tab.editor.setPlainText("print()")
    tab.editor.moveCursor(QtGui.QTextCursor.End)
    tab.editor.moveCursor(QtGui.QTextCursor.Left)
    signals = help.groups["Signals"]
    (item,) = (signals.child(i) for i in range(signals.childCount()) if i == 0)
    assert item.text(0) == "Lab.T"
    help.scrollToItem(item)
    centre = help.visualItemRect(item).center()
    assert help.isVisible() and help.itemAt(centre) is item
    qtbot.mouseClick(help.viewport(), QtCore.Qt.LeftButton, pos=centre)  # a view needs the press
    qtbot.mouseDClick(help.viewport(), QtCore.Qt.LeftButton, pos=centre)
    assert tab.editor.toPlainText() == "print(Lab.T)"


def test_the_editor_colours_the_script_language(window: MainWindow, logger):
    logger.stream(1.0, "Sine", "Generator")
    refresh(window)
    tab = window.scripts.current()
    tab.editor.setPlainText(
        "trig Generator.Sine.latest > 0.5:  # a peak\n"
        "    print('Generator.Sine', 2)\n"
        'note = """one\n'
        'trig two"""\n'
    )

    def colour(line: int, column: int) -> str:
        block = tab.editor.document().findBlockByNumber(line)
        for span in block.layout().formats():
            if span.start <= column < span.start + span.length:
                return span.format.foreground().color().name()
        return ""

    def expected(kind: str) -> str:
        return FORMATS[kind].foreground().color().name()

    assert colour(0, 0) == expected("keyword")  # trig
    assert colour(0, 5) == expected("device")  # Generator
    assert colour(0, 15) == expected("member")  # Sine
    assert colour(0, 20) == expected("signal member")  # latest
    assert colour(0, 29) == expected("number")  # 0.5
    assert colour(0, 36) == expected("comment")  # a peak
    assert colour(1, 4) == expected("script")  # print
    assert colour(1, 11) == expected("string")  # Generator inside a string
    assert colour(3, 0) == expected("string")  # trig inside a triple-quoted string
