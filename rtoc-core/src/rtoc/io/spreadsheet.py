"""XLSX (openpyxl, ``rtoc-core[xlsx]``) and ODS (odfpy, ``rtoc-core[ods]``).

Reading takes the first sheet, or ``--sheet NAME``, by the rules of
:mod:`rtoc.io.table`; :meth:`Workbook.preview` shows a sheet's head and
first rows and names the workbook's sheets (the GUI's Import dialog).
Writing puts every signal in one sheet ``signals`` in rtoc's long layout
(``device, signal, unit, x, y``), which reads back with its names and
units. ODS keeps float64 values bit for bit; openpyxl writes 16
significant digits, so XLSX values come back within one or two units in
the last place (Excel itself shows 15). A NaN is an empty cell and
infinities are the texts ``inf``/``-inf``, as spreadsheets hold neither.
A sheet holds at most 1,048,575 samples (Excel's row limit): more is
refused, use CSV or Parquet.
"""

from __future__ import annotations

import abc
import contextlib
import math
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from pathlib import Path

import attrs

from rtoc.events import Event
from rtoc.files import write_atomically_binary
from rtoc.io.formats import Block, ExportSignal, FileFormatError, ImportOptions, Target, require
from rtoc.io.table import Row, TableHead, table_blocks, table_head

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


#: Opens a workbook: its sheets' names, and the rows of a sheet by its name.
Book = tuple[list[str], Callable[[str], Iterator[Row]]]


@attrs.frozen
class SheetPreview:
    """A sheet's first rows as the importer reads them, for the GUI's Import dialog.

    ``head`` is None for a sheet without any cell. ``header`` is the header row,
    ``rows`` the first data rows (empty rows left out), each with its row
    number, which :class:`rtoc.io.edits.Edits` name rows by.
    """

    sheets: tuple[str, ...]
    sheet: str
    head: TableHead | None
    header: Row | None
    rows: tuple[Row, ...]
    #: the sheet has more rows than ``rows``
    more: bool


class Workbook(abc.ABC):
    """An importer of workbooks: a sheet read through :mod:`rtoc.io.table`, and a preview
    of it; a format (XLSX, ODS, a plugin's) says how to open the book."""

    @abc.abstractmethod
    def _book(self, path: Path) -> contextlib.AbstractContextManager[Book]:
        """The book's sheet names and rows; FileFormatError for a file that is none."""

    def read(self, path: Path, options: ImportOptions) -> Iterator[Block]:
        with self._book(path) as (names, rows_of):
            yield from table_blocks(path, rows_of(_sheet(path, names, options)), options)

    def preview(self, path: Path, options: ImportOptions, limit: int) -> SheetPreview:
        """The sheet ``options.sheet`` (or the first), its head and first ``limit`` data
        rows; FileFormatError for a file that is no such workbook or a sheet not in it."""
        with self._book(path) as (names, rows_of):
            sheet = _sheet(path, names, options)
            rows = (row for row in rows_of(sheet) if any(c not in (None, "") for c in row[1]))
            first = next(rows, None)
            if first is None:
                return SheetPreview(tuple(names), sheet, None, None, (), False)
            head = table_head(path, first[1], options)
            data = [] if head.header else [first]
            more = False
            for row in rows:
                if len(data) == limit:
                    more = True
                    break
                data.append(row)
            header = first if head.header else None
            return SheetPreview(tuple(names), sheet, head, header, tuple(data), more)


class XlsxFormat(Workbook):
    name = "xlsx"
    suffixes = (".xlsx", ".xlsm")
    extra = "xlsx"

    @contextlib.contextmanager
    def _book(self, path: Path) -> Iterator[Book]:
        openpyxl = require("openpyxl", "xlsx", "read .xlsx")
        try:
            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
            raise FileFormatError(path, f"not an XLSX file rtoc can read: {error}") from None

        def rows_of(name: str) -> Iterator[Row]:
            return enumerate((list(row) for row in book[name].iter_rows(values_only=True)), 1)

        try:
            yield book.sheetnames, rows_of
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


def _sheet(path: Path, names: list[str], options: ImportOptions) -> str:
    if options.sheet is None:
        if not names:
            raise FileFormatError(path, "the file has no sheet")
        return names[0]
    if options.sheet not in names:
        raise FileFormatError(path, f"no sheet {options.sheet!r}; sheets: {', '.join(names)}")
    return options.sheet


class OdsFormat(Workbook):
    name = "ods"
    suffixes = (".ods",)
    extra = "ods"

    @contextlib.contextmanager
    def _book(self, path: Path) -> Iterator[Book]:
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
        yield list(tables), lambda name: _ods_rows(tables[name])

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
