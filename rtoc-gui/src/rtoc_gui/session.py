"""File ▸ Save session / Load session / Export signals, through a LoggerView only.

Saving writes what the logger holds in memory (every signal, or the chosen
ones, and every event) with one of :func:`rtoc.io.exporters`; a session is
the ``json`` one (:mod:`rtoc.io.session`). Loading a file is what ``rtoc
import --remote`` does, on any view: the file is read to the end first (a
bad one changes nothing), an earlier load of it into the same signals is
refused (its record event is looked for), the samples go in through
``stream_many`` in batches, and the import's record is added as an event
(:func:`rtoc.io.ingest.into_view`).
The events inside a session are not replayed, as :mod:`rtoc.io.load` does
not replay them: they would set off global actions.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from rtoc.events import Event
from rtoc.frontend import MAX_PAGE, EventQuery
from rtoc.io import exporters, importers
from rtoc.io.formats import Exporter, ExportSignal, ImportOptions, choose
from rtoc.io.ingest import into_view, read_file

if TYPE_CHECKING:
    from rtoc.frontend import LoggerView
    from rtoc.plugins import PluginRegistry
    from rtoc.signals import SignalKey

#: The exporter and importer of sessions (rtoc.io.session.SessionFormat).
SESSION_FORMAT = "json"


@attrs.frozen
class Saved:
    path: Path
    signals: int
    samples: int
    events: int


@attrs.frozen
class Loaded:
    path: Path
    #: ``Device.Signal`` names filled
    signals: tuple[str, ...]
    samples: int
    #: events in the file, not replayed
    events: int


def all_events(view: LoggerView) -> list[Event]:
    """Every event the logger has, page by page (oldest first)."""
    found: list[Event] = []
    while True:
        page = view.event_page(EventQuery(offset=len(found), limit=MAX_PAGE))
        found.extend(page.events)
        if not page.events or len(found) >= page.total:
            return found[::-1]


def save(
    view: LoggerView,
    path: Path,
    writer: Exporter,
    keys: Sequence[SignalKey] | None = None,
) -> Saved:
    """Write the signals in memory (all, or ``keys``) and every event to ``path``."""
    chosen = [info.key for info in view.signal_infos()] if keys is None else list(keys)
    events = all_events(view)
    samples = 0

    def signals() -> Iterator[ExportSignal]:
        nonlocal samples
        for device, name in chosen:
            x, y, unit = view.read(device, name)
            samples += len(x)
            yield ExportSignal(device, name, unit, x, y)

    writer.write(path, signals(), events)
    return Saved(path, len(chosen), samples, len(events))


def session_writer(plugins: PluginRegistry | None) -> Exporter:
    return exporters(plugins)[SESSION_FORMAT]


def writer_for(path: Path, plugins: PluginRegistry | None) -> Exporter:
    """The exporter ``path``'s suffix asks for; ValueError naming the known ones."""
    return choose(exporters(plugins), path, None)


def load(
    view: LoggerView, path: Path, plugins: PluginRegistry | None, file_format: str | None = None
) -> Loaded:
    """Load a session (or any file an importer reads) into the logger.

    :class:`rtoc.io.ingest.AlreadyImported` when it was loaded into these
    signals before; :class:`rtoc.io.formats.FileFormatError` for a bad file.
    """
    importer = choose(importers(plugins), path, file_format)
    with read_file(path, importer, ImportOptions()) as parsed:
        into_view(parsed, view)
        samples = sum(summary.count for summary in parsed.signals.values())
        labels = tuple(summary.label for summary in parsed.signals.values())
        return Loaded(path, labels, samples, len(parsed.events))
