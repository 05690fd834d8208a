"""Reading CSV, TSV and semicolon files with decimal commas into signals, in blocks.

Two engines read the same files to the same samples:

- ``arrow`` (pyarrow, the ``rtoc-core[csv]`` extra): C++ parsing, about ten
  times faster, used for UTF-8 files with numeric or no time column;
- ``python`` (the standard library's csv module, always there): every other
  file, and every file the arrow engine cannot read cleanly. At the first
  cell pyarrow refuses, reading goes on with this engine from the start of
  that block, so the error names the line and column (or the row is skipped
  and counted with ``skip_bad``).

Cells edited and rows deleted (``ImportOptions.edits``) reach both engines
alike: they read the file through :func:`rtoc.io.csv_head.edited_source`,
which rewrites the lines up to the last edited row and streams the rest.

Two layouts: a wide table (a time column and one column per signal), and
rtoc's own CSV export (``device,signal,unit,x,y``, one row per sample),
whose signals keep their names.
"""

from __future__ import annotations

import csv
import functools
import importlib.util
import io
import itertools
from collections.abc import Iterator, Sequence
from pathlib import Path

import attrs
import numpy as np

from rtoc.io.csv_head import Opener, edited_source
from rtoc.io.csv_sniff import Dialect, sniff
from rtoc.io.formats import BadRow, Block, FileFormatError, ImportOptions, require
from rtoc.io.times import excel_to_unix, parse_iso

BLOCK_ROWS = 1 << 16
#: pyarrow's streaming reader reads ahead some 40 blocks (its memory pool peaked at
#: about 40 times this size importing 30 M rows), so this bounds the memory of the
#: arrow engine: 4 MiB, about 160 MB. 16 MiB blocks were no faster.
ARROW_BLOCK_BYTES = 1 << 22
LONG_LAYOUT = ("device", "signal", "unit", "x", "y")
ENGINES = ("auto", "arrow", "python")


class _Fallback(Exception):
    """The arrow engine met a cell it cannot convert; the python engine takes over."""


class CsvImporter:
    name = "csv"
    suffixes = (".csv", ".tsv", ".txt", ".dat")
    extra = None  # the stdlib engine always works; pyarrow is optional speed

    def __init__(self, engine: str = "auto") -> None:
        if engine not in ENGINES:
            raise ValueError(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}")
        self.engine = engine

    def read(self, path: Path, options: ImportOptions) -> Iterator[Block]:
        dialect = sniff(path, options)
        if dialect is None:
            return
        source: Opener = functools.partial(open, path, "rb")
        if options.edits:
            source = edited_source(path, dialect, options.edits)
            dialect = sniff(path, options, source)
            if dialect is None:  # every row deleted
                return
        long = tuple(name.casefold() for name in dialect.names) == LONG_LAYOUT
        if long:
            dialect = _long_dialect(dialect)
        rows_done = 0
        if self._arrow_fits(dialect):
            try:
                for blocks, rows in _arrow_blocks(source, dialect, long):
                    yield from blocks
                    rows_done += rows
                return
            except _Fallback:
                pass
        yield from _python_blocks(path, source, dialect, options, long, rows_done)

    def _arrow_fits(self, dialect: Dialect) -> bool:
        if self.engine == "python":
            return False
        if self.engine == "arrow":
            require("pyarrow.csv", "csv", "read CSV with the arrow engine")
        elif importlib.util.find_spec("pyarrow") is None:
            return False
        return dialect.encoding in ("utf-8", "utf-8-sig") and dialect.time_format != "iso"


def _long_dialect(dialect: Dialect) -> Dialect:
    return attrs.evolve(dialect, time_index=3, time_format="unix", chosen=None)


# -- the python engine ---------------------------------------------------------


def _python_blocks(
    path: Path, source: Opener, dialect: Dialect, options: ImportOptions, long: bool, skip: int
) -> Iterator[Block]:
    with io.TextIOWrapper(source(), encoding=dialect.encoding, newline="") as file:
        reader = csv.reader(file, delimiter=dialect.delimiter)
        if dialect.header:
            next(reader, None)
        seen = 0
        rows: list[list[str]] = []
        lines: list[int] = []
        for row in reader:
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            seen += 1
            if seen <= skip:
                continue
            rows.append(row)
            lines.append(reader.line_num)
            if len(rows) == BLOCK_ROWS:
                yield from _convert(path, dialect, options, long, rows, lines, seen - len(rows))
                rows, lines = [], []
        if rows:
            yield from _convert(path, dialect, options, long, rows, lines, seen - len(rows))


def _convert(
    path: Path,
    dialect: Dialect,
    options: ImportOptions,
    long: bool,
    rows: list[list[str]],
    lines: list[int],
    first_row: int,
) -> Iterator[Block]:
    """Cells to a block; bad cells raise FileFormatError or, with skip_bad, drop their row."""
    width = len(dialect.names)
    bad: dict[int, BadRow] = {}
    for i, row in enumerate(rows):
        if len(row) != width:
            bad[i] = BadRow(lines[i], "", f"has {len(row)} cells, expected {width}")
            rows[i] = [""] * width
    columns = list(zip(*rows, strict=True))
    numeric = [3, 4] if long else sorted({dialect.time_index, *dialect.value_indexes} - {None})
    values: dict[int, np.ndarray] = {}
    for index in numeric:
        kind = dialect.time_format if index == dialect.time_index else "number"
        values[index] = _column(columns[index], kind, dialect.decimal, index, lines, bad, dialect)
    if bad and not options.skip_bad:
        first = bad[min(bad)]
        raise FileFormatError(path, first.reason, first.row, first.column or None)
    keep = np.ones(len(rows), dtype=bool)
    keep[list(bad)] = False
    skipped = [bad[i] for i in sorted(bad)]
    if dialect.time_index is None:
        x = np.arange(first_row, first_row + len(rows), dtype=np.float64)[keep]
    else:
        x = values.pop(dialect.time_index)[keep]
    if long:
        labels = np.array([f"{d}.{s}" for d, s in zip(columns[0], columns[1], strict=True)])
        names, codes = np.unique(labels[keep], return_inverse=True)
        units = np.array(columns[2])[keep]
        yield from _runs(codes, names.tolist(), units, x, values[4][keep], skipped)
        return
    yield Block(
        x,
        {dialect.names[i]: v[keep] for i, v in values.items()},
        units={dialect.names[i]: dialect.units[i] for i in values},
        skipped=skipped,
    )


