"""A CSV file's first rows, with the line of each, and the file with its first rows edited.

:func:`head` reads the first rows as the python engine does (csv rows, the
blank ones left out), each with the line an error about it names, and how many
bytes of the file they take: a copy of that many bytes is the same table,
line for line. :func:`edited_source` is the file as a stream with
:class:`rtoc.io.edits.Edits` applied: its lines up to the last edited row are
rewritten (an edited row in the dialect's delimiter, a deleted one as blank
lines, which both engines skip), so every line keeps its number, and after
them the rest of the file follows byte for byte, however big it is.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

import attrs

from rtoc.io.csv_sniff import Dialect
from rtoc.io.edits import Edits
from rtoc.io.formats import FileFormatError

#: Opens a CSV file's bytes from the start.
Opener = Callable[[], BinaryIO]


@attrs.frozen
class Head:
    """``rows``: (line, cells) of the first data rows; ``size``: the bytes they take, the
    header with them; ``more``: the file has rows after them."""

    rows: list[tuple[int, list[str]]]
    size: int
    more: bool


def head(path: Path, dialect: Dialect, limit: int) -> Head:
    """The first ``limit`` data rows; FileFormatError for text csv cannot split or decode."""
    rows: list[tuple[int, list[str]]] = []
    more = False
    codec, bom = _codec(path, dialect.encoding)
    size = len(bom)
    with open(path, encoding=dialect.encoding, newline="") as file:
        for line, row, raw in _rows(path, file, dialect):
            if not (_blank(row) or (dialect.header and line == 1)):
                if len(rows) == limit:
                    more = True
                    break
                rows.append((line, row))
            size += len(raw.encode(codec))
    return Head(rows, size, more)


def edited_source(path: Path, dialect: Dialect, edits: Edits) -> Opener:
    """The file's bytes with ``edits`` applied to its rows (see the module's docstring)."""
    codec, bom = _codec(path, dialect.encoding)
    rewritten = io.StringIO()
    cell_writer = csv.writer(rewritten, delimiter=dialect.delimiter, lineterminator="")
    offset = len(bom)
    previous = 0
    with open(path, encoding=dialect.encoding, newline="") as file:
        for line, row, raw in _rows(path, file, dialect):
            offset += len(raw.encode(codec))
            span, previous = line - previous, line
            if (dialect.header and line == 1) or _blank(row) or not edits.touches(line):
                rewritten.write(raw)
            else:
                ending = _ending(raw)
                edited = edits.row(line, row)
                # padding first: the edited row ends on the line its original ended on
                rewritten.write((ending or "\n") * (span - 1))
                if edited is not None:
                    cell_writer.writerow(edited)
                rewritten.write(ending)
            if line >= edits.last:
                break
    first = bom + rewritten.getvalue().encode(codec)
    return lambda: io.BufferedReader(_Joined(first, path, offset))


def _rows(path: Path, file, dialect: Dialect) -> Iterator[tuple[int, list[str], str]]:
    """(line, cells, the text they were read from) of every csv row, blank ones too.

    Lines are read with ``readline`` and handed to csv one by one, so the text of
    each row is known, quoted line breaks and all.
    """
    taken: list[str] = []

    def lines() -> Iterator[str]:
        while line := file.readline():
            taken.append(line)
            yield line

    reader = csv.reader(lines(), delimiter=dialect.delimiter)
    try:
        for row in reader:
            raw = "".join(taken)
            taken.clear()
            yield reader.line_num, row, raw
    except csv.Error as error:  # a cell past csv's size limit, say
        raise FileFormatError(path, f"not a table: {error}", reader.line_num) from None
    except UnicodeDecodeError as error:
        raise FileFormatError(
            path, f"not {dialect.encoding} text throughout: {error.reason}"
        ) from None


def _blank(row: list[str]) -> bool:
    """A row the importer skips."""
    return not row or (len(row) == 1 and not row[0].strip())


def _ending(raw: str) -> str:
    for ending in ("\r\n", "\n", "\r"):
        if raw.endswith(ending):
            return ending
    return ""  # the file's last line, without a line break


def _codec(path: Path, encoding: str) -> tuple[str, bytes]:
    """The codec of the file's text after its byte order mark, and the mark."""
    if encoding == "utf-8-sig":
        return "utf-8", codecs.BOM_UTF8
    if encoding == "utf-16":
        with open(path, "rb") as file:
            mark = file.read(2)
        return ("utf-16-be" if mark == codecs.BOM_UTF16_BE else "utf-16-le"), mark
    return encoding, b""


class _Joined(io.RawIOBase):
    """``first`` bytes, then the file at ``path`` from ``offset`` to its end."""

    def __init__(self, first: bytes, path: Path, offset: int) -> None:
        super().__init__()
        self._first = memoryview(first)
        self._file = open(path, "rb")  # noqa: SIM115 - closed with this stream
        self._file.seek(offset)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if len(self._first):
            count = min(len(buffer), len(self._first))
            buffer[:count] = self._first[:count]
            self._first = self._first[count:]
            return count
        return self._file.readinto(buffer)

    def close(self) -> None:
        self._file.close()
        super().close()
