"""Finding out how a CSV file is written: encoding, delimiter, decimal mark, header, time column.

Only the first 64 KiB are looked at. The rules, in order:

- binary data (a NUL byte, and no UTF-16 byte order mark) is no text table:
  FileFormatError;
- encoding: a byte order mark (UTF-8, or UTF-16 as Excel's "Unicode text"
  export writes), else UTF-8 when the sample decodes as such, else
  Windows-1252 (Excel on Windows), else Latin-1;
- delimiter: the first of tab, ``;``, ``,``, ``|`` that splits every sampled
  line into the same number (> 1) of cells;
- decimal comma: the delimiter is not a comma and some cell looks like ``1,5``;
- header: the first line has a cell that is neither a number nor a date;
  ``U [V]`` or ``U (V)`` is the signal ``U`` in the unit ``V``;
- time column: the one ``--time-column`` names, else one called time, t, x,
  timestamp, date, datetime, zeit or datum, else the first column when it
  holds dates, else the first of several columns (RTOC's x, y, y, ...);
  a file of one column has none, nor has ``--time-column 0``: x is the
  row number (0, 1, 2, ...), as RTOC's import dialog's X column 0;
- value columns: all others, or those ``ImportOptions.columns`` names;
- time format: ISO 8601 when the first time cell is text, Excel serial days
  when it is a number and the column is called date/datum or names Excel,
  else unix seconds.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import attrs

from rtoc.io.formats import FileFormatError, ImportOptions

SAMPLE_BYTES = 1 << 16
DELIMITERS = ("\t", ";", ",", "|")
TIME_NAMES = frozenset(
    {"time", "t", "x", "timestamp", "date", "datetime", "zeit", "datum", "time_s", "unix"}
)
EXCEL_NAMES = ("date", "datum", "excel")
_DECIMAL_COMMA = re.compile(r"^\s*[+-]?\d*,\d+([eE][+-]?\d+)?\s*$")
_UNIT = re.compile(r"^(.*?)\s*[\[(]([^\])]*)[\])]\s*$")
_ISO_START = re.compile(r"^\s*\d{4}-\d{2}-\d{2}")


@attrs.frozen
class Dialect:
    encoding: str
    delimiter: str
    decimal: str  # "." or ","
    names: tuple[str, ...]  # column labels, units stripped
    units: tuple[str, ...]
    header: bool
    time_index: int | None
    time_format: str  # unix | iso | excel | none
    #: the value columns to read (ImportOptions.columns); None: every one
    chosen: tuple[int, ...] | None = None

    @property
    def value_indexes(self) -> list[int]:
        wanted = range(len(self.names)) if self.chosen is None else self.chosen
        return [i for i in wanted if i != self.time_index]


def sniff(
    path: Path, options: ImportOptions, source: Callable[[], BinaryIO] | None = None
) -> Dialect | None:
    """How ``path`` is written; None for a file without any data or header.

    ``source`` opens the bytes to look at instead of the file (the file edited).
    FileFormatError for binary data and for ``options`` naming columns not there.
    """
    with open(path, "rb") if source is None else source() as file:
        raw = file.read(SAMPLE_BYTES)
        complete = len(raw) < SAMPLE_BYTES or not file.read(1)
    encoding = _encoding(raw)
    if encoding != "utf-16" and b"\0" in raw:
        raise FileFormatError(
            path, f"binary data, not a text table (a NUL byte at byte {raw.index(0)})"
        )
    text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(raw, final=complete)
    lines = text.splitlines()
    if not complete and lines:
        lines = lines[:-1]  # cut off in the middle
    lines = [line for line in lines if line.strip()]
    if not lines:
        return None
    delimiter = _delimiter(lines[:50])
    rows = list(csv.reader(lines, delimiter=delimiter))
    decimal = (
        ","
        if delimiter != "," and any(_DECIMAL_COMMA.match(cell) for row in rows[1:] for cell in row)
        else "."
    )
    header = any(not (_is_number(cell, decimal) or _is_date(cell)) for cell in rows[0])
    width = len(rows[0])
    if header:
        names, units = zip(*(_name_unit(cell) for cell in rows[0]), strict=True)
    else:
        names, units = tuple(f"col{i + 1}" for i in range(width)), ("",) * width
    first = rows[1] if header and len(rows) > 1 else (None if header else rows[0])
    time_index = _time_index(path, names, first, options)
    time_format = _time_format(names, first, time_index, options)
    chosen = chosen_columns(path, names, options)
    return Dialect(
        encoding,
        delimiter,
        decimal,
        tuple(names),
        tuple(units),
        header,
        time_index,
        time_format,
        chosen,
    )


def _encoding(raw: bytes) -> str:
    if raw.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    for encoding in ("utf-8", "cp1252"):
        try:
            codecs.getincrementaldecoder(encoding)().decode(raw, final=False)
        except UnicodeDecodeError:
            continue
        return encoding
    return "latin-1"


def _delimiter(lines: list[str]) -> str:
    for delimiter in DELIMITERS:
        widths = {len(row) for row in csv.reader(lines, delimiter=delimiter)}
        if len(widths) == 1 and widths.pop() > 1:
            return delimiter
    return ","


def _is_number(cell: str, decimal: str) -> bool:
    cell = cell.strip()
    if not cell:
        return True  # an empty cell is a gap, not a name
    try:
        float(cell.replace(",", ".") if decimal == "," else cell)
    except ValueError:
        return False
    return True


def _is_date(cell: str) -> bool:
    return bool(_ISO_START.match(cell))


def _name_unit(cell: str) -> tuple[str, str]:
    cell = cell.strip()
    match = _UNIT.match(cell)
    if match and match.group(1):
        return match.group(1), match.group(2).strip()
    return cell, ""


#: ``--time-column 0``: no time column, x is the row number.
ROW_NUMBERS = "0"


def row_numbers(names: tuple[str, ...], options: ImportOptions) -> bool:
    """``--time-column 0`` and no column called "0": x is the row number."""
    return options.time_column == ROW_NUMBERS and ROW_NUMBERS not in names


def _column_index(path: Path, names: tuple[str, ...], wanted: str, what: str) -> int:
    if wanted in names:
        return names.index(wanted)
    if wanted.isdigit() and 1 <= int(wanted) <= len(names):
        return int(wanted) - 1
    raise FileFormatError(
        path, f"no {what} {wanted!r}; columns: {', '.join(names)} (or 1..{len(names)})"
    )


def chosen_columns(
    path: Path, names: tuple[str, ...], options: ImportOptions
) -> tuple[int, ...] | None:
    """The indexes of the value columns ``options.columns`` names (names or 1..N);
    None when it names none (every column). FileFormatError for one not there."""
    if options.columns is None:
        return None
    return tuple(_column_index(path, names, wanted, "column") for wanted in options.columns)


def named_time_column(path: Path, names: tuple[str, ...], options: ImportOptions) -> int | None:
    """The time column ``--time-column`` names (a name, or 1..N), else the first with a
    time-like name; None when there is neither. FileFormatError for a name not there."""
    wanted = options.time_column
    if wanted is not None:
        return _column_index(path, names, wanted, "time column")
    for index, name in enumerate(names):
        if name.casefold() in TIME_NAMES:
            return index
    return None


def _time_index(
    path: Path, names: tuple[str, ...], first: list[str] | None, options: ImportOptions
) -> int | None:
    if row_numbers(names, options):
        return None
    index = named_time_column(path, names, options)
    if index is not None:
        return index
    if first is not None and first and _is_date(first[0]):
        return 0
    return 0 if len(names) > 1 else None


def _time_format(
    names: tuple[str, ...], first: list[str] | None, index: int | None, options: ImportOptions
) -> str:
    if index is None:
        return "none"
    if options.time_format != "auto":
        return options.time_format
    cell = first[index] if first is not None and index < len(first) else ""
    if _is_date(cell):
        return "iso"
    name = names[index].casefold()
    if any(hint in name for hint in EXCEL_NAMES) and _is_number(cell, ","):
        return "excel"
    return "unix"
