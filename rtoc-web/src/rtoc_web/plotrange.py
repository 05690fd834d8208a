"""What the plot page's controls ask for, checked: signals, time range, zoom.

Every function here turns browser input into values or raises
:class:`BadInput` with a sentence for the page; none of them reads data.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from zoneinfo import ZoneInfo

from rtoc.signals import SignalKey
from rtoc_web.localtime import from_plot, parse_local

#: Spans of the fixed "last ..." choices in seconds.
SPANS = {"1h": 3600.0, "24h": 86400.0, "7d": 7 * 86400.0}
MODES = ("last", "1h", "24h", "7d", "all", "between")


class BadInput(ValueError):
    """A control holds something the page cannot use; the text says what and why."""


def signal_value(key: SignalKey) -> str:
    """A signal as a dropdown value (JSON, since names may hold dots)."""
    return json.dumps(list(key))


def parse_signals(values: Iterable[object] | None) -> list[SignalKey]:
    """Dropdown values back to (device, name) keys; BadInput for a value not made by us."""
    keys = []
    for value in values or ():
        try:
            device, name = json.loads(str(value))
        except (ValueError, TypeError):
            raise BadInput(f"not a signal: {value!r}") from None
        keys.append((str(device), str(name)))
    return keys


def parse_last(value: object, maximum: int) -> int:
    """The number of newest samples to plot: a whole number from 1 to ``maximum``."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise BadInput(f"latest values: enter a number of samples, not {value!r}") from None
    if not math.isfinite(number) or number < 1 or number != int(number):
        raise BadInput(f"latest values: enter a whole number from 1 to {maximum:,}, not {value}")
    if number > maximum:
        raise BadInput(
            f"latest values: at most {maximum:,} samples can be plotted at once, not "
            f"{int(number):,}; choose a time range instead, it is aggregated to the plot's width"
        )
    return int(number)


def between(start_text: object, end_text: object, tz: ZoneInfo) -> tuple[float, float]:
    """A from-to range the user typed in their time zone, as epoch seconds."""
    if not start_text or not end_text:
        raise BadInput("from-to: enter both times, e.g. 2026-12-06 08:00 and 2026-12-06 20:00")
    try:
        start, end = parse_local(str(start_text), tz), parse_local(str(end_text), tz)
    except (ValueError, OverflowError) as error:
        raise BadInput(f"from-to: {error}") from None
    if start >= end:
        raise BadInput("from-to: the start must be before the end")
    return start, end


_RANGE_KEY = re.compile(r"^xaxis\d*\.range(\[(0|1)\])?$")


def zoom_from_relayout(
    relayout: Mapping[str, object] | None, tz: ZoneInfo
) -> tuple[float, float] | str | None:
    """What a Plotly relayout event means for the time range.

    Returns the new range (epoch seconds), ``"reset"`` when the user went
    back to the full view (double click, autorange), or None when the event
    does not touch the time axis (a y zoom, a resize). BadInput for a range
    that is not a range.
    """
    if not relayout:
        return None
    ends: dict[int, object] = {}
    for key, value in relayout.items():
        match = _RANGE_KEY.match(str(key))
        if match is None:
            if str(key).startswith("xaxis") and key.endswith("autorange") and value:
                return "reset"
            continue
        if match.group(2) is not None:
            ends.setdefault(int(match.group(2)), value)
        elif isinstance(value, (list, tuple)) and len(value) == 2:
            ends.setdefault(0, value[0])
            ends.setdefault(1, value[1])
    if not ends:
        return None
    if set(ends) != {0, 1}:
        raise BadInput("zoom: the time range needs a start and an end")
    try:
        start, end = sorted((from_plot(ends[0], tz), from_plot(ends[1], tz)))
    except (ValueError, OverflowError, OSError) as error:
        raise BadInput(f"zoom: {error}") from None
    if not (math.isfinite(start) and math.isfinite(end)) or start == end:
        raise BadInput("zoom: the time range is empty")
    return start, end