def _column(
    cells: tuple[str, ...],
    kind: str,
    decimal: str,
    index: int,
    lines: list[int],
    bad: dict[int, BadRow],
    dialect: Dialect,
) -> np.ndarray:
    """One column's cells as float64 (unix seconds for a time column); bad cells go to ``bad``."""
    if kind == "iso":
        out = np.empty(len(cells))
        for i, cell in enumerate(cells):
            try:
                out[i] = parse_iso(cell)
            except ValueError:
                out[i] = np.nan
                bad.setdefault(
                    i, _bad(lines[i], dialect, index, f"{cell!r} is not an ISO 8601 time")
                )
        return out
    texts = [cell.strip() or "nan" for cell in cells]
    if decimal == ",":
        texts = [cell.replace(",", ".") for cell in texts]
    try:
        out = np.array(texts, dtype=np.float64)
    except ValueError:
        out = np.empty(len(texts))
        for i, text in enumerate(texts):
            try:
                out[i] = float(text)
            except ValueError:
                out[i] = np.nan
                bad.setdefault(i, _bad(lines[i], dialect, index, f"{cells[i]!r} is not a number"))
    return excel_to_unix(out) if kind == "excel" else out


def _bad(line: int, dialect: Dialect, index: int, reason: str) -> BadRow:
    return BadRow(line, dialect.names[index], reason)


def _runs(
    codes: np.ndarray,
    names: list[str],
    units: Sequence[str] | np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    skipped: list[BadRow] | tuple[BadRow, ...] = (),
) -> Iterator[Block]:
    """Rows of rtoc's long layout, one block per run of rows of the same signal.

    ``codes`` numbers each row's signal, ``names[code]`` is its ``Device.Signal``.
    """
    if not len(codes):
        if skipped:
            yield Block(x[:0], {}, qualified=True, skipped=skipped)
        return
    starts = np.concatenate(([0], np.flatnonzero(codes[1:] != codes[:-1]) + 1, [len(codes)]))
    for n, (start, stop) in enumerate(itertools.pairwise(starts)):
        label = str(names[codes[start]])
        yield Block(
            x[start:stop],
            {label: y[start:stop]},
            qualified=True,
            units={label: str(units[start])},
            skipped=skipped if n == 0 else (),
        )


# -- the arrow engine ----------------------------------------------------------


def _arrow_blocks(
    source: Opener, dialect: Dialect, long: bool
) -> Iterator[tuple[list[Block], int]]:
    """(blocks, rows they hold) per batch; _Fallback at a cell pyarrow cannot convert.

    Arrow gets a file object, not the path: a path it opens as a seekable file
    ("lseek failed" on a pipe); a file object it streams, as fast.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    names = [f"c{i}" for i in range(len(dialect.names))]
    numeric = {3, 4} if long else {dialect.time_index, *dialect.value_indexes}
    types = {name: pa.float64() if i in numeric else pa.string() for i, name in enumerate(names)}
    with source() as file:
        try:
            reader = pacsv.open_csv(
                file,
                read_options=pacsv.ReadOptions(
                    column_names=names,
                    skip_rows=1 if dialect.header else 0,
                    block_size=ARROW_BLOCK_BYTES,
                ),
                parse_options=pacsv.ParseOptions(delimiter=dialect.delimiter),
                convert_options=pacsv.ConvertOptions(
                    column_types=types,
                    decimal_point=dialect.decimal,
                    null_values=[""],
                    strings_can_be_null=False,
                    quoted_strings_can_be_null=False,
                ),
            )
            first_row = 0
            for batch in reader:
                rows = batch.num_rows
                yield _arrow_block(batch, dialect, long, first_row), rows
                first_row += rows
        except pa.ArrowInvalid as error:
            raise _Fallback(str(error)) from error


def _arrow_block(batch, dialect: Dialect, long: bool, first_row: int) -> list[Block]:
    def column(i: int) -> np.ndarray:
        values = batch.column(i)
        if values.null_count:
            values = values.fill_null(np.nan)
        return values.to_numpy(zero_copy_only=False)

    if long:
        import pyarrow.compute as pc

        labels = pc.binary_join_element_wise(batch.column(0), batch.column(1), ".")
        encoded = labels.dictionary_encode()
        codes = encoded.indices.to_numpy()
        units = column(2)
        return list(_runs(codes, encoded.dictionary.to_pylist(), units, column(3), column(4)))
    if dialect.time_index is None:
        x = np.arange(first_row, first_row + batch.num_rows, dtype=np.float64)
    else:
        x = column(dialect.time_index)
        if dialect.time_format == "excel":
            x = excel_to_unix(x)
    indexes = dialect.value_indexes
    return [
        Block(
            x,
            {dialect.names[i]: column(i) for i in indexes},
            units={dialect.names[i]: dialect.units[i] for i in indexes},
        )
    ]
