"""The Import dialog's table edited before the import (cells, rows), and XLSX/ODS sheets
through the dialog: a sheet chosen, its columns chosen, a broken workbook."""

from __future__ import annotations

import zipfile
from datetime import datetime
from pathlib import Path

import numpy as np
import openpyxl
from PyQt5 import QtCore, QtWidgets

from rtoc.io.formats import ExportSignal
from rtoc.io.spreadsheet import XlsxFormat
from rtoc.testing.workbooks import write_ods
from rtoc_gui.import_dialog import EDITED, READY, REFUSED, STATUS, ImportDialog
from rtoc_gui.import_plan import AUTO, PREVIEW_ROWS, Definition
from rtoc_gui.mainwindow import MainWindow

T0 = 1_700_000_000


def opened(window: MainWindow, path: Path) -> ImportDialog:
    window.import_files([str(path)])
    (dialog,) = window.importing.dialogs
    return dialog


def status(dialog: ImportDialog, row: int) -> tuple[str, str]:
    item = dialog.definitions_table.item(row, STATUS)
    return item.text(), item.background().color().name()


def type_into(qtbot, dialog: ImportDialog, row: int, column: int, text: str) -> None:
    """Select a cell of the table, type over it and press Enter, as a user edits it."""
    view = dialog.table
    index = view.model().index(row, column)
    view.setCurrentIndex(index)
    view.edit(index)
    editor = view.focusWidget()
    assert isinstance(editor, QtWidgets.QLineEdit)
    editor.selectAll()
    qtbot.keyClicks(editor, text)
    qtbot.keyClick(editor, QtCore.Qt.Key_Return)
    # the delegate commits in a queued call
    qtbot.waitUntil(lambda: view.state() != QtWidgets.QAbstractItemView.EditingState)


def import_clicked(qtbot, dialog: ImportDialog) -> None:
    qtbot.mouseClick(dialog.import_button, QtCore.Qt.LeftButton)


def test_a_bad_cell_edited_to_a_number_is_imported_as_edited(
    qtbot, window: MainWindow, logger, tmp_path
):
    path = tmp_path / "lab.csv"
    rows = [f"{T0 + i},{i}.5" for i in range(PREVIEW_ROWS + 100)]
    rows[3] = f"{T0 + 3},n/a"
    path.write_text("t,U [V]\n" + "\n".join(rows) + "\n", encoding="utf-8")
    dialog = opened(window, path)
    model = dialog.table.model()
    assert dialog.definitions() == []  # a column that cannot be read is not proposed
    dialog.set_definitions([Definition("U", 2, 1, "lab")])
    assert dialog.reasons == ["column 2 'U', line 5: 'n/a' is not a number"]
    assert status(dialog, 0)[1] == REFUSED
    assert model.headerData(3, QtCore.Qt.Vertical) == "5"  # the file's line

    type_into(qtbot, dialog, 3, 1, "3.25")
    assert model.data(model.index(3, 1)) == "3.25"
    assert model.data(model.index(3, 1), QtCore.Qt.BackgroundRole).name() == EDITED
    assert model.data(model.index(3, 1), QtCore.Qt.ToolTipRole) == "edited; the file has 'n/a'"
    assert model.data(model.index(2, 1), QtCore.Qt.BackgroundRole) is None
    assert dialog.reasons == [""] and status(dialog, 0) == ("ready", READY)
    assert dialog.edits_info.text() == "1 cell edited (imported so)"
    import_clicked(qtbot, dialog)
    stored = logger.read("lab", "U")
    assert len(stored.y) == PREVIEW_ROWS + 100 and stored.unit == "V"
    assert stored.y[:5].tolist() == [0.5, 1.5, 2.5, 3.25, 4.5]
    assert stored.y[-1] == PREVIEW_ROWS + 99.5  # past the preview: the file's own rows
    assert path.read_text(encoding="utf-8").count("n/a") == 1  # the file is left as it was


def test_an_edited_time_cell_and_a_deleted_row(qtbot, window: MainWindow, logger, tmp_path):
    path = tmp_path / "times.csv"
    path.write_text(f"t;P [W]\n{T0};1\nwhen?;2\n{T0 + 2};junk row\n{T0 + 3};4\n", encoding="utf-8")
    dialog = opened(window, path)
    model = dialog.table.model()
    dialog.set_definitions([Definition("P", 2, 1, "Bench")])
    assert dialog.reasons == ["column 1 't', line 3: 'when?' is not a number"]
    type_into(qtbot, dialog, 1, 0, str(T0 + 1))
    assert dialog.reasons == ["column 2 'P', line 4: 'junk row' is not a number"]
    dialog.table.selectRow(2)
    qtbot.mouseClick(dialog.delete_rows, QtCore.Qt.LeftButton)
    assert model.rowCount() == 3
    assert [model.headerData(r, QtCore.Qt.Vertical) for r in range(3)] == ["2", "3", "5"]
    assert dialog.reasons == [""]
    assert dialog.edits_info.text() == "1 cell edited, 1 row deleted (imported so)"

    # the time format read again keeps the definitions and the edits
    dialog.time_format.setCurrentText("unix")
    assert dialog.table.model().rowCount() == 3 and dialog.reasons == [""]
    import_clicked(qtbot, dialog)
    stored = logger.read("Bench", "P")
    assert stored.x.tolist() == [T0, T0 + 1, T0 + 3] and stored.y.tolist() == [1.0, 2.0, 4.0]

    qtbot.mouseClick(dialog.undo_edits, QtCore.Qt.LeftButton)
    assert dialog.table.model().rowCount() == 4 and dialog.edits_info.text() == ""
    assert not dialog.undo_edits.isEnabled()
    assert dialog.reasons[0].startswith("name taken")


