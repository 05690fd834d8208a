"""The browser's time zone on the server: epoch seconds to and from what the page shows.

Plotly's date axes have no time zone: they show a number as UTC. So the
server shifts every x by the browser zone's UTC offset before sending it and
takes the offset off again when a zoomed range comes back.
"""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np

UTC = "UTC"


def zone(name: object) -> ZoneInfo:
    """The IANA zone ``name`` the browser reported; UTC for anything unknown."""
    try:
        return ZoneInfo(str(name or UTC))
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(UTC)


def _offset(seconds: float, tz: ZoneInfo) -> float:
    moment = datetime.fromtimestamp(seconds, tz)
    offset = moment.utcoffset()
    return offset.total_seconds() if offset is not None else 0.0


def to_plot(x: np.ndarray, tz: ZoneInfo) -> np.ndarray:
    """Epoch seconds as the milliseconds a Plotly date axis shows as local wall time."""
    x = np.asarray(x, dtype=np.float64)
    finite = x[np.isfinite(x)]
    if not len(finite):
        return x * 1000.0
    low, high = _offset(float(finite.min()), tz), _offset(float(finite.max()), tz)
    if low == high:  # no change of daylight saving time inside
        return (x + low) * 1000.0
    offsets = np.array([_offset(v, tz) if np.isfinite(v) else 0.0 for v in x])
    return (x + offsets) * 1000.0


def from_plot(value: object, tz: ZoneInfo) -> float:
    """An axis value from the browser (date text or shifted milliseconds) as epoch seconds.

    ValueError for anything else.
    """
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        wall = datetime.fromtimestamp(float(value) / 1000.0, timezone.utc).replace(tzinfo=None)
    else:
        wall = parse_wall(str(value))
    return wall.replace(tzinfo=tz).timestamp()


def parse_wall(text: str) -> datetime:
    """``2026-12-06 20:36``, ``2026-12-06T20:36:03.25`` or a Plotly date as naive wall time."""
    text = text.strip().replace("T", " ")
    if "." in text:  # Python before 3.11 takes 3 or 6 digits of a second only
        head, _, fraction = text.partition(".")
        text = f"{head}.{(fraction + '000000')[:6]}"
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"not a date and time: {text!r} (write e.g. 2026-12-06 20:36)") from None


def parse_local(text: str, tz: ZoneInfo) -> float:
    """A date and time the user typed, in the browser's zone, as epoch seconds."""
    return parse_wall(text).replace(tzinfo=tz).timestamp()


def format_local(seconds: float, tz: ZoneInfo) -> str:
    """Epoch seconds as ``2026-12-06 20:36:03.123`` in ``tz``."""
    return datetime.fromtimestamp(seconds, tz).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
