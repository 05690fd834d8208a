"""Writing signals as CSV: one row per sample, ``device,signal,unit,x,y``.

Signals with different timestamps share one table without gaps, and the
file reads back (:mod:`rtoc.io.csv_import` knows this layout) to the same
names, units and float64 values: every number is written in the shortest
form that parses back to the same bits. Large signals go through pyarrow's
CSV writer when it is installed (``rtoc-core[csv]``), small ones through the
standard library (``repr``: ``1.0`` rather than arrow's ``1``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import BinaryIO

import numpy as np

from rtoc.events import Event
from rtoc.files import write_atomically_binary
from rtoc.io.formats import ExportSignal, Target

HEADER = b"device,signal,unit,x,y\n"
#: Signals with more samples than this are written by pyarrow when it is there.
ARROW_FROM = 100_000


class CsvExporter:
    name = "csv"
    suffixes = (".csv",)
    extra = None

    def write(
        self, target: Target, signals: Iterable[ExportSignal], events: Sequence[Event]
    ) -> None:
        if isinstance(target, io.IOBase) or hasattr(target, "write"):
            _write(target, signals)  # type: ignore[arg-type]
            return
        with write_atomically_binary(target) as file:
            _write(file, signals)


def _write(out: BinaryIO, signals: Iterable[ExportSignal]) -> None:
    out.write(HEADER)
    for signal in signals:
        if len(signal.x) > ARROW_FROM and _arrow() is not None:
            _write_arrow(out, signal)
        else:
            _write_python(out, signal)


def _arrow():
    try:
        import pyarrow.csv
    except ImportError:
        return None
    return pyarrow.csv


def _write_python(out: BinaryIO, signal: ExportSignal) -> None:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    names = (signal.device, signal.name, signal.unit)
    writer.writerows(
        (*names, repr(a), repr(b))
        for a, b in zip(signal.x.tolist(), signal.y.tolist(), strict=True)
    )
    out.write(text.getvalue().encode("utf-8"))


def _write_arrow(out: BinaryIO, signal: ExportSignal) -> None:
    import pyarrow as pa

    pacsv = _arrow()
    count = len(signal.x)
    zeros = pa.array(np.zeros(count, dtype=np.int32))

    def repeated(text: str) -> pa.DictionaryArray:
        return pa.DictionaryArray.from_arrays(zeros, pa.array([text]))

    table = pa.table(
        {
            "device": repeated(signal.device),
            "signal": repeated(signal.name),
            "unit": repeated(signal.unit),
            "x": np.asarray(signal.x, dtype=np.float64),
            "y": np.asarray(signal.y, dtype=np.float64),
        }
    )
    options = pacsv.WriteOptions(include_header=False, batch_size=1 << 16, quoting_style="needed")
    pacsv.write_csv(table, out, write_options=options)
