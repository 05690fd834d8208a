"""Writing signals and events to a file: ``exportData`` in scripts and devices.

Two formats for now:

* ``json``: a session, ``{"signals": {"Device.Signal": {"x": [...], "y": [...],
  "unit": "V"}}, "events": [{...}]}``, readable by anything;
* ``csv``: one row per sample, ``device,signal,unit,x,y``, so signals with
  different time stamps share one table without gaps.

A relative file name lands in ``$RTOC_HOME/export/``; without a name the file
is called after the time of the export.
"""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from rtoc.files import write_atomically
from rtoc.signals import SignalKey

if TYPE_CHECKING:
    from rtoc.logger import Logger

FORMATS = ("json", "csv")
EXPORT_FOLDER = "export"


class ExportError(ValueError):
    """An export that cannot be done: unknown format, unknown signal."""


def export_data(
    logger: Logger,
    filename: str | Path | None = None,
    filetype: str = "json",
    signals: Iterable[SignalKey | str] | None = None,
) -> Path:
    """Write the signals in memory (all, or ``signals``) to a file; return its path."""
    if filetype not in FORMATS:
        raise ExportError(f"export format must be one of {', '.join(FORMATS)}, got {filetype!r}")
    keys = logger.store.keys() if signals is None else [_key(logger, s) for s in signals]
    path = _path(logger, filename, filetype)
    text = _json(logger, keys) if filetype == "json" else _csv(logger, keys)
    write_atomically(path, text)
    return path


def _key(logger: Logger, name: SignalKey | str) -> SignalKey:
    if isinstance(name, tuple):
        key = name
    else:
        device, _, signal = str(name).rpartition(".")
        key = (device, signal)
    if key not in logger.store:
        raise ExportError(f"no signal {key[0]}.{key[1]} to export")
    return key


def _path(logger: Logger, filename: str | Path | None, filetype: str) -> Path:
    folder = (logger.home or Path.cwd()) / EXPORT_FOLDER
    if filename is None:
        filename = time.strftime("rtoc-%Y%m%d-%H%M%S")
    path = Path(filename).expanduser()
    if not path.is_absolute():
        path = folder / path
    return path if path.suffix else path.with_suffix(f".{filetype}")


def _json(logger: Logger, keys: list[SignalKey]) -> str:
    signals: dict[str, Any] = {}
    for device, name in keys:
        x, y, unit = logger.read(device, name)
        signals[f"{device}.{name}"] = {"x": x.tolist(), "y": y.tolist(), "unit": unit}
    events = [attrs.asdict(event) for event in logger.events]
    for event in events:
        event["priority"] = int(event["priority"])
    return json.dumps({"signals": signals, "events": events}, allow_nan=True) + "\n"


def _csv(logger: Logger, keys: list[SignalKey]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["device", "signal", "unit", "x", "y"])
    for device, name in keys:
        x, y, unit = logger.read(device, name)
        writer.writerows(
            (device, name, unit, repr(a), repr(b))
            for a, b in zip(x.tolist(), y.tolist(), strict=True)
        )
    return out.getvalue()
