"""Writing signals and events to a file: ``exportData`` in scripts, ``rtoc export``.

Any format an exporter is registered for (:func:`rtoc.io.exporters`):
``json`` (a session, see :mod:`rtoc.io.session`), ``csv`` (one row per
sample, ``device,signal,unit,x,y``), ``parquet`` and what plugins add.

From a logger (:func:`export_data`, scripts' ``exportData``), the file
lands in ``$RTOC_HOME/export/`` and nowhere else (:mod:`rtoc.io.folders`);
without a name it is called after the time of the export. From a storage
(:func:`export_stored`), with no logger running.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from rtoc.io import exporters
from rtoc.io.folders import EXPORT_FOLDER, within
from rtoc.io.formats import Exporter, ExportSignal, Target
from rtoc.signals import SignalKey

if TYPE_CHECKING:
    from rtoc.logger import Logger
    from rtoc.plugins import PluginRegistry
    from rtoc.storage.base import Storage


class ExportError(ValueError):
    """An export that cannot be done: unknown format, unknown signal."""


def exporter(name: str, registry: PluginRegistry | None = None) -> Exporter:
    found = exporters(registry)
    if name not in found:
        raise ExportError(f"export format must be one of {', '.join(found)}, got {name!r}")
    return found[name]


def export_data(
    logger: Logger,
    filename: str | Path | None = None,
    filetype: str = "json",
    signals: Iterable[SignalKey | str] | None = None,
    start: float | None = None,
    end: float | None = None,
    who: str = "exportData",
) -> Path:
    """Write the signals in memory (all, or ``signals``) with ``start <= x <= end``,
    and the events in that span, to a file in ``$RTOC_HOME/export/``; return its path.

    ``who`` names the caller in the error of a name leading out of the folder.
    """
    writer = exporter(filetype, logger.plugins)
    path = _path(logger, filename, filetype, who)
    keys = logger.store.keys() if signals is None else [_key(logger.store, s) for s in signals]
    events = [
        event
        for event in logger.events
        if (start is None or event.time >= start) and (end is None or event.time <= end)
    ]
    writer.write(path, _from_logger(logger, keys, start, end), events)
    return path


def _from_logger(
    logger: Logger, keys: Sequence[SignalKey], start: float | None, end: float | None
) -> Iterator[ExportSignal]:
    for device, name in keys:
        x, y, unit = logger.read(device, name, start, end)
        yield ExportSignal(device, name, unit, x, y)


def export_stored(
    storage: Storage,
    target: Target,
    writer: Exporter,
    signals: Iterable[str] | None = None,
    start: float | None = None,
    end: float | None = None,
    advance: Callable[[int], None] | None = None,
) -> int:
    """Write stored signals (all, or ``signals`` as ``Device.Signal``) in ``start..end``.

    Returns the number of samples written; ExportError for an unknown signal.
    ``advance`` is told the samples of each signal once the writer is done with it.
    """
    infos = {info.key: info for info in storage.signals()}
    keys = list(infos) if signals is None else [_key(infos, s) for s in signals]
    counted = 0

    def read() -> Iterator[ExportSignal]:
        nonlocal counted
        for device, name in keys:
            x, y = storage.read(device, name, start, end)
            counted += len(x)
            yield ExportSignal(device, name, infos[(device, name)].unit, x, y)
            if advance is not None:
                advance(len(x))

    events = [] if signals is not None else storage.events(start, end)
    writer.write(target, read(), events)
    return counted


def _key(known: object, name: SignalKey | str) -> SignalKey:
    if isinstance(name, tuple):
        key = name
    else:
        device, _, signal = str(name).rpartition(".")
        key = (device, signal)
    if key not in known:  # type: ignore[operator]
        raise ExportError(f"no signal {key[0]}.{key[1]} to export")
    return key


def _path(logger: Logger, filename: str | Path | None, filetype: str, who: str) -> Path:
    """Where a script's export goes: inside ``$RTOC_HOME/export/``, never elsewhere
    (see :mod:`rtoc.io.folders` for why)."""
    folder = (logger.home or Path.cwd()) / EXPORT_FOLDER
    if filename is None:
        filename = time.strftime("rtoc-%Y%m%d-%H%M%S")
    path = within(folder, filename)
    if path is None:
        raise ExportError(
            f"{who} writes only into {folder}: {str(filename)!r} leads out of it; "
            "give a name inside it (day1/data.csv), or use rtoc export -o for other places"
        )
    return path if path.suffix else path.with_suffix(f".{filetype}")
