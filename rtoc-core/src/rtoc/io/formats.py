"""What an importer or exporter is, and the errors they raise.

A file format is an object with a ``name`` (``"csv"``), the file
``suffixes`` it is chosen by (``(".csv", ".tsv", ".txt")``) and the
``extra`` of rtoc-core whose libraries it needs (``"parquet"``, or None).
Plugins return them from the ``rtoc_importers`` / ``rtoc_exporters`` hooks;
rtoc-core's own formats come the same way from :mod:`rtoc.builtin`.

An importer streams: :meth:`Importer.read` yields :class:`Block` objects of
bounded size, so a file of gigabytes never sits in memory whole. An exporter
is handed the signals one by one (:class:`ExportSignal`) and writes them to a
path or a binary stream.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from types import ModuleType
from typing import BinaryIO, Protocol, runtime_checkable

import attrs
import numpy as np

from rtoc.events import Event
from rtoc.io.edits import Edits


class FileFormatError(ValueError):
    """A file rtoc cannot read, naming where: ``data.csv:18204 column 'U': 'n/a' is not a number``.

    ``row`` is the line of the file (1 is the first, header included) and
    ``column`` the column's name, when the problem has a place.
    """

    def __init__(
        self, file: str | Path, message: str, row: int | None = None, column: str | None = None
    ) -> None:
        self.file = str(file)
        self.row = row
        self.column = column
        self.reason = message
        super().__init__(_place(self.file, row, column) + message)


def _place(file: str, row: int | None, column: str | None) -> str:
    """``file:row column 'name': `` with what is known of the place."""
    where = file if row is None else f"{file}:{row}"
    return f"{where} column {column!r}: " if column is not None else f"{where}: "


class MissingExtra(ImportError):
    """A format whose library is not installed; the message names the extra to install."""


def require(module: str, extra: str, doing: str) -> ModuleType:
    """Import ``module`` or raise :class:`MissingExtra` naming the extra to install."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingExtra(
            f"{module} is not installed: pip install 'rtoc-core[{extra}]' to {doing}"
        ) from None


@attrs.frozen
class BadRow:
    """A row an importer skipped (``skip_bad``), and why; ``row`` None: a whole column."""

    row: int | None
    column: str
    reason: str

    def describe(self, file: str) -> str:
        return _place(file, self.row, self.column) + self.reason


@attrs.frozen
class ImportOptions:
    """How to read a file, from ``rtoc import``'s options.

    ``time_column``: the column with the timestamps (name or 1-based number);
    None lets the importer find it. ``time_format``: ``auto``, ``unix``
    (seconds), ``iso`` (ISO 8601; without a zone it is local time) or
    ``excel`` (serial days since 1899-12-30, local time); ``"0"``: none, x
    is the row number. ``skip_bad``: skip rows that cannot be read (each
    reported) instead of failing. ``columns``: of a table (CSV, spreadsheet),
    read only these value columns (names or 1-based numbers), so a column of
    text beside them is no error; None: every column. ``edits``: of a table,
    cells changed and rows deleted before it is read (:mod:`rtoc.io.edits`).
    """

    time_column: str | None = None
    time_format: str = "auto"
    skip_bad: bool = False
    sheet: str | None = None  # of a spreadsheet; None: the first
    columns: tuple[str, ...] | None = None
    edits: Edits | None = None


@attrs.frozen
class Block:
    """A piece of a file: timestamps ``x`` and the columns of values read at them.

    ``columns`` maps a column's label to float64 values as long as ``x``. A
    label is a signal name (``"U"``) that the caller places under a device,
    or ``"Device.Signal"`` when ``qualified`` (a session or an rtoc export).
    ``units`` (by label), ``events`` and ``skipped`` rows accumulate over the
    blocks of one file.
    """

    x: np.ndarray
    columns: dict[str, np.ndarray]
    qualified: bool = False
    units: dict[str, str] = attrs.field(factory=dict)
    events: Sequence[Event] = ()
    skipped: Sequence[BadRow] = ()


@attrs.frozen
class ExportSignal:
    """One signal to write: where it came from, its unit and its samples."""

    device: str
    name: str
    unit: str
    x: np.ndarray
    y: np.ndarray

    @property
    def label(self) -> str:
        return f"{self.device}.{self.name}"


Target = Path | BinaryIO


@runtime_checkable
class Importer(Protocol):
    name: str
    suffixes: tuple[str, ...]
    extra: str | None

    def read(self, path: Path, options: ImportOptions) -> Iterator[Block]:
        """Yield the file's samples in blocks; :class:`FileFormatError` for bad content."""
        ...


@runtime_checkable
class Exporter(Protocol):
    name: str
    suffixes: tuple[str, ...]
    extra: str | None

    def write(
        self, target: Target, signals: Iterable[ExportSignal], events: Sequence[Event]
    ) -> None:
        """Write ``signals`` (and ``events`` where the format keeps them) to ``target``."""
        ...


def choose(formats: dict[str, Importer] | dict[str, Exporter], path: Path, name: str | None):
    """The format called ``name``, else the one whose suffixes hold ``path``'s suffix.

    ValueError naming the known formats when there is none.
    """
    if name is not None:
        if name not in formats:
            raise ValueError(f"unknown format {name!r}; known: {', '.join(formats)}")
        return formats[name]
    suffix = path.suffix.lower()
    for found in formats.values():
        if suffix in found.suffixes:
            return found
    raise ValueError(
        f"{path}: no format reads {suffix or 'files without a suffix'}; give one of "
        f"{', '.join(formats)} with --format"
    )
