"""``importData`` in scripts: a file's signals into the running logger's memory.

The samples go through :meth:`Logger.stream_many` like any device's, so the
write-behind writer stores them when storage is on. A relative file name is
looked up in ``$RTOC_HOME/import/``. There is no duplicate check here (a
script that loads a file twice appends it twice); ``rtoc import`` has one.
A session's events are not replayed: they would set off global actions.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from rtoc.io import importers
from rtoc.io.formats import ImportOptions, choose
from rtoc.io.ingest import WRITE_BATCH, read_file

if TYPE_CHECKING:
    from rtoc.logger import Logger

IMPORT_FOLDER = "import"


def import_data(
    logger: Logger, filename: str | Path, device: str | None = None, filetype: str | None = None
) -> list[str]:
    """Read ``filename`` whole, then add its samples; the ``Device.Signal`` names it filled."""
    path = Path(filename).expanduser()
    if not path.is_absolute():
        path = (logger.home or Path.cwd()) / IMPORT_FOLDER / path
    importer = choose(importers(logger.plugins), path, filetype)
    with read_file(path, importer, ImportOptions(), device) as parsed:
        for (dname, sname), summary in parsed.signals.items():
            for x, y in parsed.batches((dname, sname), WRITE_BATCH):
                logger.stream_many(x, y, sname, dname, summary.unit or None)
        return [summary.label for summary in parsed.signals.values()]
