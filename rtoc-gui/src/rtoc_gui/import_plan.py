"""What the import dialog imports, checks and proposes, all through :mod:`rtoc.io` (no Qt).

A :class:`Source` is a table as rtoc.io reads it: a CSV file (TSV, pasted
text) as its sniffer sees it (:func:`rtoc.io.csv_sniff.sniff`), or a sheet
of an XLSX or ODS workbook as its reader sees it
(:meth:`rtoc.io.spreadsheet.XlsxFormat.preview`), with its first
:data:`PREVIEW_ROWS` rows for the view. A :class:`Definition` (name,
device, X column or row numbers, Y column) is checked by running rtoc.io's
own importer over those first rows only (a copy of the CSV file's first
bytes; the sheet's rows read already), so the reasons a definition cannot
be imported (a cell that is not a number, a time that cannot be read, a row
of the wrong width) are the words ``rtoc import`` would use.

Cells edited and rows deleted in the view travel as ``ImportOptions.edits``
(:class:`rtoc.io.edits.Edits`, by the line or row number the file has them
at) to the checks and to the import alike: rtoc.io applies them in the row
stream it reads, so the first rows are imported as edited and the rest of a
file bigger than the view streams from the file unchanged; no edited copy
of the file is written.

The import reads the whole file once per X column, only the Y columns
chosen (``ImportOptions.columns``), spools it with
:func:`rtoc.io.ingest.read_file` and sends it with
:func:`rtoc.io.ingest.into_view`: to a Logger in this process or a
RemoteLogger over TCP alike, with the import's record against a second
import of the same file into the same signals.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import attrs
import numpy as np

from rtoc.io.csv_head import head
from rtoc.io.csv_import import LONG_LAYOUT
from rtoc.io.csv_sniff import ROW_NUMBERS, sniff
from rtoc.io.formats import Block, FileFormatError, Importer, ImportOptions
from rtoc.io.ingest import into_view, read_file
from rtoc.io.progress import Counted
from rtoc.io.spreadsheet import Workbook
from rtoc.io.table import table_blocks

if TYPE_CHECKING:
    from rtoc.signals import SignalKey
    from rtoc_gui.link import Link

#: Rows of the file shown, and checked before the import.
PREVIEW_ROWS = 200
#: The X column "auto": no column, x is the row number (0, 1, 2, ...), as rtoc.io numbers rows.
AUTO = 0

#: (what is being done, its samples so far): the dialog's progress.
Progress = Callable[[str, int], None]


@attrs.define
class Definition:
    """One signal to import: Y column ``y`` (1..N) over X column ``x`` (1..N, or AUTO).

    An empty ``device`` is the file's name, as ``rtoc import`` names it.
    """

    name: str
    y: int
    x: int = AUTO
    device: str = ""


@attrs.frozen
class Outcome:
    """What became of one definition: samples imported, or why none."""

    definition: Definition
    key: SignalKey
    count: int = 0
    error: str = ""


@attrs.frozen
class Source:
    """A table (a CSV file, or a sheet of a workbook) as rtoc.io reads it, and its first rows.

    ``rows`` are the first data rows as the text shown, ``lines`` the line (a
    sheet's row number) of each, which errors name and
    :class:`rtoc.io.edits.Edits` name rows by. ``check`` runs rtoc.io's
    importer over the first rows only: a copy of the file's first bytes for a
    CSV file, the rows read already for a sheet.
    """

    path: Path
    names: tuple[str, ...]
    units: tuple[str, ...]
    time_index: int | None
    rows: list[list[str]]
    lines: list[int]
    #: the file has more rows than :attr:`rows`
    more: bool
    #: what rtoc.io found, in words (encoding, delimiter, ... or the sheet)
    findings: str
    #: how the time column reads (unix, iso, excel, dates, text)
    time_format: str
    check: Callable[[ImportOptions], Iterator[Block]] = attrs.field(repr=False)
    #: rtoc's own long export (``device, signal, unit, x, y``)
    long: bool = False
    #: a workbook's sheets, and the one shown; () and None for a CSV file
    sheets: tuple[str, ...] = ()
    sheet: str | None = None

    @property
    def width(self) -> int:
        return len(self.names)

    def label(self, column: int) -> str:
        """``3: U [V]`` for column 3 (1-based)."""
        name, unit = self.names[column - 1], self.units[column - 1]
        return f"{column}: {name}" + (f" [{unit}]" if unit else "")

    def describe(self) -> str:
        """What rtoc.io found, ending with the time column."""
        time = (
            "none (x is the row number)"
            if self.time_index is None
            else f"{self.label(self.time_index + 1)} ({self.time_format})"
        )
        return f"{self.findings}, time column {time}"


class SheetError(FileFormatError):
    """A sheet that cannot be imported (empty, or a header only); ``sheets``: the
    workbook's, so another can be chosen."""

    def __init__(self, path: Path, message: str, sheets: tuple[str, ...], sheet: str) -> None:
        super().__init__(path, message)
        self.sheets = sheets
        self.sheet = sheet


def open_source(path: Path, importer: Importer, options: ImportOptions, folder: Path) -> Source:
    """The table's head and first rows; FileFormatError naming what is wrong with it.

    A CSV file's first rows are copied to ``folder`` (the caller's temporary folder).
    """
    if isinstance(importer, Workbook):
        return _sheet_source(path, importer, options)
    return _csv_source(path, importer, options, folder)


def _csv_source(path: Path, importer: Importer, options: ImportOptions, folder: Path) -> Source:
    dialect = sniff(path, options)
    if dialect is None:
        raise FileFormatError(path, "the file is empty: no header and no rows")
    first = head(path, dialect, PREVIEW_ROWS)
    if not first.rows:
        raise FileFormatError(path, "a header line and no rows below it")
    sample = folder / f"first-rows{path.suffix or '.csv'}"
    with open(path, "rb") as file, open(sample, "wb") as copy:
        copy.write(file.read(first.size))  # the same lines: edits name the same rows
    delimiter = {"\t": "tab", " ": "space"}.get(dialect.delimiter, repr(dialect.delimiter))
    decimal = "comma" if dialect.decimal == "," else "point"
    header = "a header line" if dialect.header else "no header"
    return Source(
        path,
        dialect.names,
        dialect.units,
        dialect.time_index,
        [row for _, row in first.rows],
        [line for line, _ in first.rows],
        first.more,
        f"{dialect.encoding}, delimiter {delimiter}, decimal {decimal}, {header}",
        dialect.time_format,
        lambda checked: importer.read(sample, checked),
        long=is_long(dialect.names),
    )


def _sheet_source(path: Path, importer: Workbook, options: ImportOptions) -> Source:
    preview = importer.preview(path, options, PREVIEW_ROWS)
    where = f"sheet {preview.sheet!r}"
    if preview.head is None:
        raise SheetError(path, f"{where} is empty", preview.sheets, preview.sheet)
    if not preview.rows:
        raise SheetError(
            path, f"{where} has a header row and no rows below it", preview.sheets, preview.sheet
        )
    table = [preview.header, *preview.rows] if preview.header else list(preview.rows)
    names = preview.head.names
    time_index = preview.head.time_index
    header = "a header row" if preview.head.header else "no header"
    return Source(
        path,
        names,
        preview.head.units,
        time_index,
        [[_text(cell) for cell in cells] for _, cells in preview.rows],
        [line for line, _ in preview.rows],
        preview.more,
        f"{where} of {len(preview.sheets)}, {header}",
        _sheet_times(preview.rows[0][1], time_index, options),
        lambda checked: table_blocks(path, table, checked),
        long=preview.head.long,
        sheets=preview.sheets,
        sheet=preview.sheet,
    )


def _sheet_times(cells: list[object], index: int | None, options: ImportOptions) -> str:
    """How the time column's cells read, judged by the first one."""
    if index is None:
        return "none"
    cell = cells[index] if index < len(cells) else None
    if isinstance(cell, (datetime, date)):
        return "dates"
    if isinstance(cell, str):
        return "text"
    return "excel" if options.time_format == "excel" else "unix"


def _text(cell: object) -> str:
    """A sheet's cell as shown and edited: a date in ISO 8601 (read back as the same
    local time), a whole number without ``.0``."""
    if cell is None:
        return ""
    if isinstance(cell, datetime):
        return cell.isoformat(sep=" ")
    if isinstance(cell, date):
        return cell.isoformat()
    if isinstance(cell, float) and cell.is_integer() and abs(cell) < 1e15:
        return str(int(cell))
    return str(cell)


def is_long(names: tuple[str, ...]) -> bool:
    """rtoc's own export (``device, signal, unit, x, y``): its rows name their signals."""
    return tuple(name.casefold() for name in names) == LONG_LAYOUT


class Plan:
    """A source, the importer reading it, the options, and the checks made on its first rows."""

    def __init__(self, source: Source, importer: Importer, options: ImportOptions) -> None:
        self.source = source
        self.importer = importer
        self.options = options
        self._checked: dict[tuple[int, int, ImportOptions], tuple[str, str | None]] = {}

    @property
    def device(self) -> str:
        """The device of a definition without one: the file's name, as ``rtoc import``."""
        return self.source.path.stem

    def key(self, definition: Definition) -> SignalKey:
        return (definition.device.strip() or self.device, definition.name.strip())

    def proposals(self) -> list[Definition]:
        """One definition per column of numbers over the time column the sniffer found."""
        source = self.source
        x = AUTO if source.time_index is None else source.time_index + 1
        return [
            Definition(name, index + 1, x, self.device)
            for index, name in enumerate(source.names)
            if index != source.time_index and self._read_sample(AUTO, index + 1)[1] != name
        ]

    def reasons(self, definitions: list[Definition], taken: set[SignalKey]) -> list[str]:
        """Why each definition cannot be imported, "" for those that can.

        ``taken``: the signals the logger has already.
        """
        reasons = []
        keys: dict[SignalKey, int] = {}
        pairs: dict[tuple[int, int], int] = {}
        for number, definition in enumerate(definitions, 1):
            key = self.key(definition)
            reason = self._static(definition, key, taken)
            if not reason and key in keys:
                reason = f"name taken: definition {keys[key]} is {key[0]}.{key[1]} too"
            if not reason and (definition.x, definition.y) in pairs:
                reason = f"the same columns as definition {pairs[definition.x, definition.y]}"
            if not reason:
                reason = self._read_sample(definition.x, definition.y)[0]
            keys.setdefault(key, number)
            pairs.setdefault((definition.x, definition.y), number)
            reasons.append(reason)
        return reasons

    def _static(self, definition: Definition, key: SignalKey, taken: set[SignalKey]) -> str:
        width, names = self.source.width, self.source.names
        if not key[1]:
            return "no signal name"
        if "." in key[0]:
            return f"the device name {key[0]!r} has a dot, which rtoc.io reads as Device.Signal"
        if not 1 <= definition.y <= width:
            return f"choose a Y column (1 to {width})"
        if not AUTO <= definition.x <= width:
            return f"no X column {definition.x} (auto, or 1 to {width})"
        if definition.x == definition.y:
            return "X and Y are the same column"
        for column in (definition.x, definition.y):
            if column != AUTO and names.count(names[column - 1]) > 1:
                return (
                    f"column {column} is called {names[column - 1]!r} like another: "
                    "rtoc.io tells columns by their names"
                )
        if key in taken:
            return f"name taken: the logger has a signal {key[0]}.{key[1]}"
        return ""

    def _read_sample(self, x: int, y: int) -> tuple[str, str | None]:
        """rtoc.io's importer over the first rows, X and Y only: why it cannot read them
        ("" when it can), and the column it named."""
        cache = (x, y, self.options)
        if cache not in self._checked:
            self._checked[cache] = self._read(x, y)
        return self._checked[cache]

    def _read(self, x: int, y: int) -> tuple[str, str | None]:
        try:
            blocks = [b for b in self.source.check(self._options(x, [y])) if b.columns]
        except FileFormatError as error:
            return self._where(error), error.column
        if not blocks:
            return "no row can be read", None
        if x == AUTO:
            return "", None
        times = np.concatenate([block.x for block in blocks])
        gaps = np.flatnonzero(~np.isfinite(times))
        if len(gaps):
            return (
                f"X column {x} has gaps: an empty or infinite time in data row {gaps[0] + 1}",
                None,
            )
        backwards = int(np.count_nonzero(times[1:] < times[:-1]))
        if backwards:
            return (
                f"X column {x} is not increasing: it goes back {backwards} times "
                f"in the first {len(self.source.rows)} rows"
            ), None
        return "", None

    def _where(self, error: FileFormatError) -> str:
        names = self.source.names
        place = []
        if error.column in names:
            place.append(f"column {names.index(error.column) + 1} {error.column!r}")
        if error.row is not None:
            place.append(f"{'line' if self.source.sheet is None else 'row'} {error.row}")
        return (", ".join(place) + ": " if place else "") + error.reason

    def _options(self, x: int, ys: list[int]) -> ImportOptions:
        return attrs.evolve(
            self.options,
            time_column=ROW_NUMBERS if x == AUTO else str(x),
            columns=tuple(str(y) for y in ys),
        )

    def run(
        self,
        definitions: list[Definition],
        link: Link,
        progress: Progress,
        *,
        force: bool = False,
    ) -> tuple[list[Outcome], list[str]]:
        """Import ``definitions`` (checked already) into the link's logger; each one's
        outcome, and the lines rtoc.io summarizes the file's signals in.

        The file is read once per X column. A group that fails (a bad row further
        down, the file imported before, the logger refusing) fails alone.
        """
        outcomes: list[Outcome] = []
        lines: list[str] = []
        groups: dict[int, list[Definition]] = {}
        for definition in definitions:
            groups.setdefault(definition.x, []).append(definition)

        def advance(doing: str) -> Callable[[int], None]:
            done = 0

            def step(count: int) -> None:
                nonlocal done
                done += count
                progress(doing, done)

            return step

        names = self.source.names
        for x, group in groups.items():
            mapping = {names[d.y - 1]: "{}.{}".format(*self.key(d)) for d in group}
            options = self._options(x, [d.y for d in group])
            try:
                reading = Counted(self.importer, advance(f"reading {self.source.path.name}"))
                with read_file(self.source.path, reading, options, self.device, mapping) as parsed:
                    sending = advance(f"sending to {link.where}")
                    link.act(
                        lambda view, p=parsed, s=sending: into_view(p, view, force=force, advance=s)
                    )
                    lines.extend(line.strip() for line in parsed.summary()[1:])
                    counts = {key: summary.count for key, summary in parsed.signals.items()}
            except Exception as error:  # the file's, the logger's or the network's message
                outcomes.extend(Outcome(d, self.key(d), error=str(error)) for d in group)
                continue
            outcomes.extend(Outcome(d, self.key(d), counts.get(self.key(d), 0)) for d in group)
        return outcomes, lines