def two_sheets(path: Path) -> float:
    book = openpyxl.Workbook()
    book.active.title = "Notes"
    book.active.append(["written", "by hand"])
    book.active.append(["no", "numbers"])
    sheet = book.create_sheet("Messung")
    sheet.append(["Zeit", "U [V]", "note", "I [A]"])
    start = datetime(2024, 3, 1, 12)
    for second in range(4):
        sheet.append([start.replace(second=second), second + 0.5, "ok", second / 10])
    book.save(path)
    return start.timestamp()


def test_an_xlsx_sheet_chosen_and_its_columns_imported(qtbot, window: MainWindow, logger, tmp_path):
    path = tmp_path / "book.xlsx"
    start = two_sheets(path)
    dialog = opened(window, path)
    assert dialog.sheet.isVisible() and dialog.sheet_label.isVisible()
    assert [dialog.sheet.itemText(i) for i in range(dialog.sheet.count())] == ["Notes", "Messung"]
    assert "sheet 'Notes' of 2, a header row" in dialog.info.text()
    assert dialog.definitions() == []  # no column of numbers on the notes

    dialog.sheet.setCurrentText("Messung")
    assert "sheet 'Messung' of 2, a header row, time column 1: Zeit (dates)" in dialog.info.text()
    model = dialog.table.model()
    assert model.headerData(3, QtCore.Qt.Horizontal) == "4: I [A]"
    assert model.data(model.index(0, 0)) == "2024-03-01 12:00:00"
    assert model.headerData(0, QtCore.Qt.Vertical) == "2"
    assert dialog.definitions() == [Definition("U", 2, 1, "book"), Definition("I", 4, 1, "book")]
    dialog.set_definitions([Definition("I", 4, 1, "PSU"), Definition("note", 3, 1, "PSU")])
    assert dialog.reasons == ["", "column 3 'note', row 2: 'ok' is not a number"]

    type_into(qtbot, dialog, 2, 3, "0,75")  # a decimal comma, as typed in Europe
    assert dialog.edits().cells == ((4, 3, "0,75"),)
    import_clicked(qtbot, dialog)
    current = logger.read("PSU", "I")
    assert current.x.tolist() == [start, start + 1, start + 2, start + 3]
    assert current.y.tolist() == [0.0, 0.1, 0.75, 0.3] and current.unit == "A"
    assert ("book", "U") not in {info.key for info in logger.signal_infos()}
    assert dialog.result.text().startswith("Imported 1 of 2 signals")
    assert any("book.xlsx" in event.text for event in logger.events if event.id == "import")


def test_an_ods_sheet_through_the_dialog(qtbot, window: MainWindow, logger, tmp_path):
    path = tmp_path / "klima.ods"
    write_ods(path, {"Klima": [["Zeit", "T [°C]"], [1.0, 20.5], [2.0, "kaputt"], [3.0, 22.0]]})
    dialog = opened(window, path)
    assert not dialog.sheet.isVisible()  # one sheet: nothing to choose
    assert "sheet 'Klima' of 1, a header row, time column 1: Zeit (unix)" in dialog.info.text()
    dialog.set_definitions([Definition("T", 2, AUTO, "Klima")])
    assert dialog.reasons == ["column 2 'T', row 3: 'kaputt' is not a number"]
    type_into(qtbot, dialog, 1, 1, "21")
    assert dialog.reasons == [""]
    import_clicked(qtbot, dialog)
    stored = logger.read("Klima", "T")
    assert stored.x.tolist() == [0.0, 1.0, 2.0] and stored.y.tolist() == [20.5, 21.0, 22.0]
    assert stored.unit == "°C"


def test_a_broken_workbook_says_why_in_the_dialog(qtbot, window: MainWindow, tmp_path):
    path = tmp_path / "broken.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("junk.bin", bytes(range(256)))
    dialog = opened(window, path)
    assert dialog.error.isVisible()
    assert dialog.error.text().startswith("Cannot import broken.xlsx: ")
    assert "not an XLSX file rtoc can read" in dialog.error.text()
    assert not dialog.import_button.isEnabled() and dialog.definitions() == []
    assert not dialog.delete_rows.isEnabled() and dialog.table.model() is None


def test_an_empty_first_sheet_says_so_and_another_can_be_chosen(
    qtbot, window: MainWindow, logger, tmp_path
):
    book = openpyxl.Workbook()
    book.active.title = "leer"
    book.create_sheet("Daten").append(["t", "U"])
    book.save(path := tmp_path / "half.xlsx")
    dialog = opened(window, path)
    assert dialog.error.text() == f"Cannot import half.xlsx: {path}: sheet 'leer' is empty"
    assert dialog.sheet.isVisible() and not dialog.import_button.isEnabled()
    dialog.sheet.setCurrentText("Daten")
    assert "sheet 'Daten' has a header row and no rows below it" in dialog.error.text()
    book["Daten"].append([1, 2.5])
    book.save(path)
    dialog.sheet.setCurrentText("leer")
    dialog.sheet.setCurrentText("Daten")
    assert not dialog.error.isVisible() and dialog.reasons == [""]
    import_clicked(qtbot, dialog)
    assert logger.read("half", "U").y.tolist() == [2.5]


def test_rtoc_s_own_xlsx_export_is_imported_directly(qtbot, window: MainWindow, logger, tmp_path):
    path = tmp_path / "export.xlsx"
    signal = ExportSignal("PSU", "U", "V", np.array([1.0, 2.0]), np.array([5.0, 6.0]))
    XlsxFormat().write(path, [signal], [])
    window.import_files([str(path)])
    assert window.importing.dialogs == []
    assert logger.read("PSU", "U").y.tolist() == [5.0, 6.0]
    assert window.importing.message.windowTitle() == "Imported export.xlsx"
