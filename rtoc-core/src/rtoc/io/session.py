"""A session as JSON: every signal with its samples and unit, and the events.

``{"signals": {"Device.Signal": {"x": [...], "y": [...], "unit": "V"}},
"events": [{"time": ..., "text": ..., "device": ..., ...}]}``: what
``exportData`` wrote from the start, readable by anything. Numbers are
written by ``repr`` (NaN and inf as ``NaN``/``Infinity``), so float64 values
read back bit for bit. A session is read whole: it is meant for what a
logger holds in memory, not for files of gigabytes (use Parquet).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from rtoc.events import Event
from rtoc.files import write_atomically_binary
from rtoc.io.formats import Block, ExportSignal, FileFormatError, ImportOptions, Target


def session_dict(signals: Iterable[ExportSignal], events: Sequence[Event]) -> dict[str, Any]:
    """The session as plain data (also what TCP ``getSession`` answers)."""
    out = {s.label: {"x": s.x.tolist(), "y": s.y.tolist(), "unit": s.unit} for s in signals}
    listed = [attrs.asdict(event) for event in events]
    for event in listed:
        event["priority"] = int(event["priority"])
    return {"signals": out, "events": listed}


class SessionFormat:
    """Both directions of the session JSON format."""

    name = "json"
    suffixes = (".json",)
    extra = None

    def write(
        self, target: Target, signals: Iterable[ExportSignal], events: Sequence[Event]
    ) -> None:
        data = (json.dumps(session_dict(signals, events), allow_nan=True) + "\n").encode()
        if isinstance(target, Path):
            with write_atomically_binary(target) as file:
                file.write(data)
        else:
            target.write(data)

    def read(self, path: Path, options: ImportOptions) -> Iterator[Block]:
        try:
            with open(path, encoding="utf-8") as file:
                data = json.load(file)
        except json.JSONDecodeError as error:
            raise FileFormatError(path, f"not JSON: {error.msg}", error.lineno) from None
        except UnicodeDecodeError as error:
            raise FileFormatError(path, f"not UTF-8 text: {error.reason}") from None
        if not isinstance(data, dict) or not isinstance(data.get("signals", {}), dict):
            raise FileFormatError(path, 'not an rtoc session: no "signals" object')
        events = [_event(path, n, item) for n, item in enumerate(data.get("events") or [])]
        first = True
        for label, signal in data.get("signals", {}).items():
            x, y = _samples(path, label, signal)
            unit = str(signal.get("unit") or "")
            yield Block(
                x, {label: y}, qualified=True, units={label: unit}, events=events if first else ()
            )
            first = False
        if first and events:
            yield Block(np.empty(0), {}, qualified=True, events=events)


def _samples(path: Path, label: str, signal: object) -> tuple[np.ndarray, np.ndarray]:
    if not isinstance(signal, dict) or "." not in label:
        raise FileFormatError(path, f'signal {label!r}: expected "Device.Signal": {{"x", "y"}}')
    try:
        x = np.asarray(signal.get("x", []), dtype=np.float64)
        y = np.asarray(signal.get("y", []), dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise FileFormatError(path, f"signal {label!r}: {error}") from None
    if x.shape != y.shape or x.ndim != 1:
        raise FileFormatError(path, f"signal {label!r}: x has {x.size} values, y {y.size}")
    return x, y


def _event(path: Path, number: int, item: object) -> Event:
    fields = {field.name for field in attrs.fields(Event)}
    if not isinstance(item, dict) or not {"time", "text"} <= item.keys():
        raise FileFormatError(path, f"event {number}: expected an object with time and text")
    try:
        return Event(**{key: value for key, value in item.items() if key in fields})
    except (TypeError, ValueError) as error:
        raise FileFormatError(path, f"event {number}: {error}") from None
