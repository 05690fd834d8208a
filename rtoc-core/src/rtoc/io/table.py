"""Spreadsheet rows (typed cells, as openpyxl and odfpy give them) into blocks.

The rules are the CSV importer's (:mod:`rtoc.io.csv_sniff`): a header when
the first row has a cell that is text and not a number, ``U [V]`` names the
unit, the time column found by name, by holding dates, or as the first of
several. A time cell is a date (local time when it has no zone), a number
(unix seconds; Excel serial days with ``--time-format excel``) or ISO text.
rtoc's own long layout (``device, signal, unit, x, y``) keeps its names.
Cells edited and rows deleted (``ImportOptions.edits``, by row number) are
applied to the rows as they are read.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path

import attrs
import numpy as np

from rtoc.io.csv_import import BLOCK_ROWS, LONG_LAYOUT, _runs
from rtoc.io.csv_sniff import _name_unit, chosen_columns, named_time_column, row_numbers
from rtoc.io.formats import BadRow, Block, FileFormatError, ImportOptions
from rtoc.io.times import parse_iso

Row = tuple[int, list[object]]  # (line number, cells)
EXCEL_DAY_0 = datetime(1899, 12, 30)


class _Bad(ValueError):
    pass


@attrs.frozen
class TableHead:
    """How a sheet's first row reads: column names and units (from a header row, else
    ``col1``, ``col2``, ...), the time column's index (None: x is the row number) and
    the value columns ``ImportOptions.columns`` chose (None: every one)."""

    names: tuple[str, ...]
    units: tuple[str, ...]
    header: bool
    time_index: int | None
    chosen: tuple[int, ...] | None
    long: bool


def table_head(path: Path, cells: list[object], options: ImportOptions) -> TableHead:
    """The head of a table whose first non-empty row is ``cells``; FileFormatError for
    ``options`` naming columns it does not have."""
    header = any(isinstance(c, str) and not _is_number(c) for c in cells)
    if header:
        names, units = zip(*(_name_unit(str(c or "")) for c in cells), strict=True)
    else:
        names = tuple(f"col{i + 1}" for i in range(len(cells)))
        units = ("",) * len(cells)
    long = tuple(str(n).casefold() for n in names) == LONG_LAYOUT
    time_index = 3 if long else _time_index(path, names, options)
    chosen = None if long else chosen_columns(path, names, options)
    return TableHead(tuple(names), tuple(units), header, time_index, chosen, long)


def table_blocks(path: Path, rows: Iterable[Row], options: ImportOptions) -> Iterator[Block]:
    """Blocks of up to BLOCK_ROWS rows; FileFormatError at a bad cell unless ``skip_bad``.

    ``options.edits`` apply to the rows below the header as they are read.
    """
    rows = iter(row for row in rows if any(cell not in (None, "") for cell in row[1]))
    first = next(rows, None)
    if first is None:
        return
    head = table_head(path, first[1], options)
    names, units, long = head.names, head.units, head.long
    data: Iterable[Row] = rows if head.header else _chain(first, rows)
    if options.edits:
        data = options.edits.apply(data)
    columns = (head.time_index, head.chosen)
    block: list[Row] = []
    counted = 0
    for row in data:
        block.append(row)
        if len(block) == BLOCK_ROWS:
            yield from _convert(path, names, units, columns, long, block, counted, options)
            counted += len(block)
            block = []
    if block:
        yield from _convert(path, names, units, columns, long, block, counted, options)


def _chain(first: Row, rest: Iterator[Row]) -> Iterator[Row]:
    yield first
    yield from rest


def _is_number(text: str) -> bool:
    try:
        float(text.replace(",", "."))
    except ValueError:
        return False
    return True


def _time_index(path: Path, names: tuple[str, ...], options: ImportOptions) -> int | None:
    if row_numbers(names, options):
        return None
    index = named_time_column(path, names, options)
    if index is not None:
        return index
    return 0 if len(names) > 1 else None


def _convert(
    path: Path,
    names: tuple[str, ...],
    units: tuple[str, ...],
    columns: tuple[int | None, tuple[int, ...] | None],
    long: bool,
    rows: list[Row],
    counted: int,
    options: ImportOptions,
) -> Iterator[Block]:
    """``columns``: the time column's index (None: row numbers) and the value columns
    chosen (None: all)."""
    width = len(names)
    time_index, chosen = columns
    wanted = range(width) if chosen is None else chosen
    value_indexes = [i for i in wanted if i != time_index and not (long and i < 3)]
    x = np.empty(len(rows))
    values = np.empty((len(value_indexes), len(rows)))
    keep = np.ones(len(rows), dtype=bool)
    skipped: list[BadRow] = []
    for n, (line, cells) in enumerate(rows):
        cells = list(cells) + [None] * (width - len(cells))
        try:
            column = names[time_index] if time_index is not None else ""
            x[n] = counted + n if time_index is None else _time(cells[time_index], options)
            for k, i in enumerate(value_indexes):
                column = names[i]
                values[k, n] = _number(cells[i])
        except _Bad as error:
            if not options.skip_bad:
                raise FileFormatError(path, str(error), line, column) from None
            skipped.append(BadRow(line, column, str(error)))
            keep[n] = False
    x = x[keep]
    if long:
        labels = np.array([f"{cells[0]}.{cells[1]}" for _, cells in rows], dtype=object)[keep]
        unit_cells = np.array([str(cells[2] or "") for _, cells in rows], dtype=object)[keep]
        distinct, codes = np.unique(labels.astype(str), return_inverse=True)
        yield from _runs(codes, distinct.tolist(), unit_cells, x, values[0][keep], skipped)
        return
    yield Block(
        x,
        {names[i]: values[k][keep] for k, i in enumerate(value_indexes)},
        units={names[i]: units[i] for i in value_indexes},
        skipped=skipped,
    )


def _number(cell: object) -> float:
    if cell is None or cell == "":
        return float("nan")
    if isinstance(cell, bool):
        return float(cell)
    if isinstance(cell, (int, float)):
        return float(cell)
    if isinstance(cell, str):
        try:
            return float(cell.strip().replace(",", "."))
        except ValueError:
            raise _Bad(f"{cell!r} is not a number") from None
    raise _Bad(f"{cell!r} is not a number")


def _time(cell: object, options: ImportOptions) -> float:
    if isinstance(cell, datetime):
        return cell.timestamp()  # no zone: local time
    if isinstance(cell, date):
        return datetime.combine(cell, time()).timestamp()
    if isinstance(cell, str):
        try:
            return parse_iso(cell)
        except ValueError:
            pass
    try:
        number = _number(cell)
    except _Bad:
        raise _Bad(f"{cell!r} is neither a date nor a number") from None
    if options.time_format == "excel":
        return (EXCEL_DAY_0 + timedelta(days=number)).timestamp()
    return number
