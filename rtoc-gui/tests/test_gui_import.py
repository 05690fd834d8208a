"""The Import dialog on an in-process logger: a CSV through it, definitions refused with their
reasons, files dropped, text pasted, broken files; other formats imported directly."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from gui_helpers import GUI, Server
from PyQt5 import QtCore, QtGui, QtWidgets

from rtoc.config import Config
from rtoc.frontend import EventQuery
from rtoc_gui.app import build_window
from rtoc_gui.import_dialog import READY, REFUSED, STATUS, ImportDialog
from rtoc_gui.import_plan import AUTO, PREVIEW_ROWS, Definition
from rtoc_gui.mainwindow import MainWindow
from rtoc_gui.plugin import connect

T0 = 1_700_000_000.0
LAB = (
    "t,U [V],note,I [A]\n"
    f"{T0:.0f},1.5,ok,0.1\n"
    f"{T0 + 1:.0f},1.75,door open,0.2\n"
    f"{T0 + 2:.0f},2,,0.3\n"
)


def only_dialog(window: MainWindow) -> ImportDialog:
    (dialog,) = window.importing.dialogs
    return dialog


def opened(window: MainWindow, path: Path) -> ImportDialog:
    window.import_files([str(path)])
    return only_dialog(window)


def status(dialog: ImportDialog, row: int) -> tuple[str, str]:
    """(text, background colour) of a definition's status cell."""
    item = dialog.definitions_table.item(row, STATUS)
    return item.text(), item.background().color().name()


def click(qtbot, widget) -> None:
    qtbot.mouseClick(widget, QtCore.Qt.LeftButton)


def test_csv_through_the_dialog_into_the_logger(qtbot, window: MainWindow, logger, tmp_path):
    path = tmp_path / "lab.csv"
    path.write_text(LAB, encoding="utf-8")
    dialog = opened(window, path)
    assert "delimiter ',', decimal point, a header line, time column 1: t (unix)" in (
        dialog.info.text()
    )
    model = dialog.table.model()
    assert (model.rowCount(), model.columnCount()) == (3, 4)
    assert model.headerData(1, QtCore.Qt.Horizontal) == "2: U [V]"
    assert model.data(model.index(1, 2)) == "door open"
    # proposed: one signal per column of numbers over the time column; not the notes
    assert dialog.definitions() == [Definition("U", 2, 1, "lab"), Definition("I", 4, 1, "lab")]
    assert dialog.reasons == ["", ""] and status(dialog, 0) == ("ready", READY)

    dialog.set_definitions(
        [
            Definition("Voltage", 2, 1, "PSU"),
            Definition("I", 4, 1),
            Definition("Current by row", 4, AUTO, "PSU"),
        ]
    )
    click(qtbot, dialog.import_button)
    voltage = logger.read("PSU", "Voltage")
    assert voltage.x.tolist() == [T0, T0 + 1, T0 + 2] and voltage.y.tolist() == [1.5, 1.75, 2.0]
    assert voltage.unit == "V"
    assert logger.read("lab", "I").y.tolist() == [0.1, 0.2, 0.3]
    by_row = logger.read("PSU", "Current by row")
    assert by_row.x.tolist() == [0.0, 1.0, 2.0] and by_row.y.tolist() == [0.1, 0.2, 0.3]
    assert [(o.key, o.count, o.error) for o in dialog.outcomes] == [
        (("PSU", "Voltage"), 3, ""),
        (("lab", "I"), 3, ""),
        (("PSU", "Current by row"), 3, ""),
    ]
    result = dialog.result.text()
    assert result.startswith("Imported 3 of 3 signals into this computer.")
    assert "PSU.Voltage [V]: 3 samples" in result and "lab.I [A]: 3 samples" in result
    records = [event for event in logger.events if event.id == "import"]
    assert len(records) == 2 and all("lab.csv" in event.text for event in records)
    # now the names are the logger's: importing them again is refused before reading
    assert dialog.reasons[0] == "name taken: the logger has a signal PSU.Voltage"
    assert status(dialog, 0)[1] == REFUSED


