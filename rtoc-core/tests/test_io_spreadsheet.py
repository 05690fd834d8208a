"""XLSX and ODS: files made by openpyxl and odfpy, and rtoc's own export read back."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import openpyxl
import pytest
from odf.opendocument import OpenDocumentSpreadsheet
from odf.table import Table, TableCell, TableRow
from odf.text import P

from rtoc.io.formats import ExportSignal, FileFormatError, ImportOptions
from rtoc.io.ingest import read_file
from rtoc.io.spreadsheet import MAX_ROWS, OdsFormat, XlsxFormat


def signals_of(path, importer, **options):
    with read_file(path, importer, ImportOptions(**options), "D") as parsed:
        found = {key: parsed.samples(key) for key in parsed.signals}
        return found, {key: s.unit for key, s in parsed.signals.items()}, parsed.skipped


def test_xlsx_from_openpyxl_with_dates_units_and_a_second_sheet(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Datum", "U [V]", "I (A)"])
    sheet.append([datetime(2024, 3, 1, 12, 0, 0), 1.5, 2])
    sheet.append([datetime(2024, 3, 1, 12, 0, 1), None, "0,5"])
    other = book.create_sheet("Zwei")
    other.append(["t", "P"])
    other.append([5, 7.25])
    path = tmp_path / "lab.xlsx"
    book.save(path)
    found, units, _ = signals_of(path, XlsxFormat())
    start = datetime(2024, 3, 1, 12).timestamp()
    assert found[("D", "U")][0].tolist() == [start, start + 1]
    assert found[("D", "U")][1][0] == 1.5 and np.isnan(found[("D", "U")][1][1])
    assert found[("D", "I")][1].tolist() == [2.0, 0.5]
    assert units == {("D", "U"): "V", ("D", "I"): "A"}
    found, _, _ = signals_of(path, XlsxFormat(), sheet="Zwei")
    assert found[("D", "P")][0].tolist() == [5.0] and found[("D", "P")][1].tolist() == [7.25]
    with pytest.raises(FileFormatError, match="no sheet 'Drei'; sheets: Sheet, Zwei"):
        signals_of(path, XlsxFormat(), sheet="Drei")


def test_xlsx_bad_cell_names_row_and_column_or_is_skipped(tmp_path):
    book = openpyxl.Workbook()
    for row in (["t", "U"], [1, 1.0], [2, "kaputt"], [3, 3.0]):
        book.active.append(row)
    path = tmp_path / "bad.xlsx"
    book.save(path)
    with pytest.raises(FileFormatError) as caught:
        signals_of(path, XlsxFormat())
    assert str(caught.value) == f"{path}:3 column 'U': 'kaputt' is not a number"
    found, _, skipped = signals_of(path, XlsxFormat(), skip_bad=True)
    assert found[("D", "U")][1].tolist() == [1.0, 3.0] and [b.row for b in skipped] == [3]


def test_xlsx_chosen_columns_and_row_numbers(tmp_path):
    book = openpyxl.Workbook()
    for row in (["t", "note", "U"], [5, "ok", 1.0], [6, "door open", 2.0]):
        book.active.append(row)
    path = tmp_path / "notes.xlsx"
    book.save(path)
    found, _, _ = signals_of(path, XlsxFormat(), columns=("U",))
    assert list(found) == [("D", "U")] and found[("D", "U")][0].tolist() == [5.0, 6.0]
    found, _, _ = signals_of(path, XlsxFormat(), columns=("3",), time_column="0")
    assert found[("D", "U")][0].tolist() == [0.0, 1.0]


@pytest.mark.parametrize("fmt", [XlsxFormat(), OdsFormat()], ids=["xlsx", "ods"])
def test_export_reads_back_bit_for_bit(tmp_path, fmt):
    rng = np.random.default_rng(11)
    exported = [
        ExportSignal("PSU", "U", "V", 1.7e9 + np.cumsum(rng.random(200)), rng.normal(size=200)),
        ExportSignal(
            "PSU", "I", "", np.array([1.0, 2.0, 3.0]), np.array([np.nan, np.inf, -1e-300])
        ),
    ]
    path = tmp_path / f"out.{fmt.name}"
    fmt.write(path, exported, [])
    found, units, _ = signals_of(path, fmt)
    assert units == {("PSU", "U"): "V", ("PSU", "I"): ""}
    for signal in exported:
        x, y = found[(signal.device, signal.name)]
        if fmt.name == "ods":
            assert x.tobytes() == signal.x.tobytes() and y.tobytes() == signal.y.tobytes()
        else:  # openpyxl writes 16 significant digits
            np.testing.assert_allclose(x, signal.x, rtol=4e-16)
            np.testing.assert_allclose(y, signal.y, rtol=4e-16)


def test_more_samples_than_a_sheet_holds_are_refused(tmp_path):
    big = np.zeros(MAX_ROWS + 1)
    with pytest.raises(ValueError, match="export to csv or parquet"):
        XlsxFormat().write(tmp_path / "big.xlsx", [ExportSignal("D", "S", "", big, big)], [])


def test_ods_from_odfpy_with_dates_and_repeated_cells(tmp_path):
    document = OpenDocumentSpreadsheet()
    table = Table(name="Messung")

    def row(*cells, repeat_rows=None):
        element = TableRow(numberrowsrepeated=repeat_rows) if repeat_rows else TableRow()
        for cell in cells:
            element.addElement(cell)
        table.addElement(element)

    def text(value):
        cell = TableCell(valuetype="string")
        cell.addElement(P(text=value))
        return cell

    row(text("Zeit"), text("T [°C]"), text("H"))

    def number(value):
        return TableCell(valuetype="float", value=value)

    def when(value):
        return TableCell(valuetype="date", datevalue=value)

    row(when("2024-03-01T12:00:00"), number("20.5"), number("40"))
    row(when("2024-03-01T12:00:01"), TableCell(numbercolumnsrepeated=2))  # two empty cells
    row(TableCell(numbercolumnsrepeated=1024), repeat_rows=1048000)  # the sheet's empty rest
    document.spreadsheet.addElement(table)
    path = tmp_path / "klima.ods"
    document.save(str(path))
    found, units, _ = signals_of(path, OdsFormat())
    start = datetime(2024, 3, 1, 12).timestamp()
    assert found[("D", "T")][0].tolist() == [start, start + 1]
    assert found[("D", "T")][1][0] == 20.5 and np.isnan(found[("D", "T")][1][1])
    assert units[("D", "T")] == "°C"
