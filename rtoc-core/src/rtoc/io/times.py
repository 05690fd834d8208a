"""Timestamps in files to unix seconds: ISO 8601 text, Excel serial days, local wall-clock time.

A time without a zone (``2024-03-01 12:00``, an Excel date) is the local
time of the machine that imports, as RTOC read it.
"""

from __future__ import annotations

import time
from datetime import datetime

import numpy as np

#: Excel's day 0 (1899-12-30) as days before the unix epoch.
EXCEL_EPOCH_DAYS = 25569.0


def parse_iso(text: str) -> float:
    """Unix seconds of an ISO 8601 date/time; ValueError when it is none."""
    text = text.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    return datetime.fromisoformat(text).timestamp()


def local_to_unix(naive: np.ndarray) -> np.ndarray:
    """Seconds of a local wall-clock time (counted as if it were UTC) to unix seconds.

    The zone offset is looked up once per distinct hour (offsets change on
    the hour), so a million samples cost a few thousand lookups.
    """
    hours = np.floor(naive / 3600.0)
    finite = np.isfinite(hours)
    result = naive.copy()
    if not finite.any():
        return result
    unique, inverse = np.unique(hours[finite], return_inverse=True)
    offsets = np.array([_offset(hour * 3600.0) for hour in unique])
    result[finite] = naive[finite] - offsets[inverse]
    return result


def _offset(naive_seconds: float) -> float:
    """Local zone offset (seconds east of UTC) for a wall-clock time given as if UTC."""
    wall = time.gmtime(naive_seconds)
    return naive_seconds - time.mktime((*wall[:8], -1))


def excel_to_unix(days: np.ndarray) -> np.ndarray:
    """Excel serial days (local time) to unix seconds."""
    return local_to_unix((days - EXCEL_EPOCH_DAYS) * 86400.0)
