"""XLSX (openpyxl, ``rtoc-core[xlsx]``) and ODS (odfpy, ``rtoc-core[ods]``).

Reading takes the first sheet, or ``--sheet NAME``, by the rules of
:mod:`rtoc.io.table`. Writing puts every signal in one sheet ``signals`` in
rtoc's long layout (``device, signal, unit, x, y``), which reads back with
its names and units. ODS keeps float64 values bit for bit; openpyxl writes
16 significant digits, so XLSX values come back within one or two units in
the last place (Excel itself shows 15). A NaN is an empty cell and
infinities are the texts ``inf``/``-inf``, as spreadsheets hold neither. A sheet holds at most
1,048,575 samples (Excel's row limit): more is refused, use CSV or Parquet.
"""

from __future__ import annotations

import math
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from pathlib import Path

from rtoc.events import Event
from rtoc.files import write_atomically_binary
from rtoc.io.formats import Block, ExportSignal, FileFormatError, ImportOptions, Target, require
from rtoc.io.table import Row, table_blocks

MAX_ROWS = 1_048_575
HEADER = ["device", "signal", "unit", "x", "y"]


def _checked(signals: Iterable[ExportSignal]) -> list[ExportSignal]:
    """``signals`` as a list; ValueError past Excel's row limit, before anything is written."""
    signals = list(signals)
    if sum(len(signal.x) for signal in signals) > MAX_ROWS:
        raise ValueError(
            f"a spreadsheet holds at most {MAX_ROWS} samples; export to csv or parquet"
        )
    return signals


def _rows(signals: list[ExportSignal]) -> Iterator[list[object]]:
    """The long layout's rows."""
    for signal in signals:
        names = [signal.device, signal.name, signal.unit]
        for x, y in zip(signal.x.tolist(), signal.y.tolist(), strict=True):
            yield [*names, _cell(x), _cell(y)]


def _cell(value: float) -> float | str | None:
    if math.isnan(value):
        return None
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return value


def _save(target: Target, save) -> None:
    if isinstance(target, Path):
        with write_atomically_binary(target) as file:
            save(file)
    else:
        save(target)


class XlsxFormat:
    name = "xlsx"
    suffixes = (".xlsx", ".xlsm")
    extra = "xlsx"

    def read(self, path: Path, options: ImportOptions) -> Iterator[Block]:
        openpyxl = require("openpyxl", "xlsx", "read .xlsx")
        try:
            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
            raise FileFormatError(path, f"not an XLSX file rtoc can read: {error}") from None
        try:
            sheet = _sheet(path, book.sheetnames, options, lambda name: book[name])
            rows = enumerate((list(row) for row in sheet.iter_rows(values_only=True)), 1)
            yield from table_blocks(path, rows, options)
        finally:
            book.close()

    def write(
        self, target: Target, signals: Iterable[ExportSignal], events: Sequence[Event]
    ) -> None:
        openpyxl = require("openpyxl", "xlsx", "write .xlsx")
        signals = _checked(signals)
        book = openpyxl.Workbook(write_only=True)
        sheet = book.create_sheet("signals")
        sheet.append(HEADER)
        for row in _rows(signals):
            sheet.append(row)
        _save(target, book.save)


def _sheet(path: Path, names: list[str], options: ImportOptions, get):
    if options.sheet is None:
        if not names:
            raise FileFormatError(path, "the file has no sheet")
        return get(names[0])
    if options.sheet not in names:
        raise FileFormatError(path, f"no sheet {options.sheet!r}; sheets: {', '.join(names)}")
    return get(options.sheet)


class OdsFormat:
    name = "ods"
    suffixes = (".ods",)
    extra = "ods"

    def read(self, path: Path, options: ImportOptions) -> Iterator[Block]:
        require("odf", "ods", "read .ods")
        from odf.opendocument import load
        from odf.table import Table

        try:
            document = load(str(path))
        except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
            raise FileFormatError(path, f"not an ODS file rtoc can read: {error}") from None
        tables = {
            str(t.getAttribute("name")): t for t in document.spreadsheet.getElementsByType(Table)
        }
        table = _sheet(path, list(tables), options, tables.__getitem__)
        yield from table_blocks(path, _ods_rows(table), options)

    def write(
        self, target: Target, signals: Iterable[ExportSignal], events: Sequence[Event]
    ) -> None:
        require("odf", "ods", "write .ods")
        from odf.opendocument import OpenDocumentSpreadsheet
        from odf.table import Table, TableCell, TableRow
        from odf.text import P

        signals = _checked(signals)
        document = OpenDocumentSpreadsheet()
        table = Table(name="signals")
        for cells in [HEADER, *_rows(signals)]:
            row = TableRow()
            for value in cells:
                if value is None:
                    cell = TableCell()
                elif isinstance(value, float):
                    cell = TableCell(valuetype="float", value=repr(value))
                    cell.addElement(P(text=repr(value)))
                else:
                    cell = TableCell(valuetype="string")
                    cell.addElement(P(text=str(value)))
                row.addElement(cell)
            table.addElement(row)
        document.spreadsheet.addElement(table)
        _save(target, document.write)


#: A run of repeated empty cells or rows longer than this is the sheet's empty rest.
_EMPTY_TAIL = 1000


def _ods_rows(table) -> Iterator[Row]:
    from odf.namespaces import TABLENS
    from odf.table import TableRow

    line = 0
    for row in table.getElementsByType(TableRow):
        repeat = int(row.getAttrNS(TABLENS, "number-rows-repeated") or 1)
        cells = _ods_cells(row)
        if repeat > _EMPTY_TAIL and not any(cell is not None for cell in cells):
            return
        for _ in range(repeat):
            line += 1
            yield line, list(cells)


def _ods_cells(row) -> list[object]:
    from odf.namespaces import OFFICENS, TABLENS

    cells: list[object] = []
    for cell in row.childNodes:
        if cell.qname[1] not in ("table-cell", "covered-table-cell"):
            continue
        repeat = int(cell.getAttrNS(TABLENS, "number-columns-repeated") or 1)
        kind = cell.getAttrNS(OFFICENS, "value-type")
        if kind in ("float", "percentage", "currency"):
            value: object = float(cell.getAttrNS(OFFICENS, "value"))
        elif kind == "date":
            value = datetime.fromisoformat(cell.getAttrNS(OFFICENS, "date-value"))
        elif kind in ("string", None) and str(cell):
            value = str(cell)
        elif kind == "boolean":
            value = cell.getAttrNS(OFFICENS, "boolean-value") == "true"
        else:
            value = None
        if value is None and repeat > _EMPTY_TAIL:
            break
        cells.extend([value] * repeat)
    while cells and cells[-1] is None:
        cells.pop()
    return cells
