"""Parquet (the ``rtoc-core[parquet]`` extra, pyarrow): what pandas and polars open.

rtoc writes the long layout: columns ``device``, ``signal``, ``unit``
(dictionary-encoded strings) and ``x``, ``y`` (float64), one row group per
million samples, so values come back bit for bit. It reads that layout, and
a wide table of its own kind: a time column (a timestamp type, or a number
column called time, t, x, timestamp...; else the first column) and one
float column per signal.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np

from rtoc.events import Event
from rtoc.io.csv_import import _runs
from rtoc.io.csv_sniff import TIME_NAMES
from rtoc.io.formats import Block, ExportSignal, FileFormatError, ImportOptions, Target, require
from rtoc.io.times import local_to_unix

ROW_GROUP = 1 << 20
LONG_COLUMNS = {"device", "signal", "x", "y"}


def _pyarrow(doing: str):
    require("pyarrow", "parquet", doing)
    import pyarrow as pa
    import pyarrow.parquet as pq

    return pa, pq


class ParquetFormat:
    name = "parquet"
    suffixes = (".parquet", ".pq")
    extra = "parquet"

    def write(
        self, target: Target, signals: Iterable[ExportSignal], events: Sequence[Event]
    ) -> None:
        pa, pq = _pyarrow("write .parquet")
        text = pa.dictionary(pa.int32(), pa.string())
        schema = pa.schema(
            [
                ("device", text),
                ("signal", text),
                ("unit", text),
                ("x", pa.float64()),
                ("y", pa.float64()),
            ]
        )
        # dictionaries for the names only: trying them on float columns costs time for nothing
        names = ["device", "signal", "unit"]
        with pq.ParquetWriter(target, schema, use_dictionary=names) as writer:
            for signal in signals:
                for start in range(0, max(len(signal.x), 1), ROW_GROUP):
                    x = np.asarray(signal.x[start : start + ROW_GROUP], dtype=np.float64)
                    zeros = pa.array(np.zeros(len(x), dtype=np.int32))

                    def repeated(value: str, zeros=zeros) -> pa.DictionaryArray:
                        return pa.DictionaryArray.from_arrays(zeros, pa.array([value]))

                    columns = [
                        repeated(signal.device),
                        repeated(signal.name),
                        repeated(signal.unit),
                        pa.array(x),
                        pa.array(np.asarray(signal.y[start : start + ROW_GROUP], np.float64)),
                    ]
                    writer.write_table(pa.Table.from_arrays(columns, schema=schema))

    def read(self, path: Path, options: ImportOptions) -> Iterator[Block]:
        pa, pq = _pyarrow("read .parquet")
        try:
            names = pq.read_schema(path).names
            text = [name for name in ("device", "signal", "unit") if name in names]
            file = pq.ParquetFile(path, read_dictionary=text)
        except (pa.ArrowInvalid, OSError) as error:
            raise FileFormatError(path, f"not a Parquet file: {error}") from None
        if set(names) >= LONG_COLUMNS:
            yield from _read_long(file)
            return
        yield from _read_wide(path, file, options)


def _read_long(file) -> Iterator[Block]:
    """rtoc's layout: a signal's code combines the device's and the name's dictionary index."""
    import pyarrow as pa

    for batch in _row_groups(file):
        devices, device_codes = _codes(batch.column("device"))
        signals, signal_codes = _codes(batch.column("signal"))
        codes = device_codes * len(signals) + signal_codes
        labels = [f"{device}.{signal}" for device in devices for signal in signals]
        if "unit" in batch.schema.names:
            units = _Units(*_codes(batch.column("unit")))
        else:
            units = _Units([""], np.zeros(len(codes), dtype=np.int64))
        x = batch.column("x").cast(pa.float64()).to_numpy()
        y = batch.column("y").cast(pa.float64()).to_numpy()
        yield from _runs(codes, labels, units, x, y)


class _Units(Sequence[str]):
    """Each row's unit, looked up when asked: not a million strings per row group."""

    def __init__(self, names: list[str], codes: np.ndarray) -> None:
        self.names = names
        self.codes = codes

    def __len__(self) -> int:
        return len(self.codes)

    def __getitem__(self, row):  # type: ignore[override]  # an int: what _runs asks
        return self.names[self.codes[row]]


def _row_groups(file) -> Iterator:
    """The file a row group at a time: faster than ``iter_batches``, and as bounded
    as the writer made its row groups (rtoc's: a million rows)."""
    for number in range(file.num_row_groups):
        yield from file.read_row_group(number).to_batches()


def _codes(column) -> tuple[list[str], np.ndarray]:
    """A string column as (distinct values, index of each row's value)."""
    import pyarrow as pa

    if not pa.types.is_dictionary(column.type):
        column = column.dictionary_encode()
    values = column.dictionary.cast(pa.string()).to_pylist()
    return values, column.indices.to_numpy(zero_copy_only=False).astype(np.int64)


def _read_wide(path: Path, file, options: ImportOptions) -> Iterator[Block]:
    import pyarrow as pa

    schema = file.schema_arrow
    names = schema.names
    if options.time_column is not None:
        if options.time_column not in names:
            raise FileFormatError(path, f"no time column {options.time_column!r}")
        time_name = options.time_column
    else:
        time_name = next(
            (n for n in names if pa.types.is_timestamp(schema.field(n).type)),
            next(
                (n for n in names if n.casefold() in TIME_NAMES),
                names[0] if len(names) > 1 else None,
            ),
        )
    values = [n for n in names if n != time_name]
    for name in values:
        kind = schema.field(name).type
        if not (
            pa.types.is_floating(kind) or pa.types.is_integer(kind) or pa.types.is_boolean(kind)
        ):
            raise FileFormatError(path, f"column {name!r} holds {kind}, not numbers")
    first = 0
    for batch in _row_groups(file):
        if time_name is None:
            x = np.arange(first, first + batch.num_rows, dtype=np.float64)
        else:
            x = _seconds(batch.column(time_name))
        first += batch.num_rows
        columns = {
            n: batch.column(n).cast(pa.float64()).fill_null(np.nan).to_numpy() for n in values
        }
        yield Block(x, columns, units={n: "" for n in values})


def _seconds(column) -> np.ndarray:
    import pyarrow as pa

    kind = column.type
    if pa.types.is_timestamp(kind):
        nanoseconds = (
            column.cast(pa.timestamp("ns", kind.tz)).cast(pa.int64()).to_numpy(zero_copy_only=False)
        )
        seconds = nanoseconds / 1e9
        return seconds if kind.tz else local_to_unix(seconds)
    return column.cast(pa.float64()).fill_null(np.nan).to_numpy()
