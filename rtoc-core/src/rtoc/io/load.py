"""``importData`` and ``rtoc.load`` in scripts: a file's signals into the running logger's memory.

The samples go through :meth:`Logger.stream_many` like any device's, so the
write-behind writer stores them when storage is on. The file name is
relative to ``$RTOC_HOME/import/``, and a name leading out of it is refused
(:mod:`rtoc.io.folders`): scripts may come over TCP.

Re-loading a file into the same signals is refused like a second ``rtoc
import`` (:class:`AlreadyImported`, unless ``force``): each load adds the
import's record (:func:`rtoc.io.ingest.marker`) as an event, and a load
looks for it among the logger's events and, with storage, among the stored
events, so that a file ``rtoc import`` put into the storage counts too.
A session's events are not replayed: they would set off global actions.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from rtoc.io import importers
from rtoc.io.folders import IMPORT_FOLDER, within
from rtoc.io.formats import ImportOptions, choose
from rtoc.io.ingest import WRITE_BATCH, already_imported, marker, read_file, recorded

if TYPE_CHECKING:
    from rtoc.logger import Logger


class LoadError(ValueError):
    """A script asked for a file outside ``$RTOC_HOME/import/``."""


def import_data(
    logger: Logger,
    filename: str | Path,
    device: str | None = None,
    filetype: str | None = None,
    *,
    force: bool = False,
    who: str = "importData",
) -> list[str]:
    """Read ``filename`` whole, then add its samples; the ``Device.Signal`` names it filled.

    ``who`` names the caller in the error of a name leading out of the folder.
    """
    folder = (logger.home or Path.cwd()) / IMPORT_FOLDER
    path = within(folder, filename)
    if path is None:
        raise LoadError(
            f"{who} reads only from {folder}: {str(filename)!r} leads out of it; "
            "copy the file there, or use rtoc import for other places"
        )
    importer = choose(importers(logger.plugins), path, filetype)
    with read_file(path, importer, ImportOptions(), device) as parsed:
        record = marker(parsed)
        if not force:
            storage, when = logger.storage, record.time
            stored = [] if storage is None else storage.events(when, when)
            earlier = recorded(parsed, [*logger.events, *stored])
            if earlier is not None:
                raise already_imported(parsed, earlier)
        for (dname, sname), summary in parsed.signals.items():
            for x, y in parsed.batches((dname, sname), WRITE_BATCH):
                logger.stream_many(x, y, sname, dname, summary.unit or None)
        logger.add_event(record)
        return [summary.label for summary in parsed.signals.values()]
