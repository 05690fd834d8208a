"""What the import dialog imports, checks and proposes, all through :mod:`rtoc.io` (no Qt).

A :class:`Plan` holds a table file (CSV, TSV, pasted text) as rtoc.io's
sniffer sees it (:func:`rtoc.io.csv_sniff.sniff`), its first
:data:`PREVIEW_ROWS` rows for the view, and a copy of them as a small file:
a :class:`Definition` (name, device, X column or row numbers, Y column) is
checked by running rtoc.io's own importer over that copy, so the reasons a
definition cannot be imported (a cell that is not a number, a time that
cannot be read, a row of the wrong width) are the words ``rtoc import``
would use. The import reads the whole file once per X column, only the Y
columns chosen (``ImportOptions.columns``), spools it with
:func:`rtoc.io.ingest.read_file` and sends it with
:func:`rtoc.io.ingest.into_view`: to a Logger in this process or a
RemoteLogger over TCP alike, with the import's record against a second
import of the same file into the same signals.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import attrs
import numpy as np

from rtoc.io.csv_import import LONG_LAYOUT
from rtoc.io.csv_sniff import ROW_NUMBERS, Dialect, sniff
from rtoc.io.formats import FileFormatError, Importer, ImportOptions
from rtoc.io.ingest import into_view, read_file
from rtoc.io.progress import Counted

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
    """A table file as the sniffer reads it, and its first rows as text cells."""

    path: Path
    dialect: Dialect
    rows: list[list[str]]
    #: the file has more rows than :attr:`rows`
    more: bool

    @property
    def width(self) -> int:
        return len(self.dialect.names)

    def label(self, column: int) -> str:
        """``3: U [V]`` for column 3 (1-based)."""
        name, unit = self.dialect.names[column - 1], self.dialect.units[column - 1]
        return f"{column}: {name}" + (f" [{unit}]" if unit else "")

    def describe(self) -> str:
        """The sniffer's findings in a line (encoding, delimiter, decimal mark, header, time)."""
        d = self.dialect
        delimiter = {"\t": "tab", " ": "space"}.get(d.delimiter, repr(d.delimiter))
        time = (
            "none (x is the row number)"
            if d.time_index is None
            else f"{self.label(d.time_index + 1)} ({d.time_format})"
        )
        decimal = "comma" if d.decimal == "," else "point"
        header = "a header line" if d.header else "no header"
        return (
            f"{d.encoding}, delimiter {delimiter}, decimal {decimal}, {header}, time column {time}"
        )


def open_source(path: Path, options: ImportOptions) -> Source:
    """The file's dialect and first rows; FileFormatError naming what is wrong with it."""
    dialect = sniff(path, options)
    if dialect is None:
        raise FileFormatError(path, "the file is empty: no header and no rows")
    rows: list[list[str]] = []
    more = False
    with open(path, encoding=dialect.encoding, errors="replace", newline="") as file:
        reader = csv.reader(file, delimiter=dialect.delimiter)
        try:
            if dialect.header:
                next(reader, None)
            for row in reader:
                if not row or (len(row) == 1 and not row[0].strip()):
                    continue  # as the importer skips them
                if len(rows) == PREVIEW_ROWS:
                    more = True
                    break
                rows.append(row)
        except csv.Error as error:  # a cell past csv's size limit, say
            raise FileFormatError(path, f"not a table: {error}", reader.line_num) from None
    if not rows:
        raise FileFormatError(path, "a header line and no rows below it")
    return Source(path, dialect, rows, more)


def is_long(dialect: Dialect) -> bool:
    """rtoc's own export (``device, signal, unit, x, y``): its rows name their signals."""
    return tuple(name.casefold() for name in dialect.names) == LONG_LAYOUT


class Plan:
    """A source, the importer reading it, the options, and the checks made on its first rows.

    ``folder`` holds the copy of the first rows (the caller's temporary folder).
    """

    def __init__(
        self, source: Source, importer: Importer, options: ImportOptions, folder: Path
    ) -> None:
        self.source = source
        self.importer = importer
        self.options = options
        self.sample = folder / f"first-rows{source.path.suffix or '.csv'}"
        with open(self.sample, "w", encoding="utf-8", newline="") as file:
            writer = csv.writer(file, delimiter=source.dialect.delimiter)
            if source.dialect.header:
                writer.writerow(_header_cells(source.dialect))
            writer.writerows(source.rows)
        self._checked: dict[tuple[int, int, ImportOptions], tuple[str, str | None]] = {}

    @property
    def device(self) -> str:
        """The device of a definition without one: the file's name, as ``rtoc import``."""
        return self.source.path.stem

    def key(self, definition: Definition) -> SignalKey:
        return (definition.device.strip() or self.device, definition.name.strip())

    def proposals(self) -> list[Definition]:
        """One definition per column of numbers over the time column the sniffer found."""
        dialect = self.source.dialect
        x = AUTO if dialect.time_index is None else dialect.time_index + 1
        return [
            Definition(dialect.names[index], index + 1, x, self.device)
            for index in dialect.value_indexes
            if self._read_sample(AUTO, index + 1)[1] != dialect.names[index]
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
        width, names = self.source.width, self.source.dialect.names
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
            with read_file(self.sample, self.importer, self._options(x, [y]), "check") as parsed:
                if not parsed.signals:
                    return "no row can be read", None
                (key,) = parsed.signals
                times, _ = parsed.samples(key)
                backwards = parsed.signals[key].backwards
        except FileFormatError as error:
            return self._where(error), error.column
        if x == AUTO:
            return "", None
        gaps = np.flatnonzero(~np.isfinite(times))
        if len(gaps):
            return (
                f"X column {x} has gaps: an empty or infinite time in data row {gaps[0] + 1}",
                None,
            )
        if backwards:
            return (
                f"X column {x} is not increasing: it goes back {backwards} times "
                f"in the first {len(self.source.rows)} rows"
            ), None
        return "", None

    def _where(self, error: FileFormatError) -> str:
        names = self.source.dialect.names
        place = []
        if error.column in names:
            place.append(f"column {names.index(error.column) + 1} {error.column!r}")
        if error.row is not None:
            place.append(f"line {error.row}")
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

        names = self.source.dialect.names
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


def _header_cells(dialect: Dialect) -> list[str]:
    return [
        f"{name} [{unit}]" if unit else name
        for name, unit in zip(dialect.names, dialect.units, strict=True)
    ]