def test_definitions_that_cannot_be_imported_are_coloured_with_why(
    qtbot, window: MainWindow, logger, tmp_path
):
    path = tmp_path / "lab.csv"
    path.write_text("t,U,note,back,gaps\n1,1,ok,3,1\n2,2,ok,2,\n3,3,ok,1,3\n", encoding="utf-8")
    logger.stream(5.0, "taken", "Lab", x=T0)
    dialog = opened(window, path)
    dialog.set_definitions(
        [
            Definition("U", 2, 1, "Lab"),
            Definition("note", 3, 1, "Lab"),
            Definition("taken", 2, 1, "Lab"),
            Definition("U", 5, AUTO, "Lab"),
            Definition("", 2, 1, "Lab"),
            Definition("same", 2, 2, "Lab"),
            Definition("over back", 2, 4, "Lab"),
            Definition("over gaps", 2, 5, "Lab"),
            Definition("dotted", 2, 1, "Lab.1"),
        ]
    )
    assert dialog.reasons == [
        "",
        "column 3 'note', line 2: 'ok' is not a number",
        "name taken: the logger has a signal Lab.taken",
        "name taken: definition 1 is Lab.U too",
        "no signal name",
        "X and Y are the same column",
        "X column 4 is not increasing: it goes back 2 times in the first 3 rows",
        "X column 5 has gaps: an empty or infinite time in data row 2",
        "the device name 'Lab.1' has a dot, which rtoc.io reads as Device.Signal",
    ]
    assert status(dialog, 0) == ("ready", READY)
    text, colour = status(dialog, 1)
    assert colour == REFUSED and "'ok' is not a number" in text
    assert dialog.definitions_table.item(1, STATUS).toolTip() == text
    assert dialog.why.text().splitlines()[:2] == [
        "2: column 3 'note', line 2: 'ok' is not a number",
        "3: name taken: the logger has a signal Lab.taken",
    ]

    # a Y column changed in its box is checked again at once
    dialog.definitions_table.cellWidget(1, 3).setCurrentIndex(4)  # 5: gaps (NaN is a gap in y)
    assert dialog.reasons[1] == ""

    click(qtbot, dialog.import_button)
    assert [o.key for o in dialog.outcomes] == [("Lab", "U"), ("Lab", "note")]
    assert logger.read("Lab", "U").y.tolist() == [1.0, 2.0, 3.0]
    assert np.isnan(logger.read("Lab", "note").y[1])
    assert logger.read("Lab", "taken").y.tolist() == [5.0]
    result = dialog.result.text()
    assert result.startswith("Imported 2 of 9 signals") and "Not imported:" in result
    assert "over back: X column 4 is not increasing" in result
    assert ("Lab", "same") not in {info.key for info in logger.signal_infos()}


def test_the_time_format_is_rtoc_import_s_and_keeps_the_definitions(
    qtbot, window: MainWindow, logger, tmp_path
):
    path = tmp_path / "iso.csv"
    path.write_text("t,U\n2024-03-01T12:00:00Z,1\n2024-03-01T12:00:01Z,2\n", encoding="utf-8")
    dialog = opened(window, path)
    assert "time column 1: t (iso)" in dialog.info.text()
    dialog.set_definitions([Definition("Volt", 2, 1, "Bench")])
    dialog.time_format.setCurrentText("unix")
    assert "time column 1: t (unix)" in dialog.info.text()
    assert dialog.definitions() == [Definition("Volt", 2, 1, "Bench")]
    assert dialog.reasons == ["column 1 't', line 2: '2024-03-01T12:00:00Z' is not a number"]
    dialog.time_format.setCurrentText("auto")
    assert dialog.reasons == [""]
    click(qtbot, dialog.import_button)
    assert logger.read("Bench", "Volt").x.tolist() == [1709294400.0, 1709294401.0]


def test_add_and_remove_definitions(qtbot, window: MainWindow, tmp_path):
    path = tmp_path / "three.csv"
    path.write_text("t,a,b\n1,2,3\n2,3,4\n", encoding="utf-8")
    dialog = opened(window, path)
    dialog.set_definitions([Definition("a", 2, 1)])
    dialog.add_definition()  # the next column not taken, over the same X
    assert dialog.definitions()[1] == Definition("b", 3, 1)
    dialog.definitions_table.selectRow(0)
    dialog.remove_selected()
    assert dialog.definitions() == [Definition("b", 3, 1)] and dialog.reasons == [""]


