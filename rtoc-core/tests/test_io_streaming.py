"""The CSV importer streams: its first block comes out before the file is written to the end.

The file is a FIFO fed by a thread that stops after the first few blocks'
worth of rows and writes the rest only once the importer has handed out a
block. An importer that read the file whole would wait for the rest that
never comes (until the writer gives up after its deadline, which fails the
test). No big file on disk, and it takes about a second.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from rtoc.io import csv_import
from rtoc.io.csv_import import ARROW_BLOCK_BYTES, BLOCK_ROWS, CsvImporter
from rtoc.io.csv_sniff import SAMPLE_BYTES, sniff
from rtoc.io.formats import ImportOptions

DEADLINE = 5.0


def csv_bytes(rows: int) -> bytes:
    return ("t,U\n" + "".join(f"{i},{i * 0.5}\n" for i in range(rows))).encode()


class FifoWriter(threading.Thread):
    """Writes ``head`` bytes of ``data`` into ``fifo``, then, once ``released`` is
    set (or after the deadline), the rest."""

    def __init__(self, fifo: Path, data: bytes, head: int) -> None:
        super().__init__(daemon=True)
        self.fifo, self.data, self.head = fifo, data, head
        self.released = threading.Event()
        self.released_in_time = False
        self.finished = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with open(self.fifo, "wb") as file:  # waits for the engine to open it
                file.write(self.data[: self.head])
                file.flush()
                self.released_in_time = self.released.wait(DEADLINE)
                file.write(self.data[self.head :])
        except BaseException as error:
            self.error = error
        finally:
            self.finished.set()


@pytest.mark.parametrize(
    ("engine", "block_bytes"),
    [("python", None), ("arrow", ARROW_BLOCK_BYTES)],
)
def test_the_first_block_comes_out_before_the_writer_has_finished(
    tmp_path, monkeypatch, engine, block_bytes
):
    if engine == "arrow":
        pytest.importorskip("pyarrow.csv", reason="the arrow engine needs pyarrow")
    rows = 2 * BLOCK_ROWS if block_bytes is None else 2 * block_bytes // 15
    data = csv_bytes(2 * rows)
    head = len(csv_bytes(rows))
    fifo = tmp_path / "stream.csv"
    os.mkfifo(fifo)
    # The sniffer reads the first SAMPLE_BYTES, then the engine opens the file
    # again from its start: a FIFO gives its bytes once, so the sniffer looks
    # at the same first bytes in a plain file.
    start = tmp_path / "start.csv"
    start.write_bytes(data[: SAMPLE_BYTES + 1])
    monkeypatch.setattr(csv_import, "sniff", lambda _, options: sniff(start, options))
    writer = FifoWriter(fifo, data, head)
    writer.start()
    started = time.monotonic()

    blocks = CsvImporter(engine).read(fifo, ImportOptions())
    first = next(blocks)
    assert not writer.finished.is_set(), "the writer finished before the first block came out"
    writer.released.set()
    read = [first, *blocks]
    writer.join(DEADLINE)

    assert writer.error is None and writer.released_in_time
    assert len(first.x) < rows  # a bounded block, not all that was written so far
    x = np.concatenate([block.x for block in read])
    y = np.concatenate([block.columns["U"] for block in read])
    assert np.array_equal(x, np.arange(2 * rows, dtype=np.float64))
    assert np.array_equal(y, x * 0.5)
    assert time.monotonic() - started < DEADLINE
