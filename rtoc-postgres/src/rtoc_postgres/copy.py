"""Samples as PostgreSQL's binary COPY format, built with numpy in one go.

``COPY ... FROM STDIN WITH (FORMAT binary)`` takes a header, then per row a
field count and, per field, a length and big-endian bytes. Building all rows
as one structured numpy array is some fifty times faster than a Python loop,
and binary COPY is several times faster than text for floats (no printing or
parsing), with NaN and ±inf exact.
"""

from __future__ import annotations

import numpy as np

HEADER = b"PGCOPY\n\xff\r\n\x00" + (0).to_bytes(4, "big") + (0).to_bytes(4, "big")
TRAILER = (-1).to_bytes(2, "big", signed=True)

#: One row of rtoc.samples: (signal_id int4, seq int8, x float8, y float8).
_ROW = np.dtype(
    [
        ("fields", ">i2"),
        ("signal_length", ">i4"),
        ("signal", ">i4"),
        ("seq_length", ">i4"),
        ("seq", ">i8"),
        ("x_length", ">i4"),
        ("x", ">f8"),
        ("y_length", ">i4"),
        ("y", ">f8"),
    ]
)


def sample_rows(signal_id: int, first_seq: int, x: np.ndarray, y: np.ndarray) -> bytes:
    """The rows of one batch, without header or trailer."""
    rows = np.empty(len(x), dtype=_ROW)
    rows["fields"] = 4
    rows["signal_length"] = 4
    rows["signal"] = signal_id
    rows["seq_length"] = 8
    rows["seq"] = np.arange(first_seq, first_seq + len(x), dtype=np.int64)
    rows["x_length"] = 8
    rows["x"] = x
    rows["y_length"] = 8
    rows["y"] = y
    return rows.tobytes()