def drop(window: MainWindow, mime: QtCore.QMimeData) -> None:
    """Drag ``mime`` over the plot and drop it: the window takes what its plot does not."""
    target = window.plot.plot  # the pyqtgraph view, which takes no drops itself
    point = QtCore.QPoint(30, 30)
    enter = QtGui.QDragEnterEvent(
        point, QtCore.Qt.CopyAction, mime, QtCore.Qt.LeftButton, QtCore.Qt.NoModifier
    )
    QtWidgets.QApplication.sendEvent(target, enter)
    assert enter.isAccepted()
    dropped = QtGui.QDropEvent(
        QtCore.QPointF(point),
        QtCore.Qt.CopyAction,
        mime,
        QtCore.Qt.LeftButton,
        QtCore.Qt.NoModifier,
    )
    QtWidgets.QApplication.sendEvent(target, dropped)
    assert dropped.isAccepted()


def test_a_csv_dropped_on_the_window_opens_the_dialog(qtbot, window: MainWindow, tmp_path):
    path = tmp_path / "lab.csv"
    path.write_text(LAB, encoding="utf-8")
    mime = QtCore.QMimeData()
    mime.setUrls([QtCore.QUrl.fromLocalFile(str(path))])
    drop(window, mime)
    dialog = only_dialog(window)
    assert dialog.isVisible() and dialog.path == path
    assert dialog.windowTitle() == "Import — lab.csv"
    dialog.close()
    assert window.importing.dialogs == [] and not dialog.folder.exists()


def test_a_session_dropped_is_imported_directly_with_a_summary(
    qtbot, window: MainWindow, logger, tmp_path
):
    path = tmp_path / "session.json"
    signals = {"Lab.T": {"x": [T0, T0 + 1], "y": [20.5, 21.0], "unit": "°C"}}
    path.write_text(json.dumps({"signals": signals, "events": []}), encoding="utf-8")
    mime = QtCore.QMimeData()
    mime.setUrls([QtCore.QUrl.fromLocalFile(str(path))])
    drop(window, mime)
    assert window.importing.dialogs == []
    assert logger.read("Lab", "T").y.tolist() == [20.5, 21.0]
    message = window.importing.message
    assert message.windowTitle() == "Imported session.json"
    assert "Lab.T [°C]: 2 samples" in message.text()
    assert "Sent 2 samples to this computer." in message.text()
    window.import_files([str(path)])  # the same file again: refused, nothing doubled
    assert window.importing.message.windowTitle() == "Cannot import session.json"
    assert "was imported into these signals before" in window.importing.message.text()
    assert len(logger.read("Lab", "T").y) == 2


def test_pasted_tab_separated_text_opens_the_dialog(qtbot, window: MainWindow, logger):
    QtWidgets.QApplication.clipboard().setText("Zeit\tDruck [bar]\n10\t1,5\n11\t1,25\n")
    with qtbot.waitActive(window):
        window.activateWindow()
    field = window.events.text  # a text field focused keeps Ctrl+V to itself
    field.setFocus()
    qtbot.keySequence(field, QtGui.QKeySequence.Paste)
    assert window.importing.dialogs == [] and "Druck" in field.text()
    field.clear()
    field.clearFocus()
    qtbot.keySequence(window, QtGui.QKeySequence.Paste)
    dialog = only_dialog(window)
    assert dialog.path.name == "clipboard.txt"
    assert "delimiter tab, decimal comma" in dialog.info.text()
    assert dialog.definitions() == [Definition("Druck", 2, 1, "clipboard")]
    click(qtbot, dialog.import_button)
    stored = logger.read("clipboard", "Druck")
    assert (stored.x.tolist(), stored.y.tolist(), stored.unit) == ([10.0, 11.0], [1.5, 1.25], "bar")
    folder = dialog.path.parent
    dialog.close()
    assert not folder.exists()


