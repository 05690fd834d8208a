"""OpenDocument spreadsheets written cell by cell, for tests of importers (odfpy, the
``ods`` extra): numbers as float cells, everything else as text cells."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path


def write_ods(path: Path, sheets: Mapping[str, Sequence[Sequence[float | str]]]) -> Path:
    """Write ``sheets`` (name → rows of cells, in order) to ``path``; return it."""
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    document = OpenDocumentSpreadsheet()
    for name, rows in sheets.items():
        table = Table(name=name)
        for cells in rows:
            row = TableRow()
            for value in cells:
                if isinstance(value, float):
                    cell = TableCell(valuetype="float", value=repr(value))
                else:
                    cell = TableCell(valuetype="string")
                    cell.addElement(P(text=value))
                row.addElement(cell)
            table.addElement(row)
        document.spreadsheet.addElement(table)
    document.save(str(path))
    return path