def test_text_dropped_is_taken_as_pasted_and_no_text_is_said(qtbot, window: MainWindow):
    mime = QtCore.QMimeData()
    mime.setText("a;b\n1;2\n")
    drop(window, mime)
    assert only_dialog(window).definitions() == [Definition("b", 2, 1, "clipboard")]
    QtWidgets.QApplication.clipboard().setText("  \n")
    assert window.importing.paste() is None
    assert window.importing.message.text() == "The clipboard holds no text."


@pytest.mark.parametrize(
    ("content", "error"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "binary data, not a text"),
        (b"", "the file is empty: no header and no rows"),
        (b"t,U\n", "a header line and no rows below it"),
    ],
)
def test_a_file_that_cannot_be_read_says_why_in_the_dialog(
    qtbot, window: MainWindow, tmp_path, content, error
):
    path = tmp_path / "broken.csv"
    path.write_bytes(content)
    dialog = opened(window, path)
    assert dialog.error.isVisible()
    assert dialog.error.text().startswith("Cannot import broken.csv: ")
    assert error in dialog.error.text()
    assert not dialog.import_button.isEnabled() and dialog.definitions() == []


def test_ragged_rows_are_refused_until_skipped(qtbot, window: MainWindow, logger, tmp_path):
    path = tmp_path / "ragged.csv"
    path.write_text("t,U\n1,1\n2\n3,3,3\n4,4\n", encoding="utf-8")
    dialog = opened(window, path)
    assert dialog.reasons == ["line 3: has 1 cells, expected 2"]
    dialog.skip_bad.setChecked(True)
    assert dialog.reasons == [""]
    click(qtbot, dialog.import_button)
    assert logger.read("ragged", "U").x.tolist() == [1.0, 4.0]


def test_a_bad_row_past_the_first_rows_fails_the_import_and_says_where(
    qtbot, window: MainWindow, logger, tmp_path
):
    rows = "".join(f"{i},{i}\n" for i in range(PREVIEW_ROWS + 50))
    path = tmp_path / "long.csv"
    path.write_text("t,U\n" + rows + "999,n/a\n", encoding="utf-8")
    dialog = opened(window, path)
    assert dialog.reasons == [""] and "(the file has more)" in dialog.info.text()
    assert dialog.table.model().rowCount() == PREVIEW_ROWS
    click(qtbot, dialog.import_button)
    (outcome,) = dialog.outcomes
    assert outcome.count == 0
    assert outcome.error == f"{path}:{PREVIEW_ROWS + 52} column 'U': 'n/a' is not a number"
    assert "Imported 0 of 1 signals" in dialog.result.text()
    assert ("long", "U") not in {info.key for info in logger.signal_infos()}


def test_a_file_no_format_reads_is_a_message(qtbot, window: MainWindow, tmp_path):
    path = tmp_path / "notes.docx"
    path.write_bytes(b"PK")
    window.import_files([str(path)])
    assert window.importing.dialogs == []
    assert "no format reads .docx" in window.importing.message.text()


def test_import_into_a_logger_over_tcp(qtbot, tmp_path):
    server = Server(tmp_path / "home").start()
    where = f"127.0.0.1:{server.port}"
    try:
        remote = connect(where, None, Config())
        window = build_window(remote, where, GUI, local=False)
        qtbot.addWidget(window)
        path = tmp_path / "lab.csv"
        path.write_text(LAB, encoding="utf-8")
        dialog = opened(window, path)
        dialog.set_definitions([Definition("U", 2, 1, "Bench"), Definition("n", 4, AUTO, "Bench")])
        assert dialog.reasons == ["", ""]
        click(qtbot, dialog.import_button)
        assert dialog.result.text().startswith(f"Imported 2 of 2 signals into {where}.")
        voltage = remote.read("Bench", "U")
        assert voltage.x.tolist() == [T0, T0 + 1, T0 + 2] and voltage.y.tolist() == [1.5, 1.75, 2.0]
        assert voltage.unit == "V"
        assert remote.read("Bench", "n").x.tolist() == [0.0, 1.0, 2.0]
        page = remote.event_page(EventQuery(devices=["rtoc"], text="lab.csv"))
        assert page.total == 2  # the import's record, one per X column read
        assert dialog.reasons[0] == "name taken: the logger has a signal Bench.U"
        window.close()
        remote.close()
    finally:
        server.stop()
